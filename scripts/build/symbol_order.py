"""scripts/build/profile-symbol-order: runs tracespool's usual work under callgrind and writes the
functions of the binary that ran, in first-run order, one linker symbol per line."""
import argparse
import glob
import json
import os
import signal
import subprocess
import time
import urllib.request

VALGRIND = ["valgrind", "--tool=callgrind", "--demangle=no", "--compress-strings=no", "--compress-pos=no",
            "--dump-instr=no"]


def traced(a, name, args, **kw):
    """One tracespool command under callgrind (output per process in the work folder)."""
    cmd = VALGRIND + [f"--callgrind-out-file={a.work}/cg.{name}.%p", a.bin] + args
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, **kw).stdout.decode()


def workloads(a):
    spool = f"{a.work}/spool"
    src = ["--source", a.source, "--spool-dir", spool]
    cids = subprocess.run(["psql", "-X", "-At", "-d", a.source.split("dbname=")[1], "-c",
                           "SELECT btrim(containerid) FROM dwh.dw_mes_container ORDER BY 1 LIMIT 400"],
                          check=True, stdout=subprocess.PIPE).stdout.decode().split()
    lots = subprocess.run(["psql", "-X", "-At", "-d", a.source.split("dbname=")[1], "-c",
                           "SELECT containername FROM dwh.dw_mes_container WHERE containername LIKE 'GA%-A00-001' ORDER BY 1 LIMIT 3"],
                          check=True, stdout=subprocess.PIPE).stdout.decode().split()
    with open(f"{a.work}/cids.txt", "w") as f:
        f.write("\n".join(cids))
    traced(a, "help", ["--help"])
    trace = json.loads(traced(a, "run", ["run", "--json", "--cids-file", f"{a.work}/cids.txt", "--cid-limit", "100000"] + src))
    qt = traced(a, "qt", ["run", "--profile", "query_tool", "--lot-ids", ",".join(lots)] + src).strip()
    msd = traced(a, "msd", ["run", "--profile", "mid_section_defect", "--station", "測試", "--from", "2026-03-01",
                            "--to", "2026-03-10"] + src).strip()
    jid = trace["job_id"]
    for name, args in [("export", ["export", jid]), ("export-cid", ["export", jid, "--layout", "cid"]),
                       ("export-csv", ["export", jid, "--format", "csv", "--domain", "history", "-o", f"{a.work}/h.csv"]),
                       ("lineage", ["lineage", qt]), ("msd-summary", ["msd", "summary", msd, "--table"]),
                       ("msd-export", ["msd", "export", msd, "-o", f"{a.work}/d.csv"]), ("jobs", ["jobs", "list"]),
                       ("doctor", ["doctor", "--source", a.source])]:
        traced(a, name, args + (["--spool-dir", spool] if name != "doctor" else []))
    traced(a, "submit", ["submit", "--profile", "query_tool", "--lot-ids", lots[0], "--domains", "history,rejects", "--new",
                         "--spool-dir", spool])
    traced(a, "worker", ["worker", "--once"] + src)
    # The HTTP API with one worker: submit, poll, pages, streams, CSV, MSD reads, health, metrics.
    cmd = VALGRIND + [f"--callgrind-out-file={a.work}/cg.serve.%p", a.bin, "serve", "--port", "0"] + src
    srv = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    port = int(srv.stdout.readline().decode().strip().rsplit(":", 1)[1])
    api = f"http://127.0.0.1:{port}"

    def get(path):
        with urllib.request.urlopen(api + path, timeout=600) as r:
            return r.read()

    req = urllib.request.Request(api + "/api/v1/jobs", data=json.dumps({"lot_ids": lots, "domains": ["history", "materials"]}).encode(),
                                 headers={"Content-Type": "application/json"})
    job = json.loads(urllib.request.urlopen(req, timeout=600).read())["data"]["job_id"]
    stream = get(f"/api/v1/jobs/{job}/stream")  # follows the running job to its end
    assert b'"complete"' in stream, stream[-300:]
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.yaml", "/api/v1/jobs?limit=5", f"/api/v1/jobs/{job}",
                 f"/api/v1/jobs/{jid}/rows?domain=history&limit=100", f"/api/v1/jobs/{jid}/stream?layout=cid",
                 f"/api/v1/jobs/{jid}/export.csv?domain=history", f"/api/v1/jobs/{qt}/lineage",
                 f"/api/v1/jobs/{msd}/msd/summary", f"/api/v1/jobs/{msd}/msd/detail?page=1&page_size=50",
                 f"/api/v1/jobs/{msd}/msd/export.csv"]:
        get(path)
    page = json.loads(get(f"/api/v1/jobs/{jid}/rows?domain=history&limit=50"))["data"]
    while page["next_url"]:
        page = json.loads(get(page["next_url"]))["data"]
    srv.send_signal(signal.SIGTERM)
    srv.wait(timeout=600)


def functions(target, paths):
    """Functions of `target` (an object callgrind names by path) in first-seen order."""
    seen, order = set(), []
    for path in sorted(paths, key=os.path.getmtime):
        ob = cob = None
        for line in open(path, errors="replace"):
            if line.startswith("ob="):
                ob = line[3:].strip()
            elif line.startswith("cob="):
                cob = line[4:].strip()
            elif line.startswith(("fn=", "cfn=")):
                callee = line.startswith("cfn=")
                o = (cob or ob) if callee else ob
                name = line.split("=", 1)[1].strip().split("'")[0]  # 'N marks recursion depth
                if o and o.endswith(target) and not name.startswith("0x") and name not in seen:
                    seen.add(name)
                    order.append(name)
                cob = None
    return order


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    t0 = time.time()
    workloads(a)
    names = functions("/" + os.path.basename(a.bin), glob.glob(f"{a.work}/cg.*"))
    with open(a.out, "w") as f:
        f.write("\n".join(names) + "\n")
    print(f"{len(names)} functions in {a.out} ({time.time() - t0:.0f} s)")


main()
