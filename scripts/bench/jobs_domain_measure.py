"""The jobs domain with and without the recommended GIN index on dw_mes_job token lists
(TRACESPOOL_JOBS_MATCH=index vs scan) at two trace sizes, interleaved rounds, medians; the
table goes to stdout and into the README between the bench:jobs-domain markers."""
import argparse, datetime, json, os, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(__file__))
from benchlib import run_measured, median, loadavg, write_readme_section, fmt_s, fmt_mib, die

a = argparse.ArgumentParser()
a.add_argument("--bin", required=True)
a.add_argument("--db", required=True)
a.add_argument("--runs", type=int, default=3)
a.add_argument("--readme")
a = a.parse_args()

def psql(sql):
    return subprocess.run(["psql", "-X", "-tA", "-d", a.db, "-c", sql], check=True, capture_output=True, text=True).stdout

tmp = tempfile.mkdtemp(prefix="bench-jobs-")
files = {}
for label, limit in (("10 000 CIDs", "LIMIT 10000"), ("every CID", "")):
    path = os.path.join(tmp, label.replace(" ", "_") + ".txt")
    with open(path, "w") as f:
        f.write(psql(f"SELECT btrim(containerid) FROM dwh.dw_mes_container ORDER BY md5(containerid) {limit}"))
    files[label] = path
jobs, tokens = psql("SELECT count(*), sum(cardinality(string_to_array(containerids, ','))) FROM dwh.dw_mes_job").strip().split("|")
has_gin = psql("SELECT count(*) FROM pg_indexes WHERE schemaname = 'dwh' AND tablename = 'dw_mes_job' AND indexdef LIKE '%gin%'").strip()
if has_gin == "0":
    die("the warehouse has no GIN index on dw_mes_job: the index mode would be measured without it")

results = {}
for r in range(a.runs):
    for label, path in files.items():
        for mode in ("index", "scan"):
            spool = tempfile.mkdtemp(prefix="bench-jobs-spool-", dir=tmp)
            m = run_measured([a.bin, "run", "--source", f"dbname={a.db}", "--spool-dir", spool, "--cids-file", path,
                              "--domains", "jobs", "--cid-limit", "1000000", "--json"], env={"TRACESPOOL_JOBS_MATCH": mode})
            if m["rc"] != 0:
                die(f"{mode} {label} failed: {m['stderr']}")
            o = json.loads(m["stdout"].strip().splitlines()[-1])
            m["rows"] = o["rows"]["jobs"]
            m["cids"] = o["cid_count"]
            results.setdefault((label, mode), []).append(m)
            subprocess.run(["rm", "-rf", spool])

lines = [f"jobs domain (`scripts/bench/jobs-domain`, {datetime.datetime.now():%Y-%m-%d %H:%M}, load {loadavg()}): "
         f"`tracespool run --cids-file F --domains jobs` on the `{a.db}` warehouse ({int(jobs):,} jobs listing {int(tokens):,} "
         f"CID tokens, GIN index present; `scan` is what a warehouse without it gets), medians of {a.runs} interleaved rounds.",
         "", "| trace | mode | CIDs | rows | wall s | client CPU s | peak RSS MiB | scan ÷ index (wall) |", "|---|---|---:|---:|---:|---:|---:|---:|"]
for label in files:
    walls = {}
    for mode in ("index", "scan"):
        ms = results[(label, mode)]
        walls[mode] = median([x["wall"] for x in ms])
    for mode in ("index", "scan"):
        ms = results[(label, mode)]
        cpu = median([x["user"] + x["sys"] for x in ms])
        ratio = f"{walls['scan'] / walls['index']:.2f}×" if mode == "scan" else ""
        lines.append(f"| {label} | {mode} | {ms[0]['cids']:,} | {ms[0]['rows']:,} | {fmt_s(walls[mode])} | {fmt_s(cpu)} | "
                     f"{fmt_mib(max(x['rss_kib'] for x in ms))} | {ratio} |")
body = "\n".join(lines)
print(body)
if a.readme:
    write_readme_section(a.readme, "jobs-domain", body)
