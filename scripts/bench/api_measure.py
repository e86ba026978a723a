"""scripts/bench/api: latency, throughput and server RSS of `tracespool serve` (real process,
real socket, Python clients on keep-alive connections)."""
import argparse, http.client, json, os, shutil, socket, subprocess, sys, tempfile, threading, time
sys.path.insert(0, os.path.dirname(__file__))
from benchlib import loadavg, write_readme_section


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Sampler:
    """Samples the server's RSS every 50 ms; `peak` is the largest sample since `reset`."""
    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0, False
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.05)

    def reset(self):
        self.peak = rss_kib(self.pid)


def get(conn, path):
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    return r.status, body


def page_paths(port, job, domain):
    """Every page of one domain, following next_url from the first: the paths wrk requests."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    path, paths = f"/api/v1/jobs/{job}/rows?domain={domain}&limit=1000", []
    while path:
        paths.append(path)
        status, body = get(conn, path)
        assert status == 200, (status, body[:200])
        path = json.loads(body)["data"]["next_url"]
    conn.close()
    return paths


def wrk_pages(port, pages_file, clients, seconds):
    """wrk (C, epoll, one connection per client, keep-alive) over the page paths: its own latency
    percentiles, so the client's cost does not sit inside the figures (a Python client's JSON
    decoding and GIL did)."""
    threads = min(2, clients)
    r = subprocess.run(["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds:.0f}s", "--timeout", "10s",
                        "-s", os.path.join(os.path.dirname(__file__), "api_pages.lua"), f"http://127.0.0.1:{port}"],
                       check=True, stdout=subprocess.PIPE, env=dict(os.environ, PAGES_FILE=pages_file))
    line = [l for l in r.stdout.decode().splitlines() if l.startswith("{")][-1]
    return json.loads(line)


def cpu_seconds(pid):
    """utime + stime of a process so far (clock ticks of /proc/PID/stat)."""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def stream(port, job, out, rate=None, seconds=None):
    """Reads the whole stream (or, with `rate` bytes/s, that slowly for `seconds`)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    s.sendall(f"GET /api/v1/jobs/{job}/stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    total, t0 = 0, time.perf_counter()
    while True:
        chunk = s.recv(4096 if rate else 1 << 20)
        if not chunk:
            break
        total += len(chunk)
        if rate:
            time.sleep(len(chunk) / rate)
            if time.perf_counter() - t0 > seconds:
                break
    s.close()
    out.append((total, time.perf_counter() - t0))


def measure(a, db):
    """One warehouse's table: the trace of every container, then pages, streams and RSS."""
    source = f"host={os.environ['PGHOST']} dbname={db}"
    work = tempfile.mkdtemp(prefix="bench-api-", dir=os.getcwd() + "/.bench")
    spool = f"{work}/spool"
    # The trace: every container of the warehouse, three domains.
    cids = subprocess.run(["psql", "-X", "-At", "-d", db, "-c", "SELECT btrim(containerid) FROM dwh.dw_mes_container ORDER BY 1"],
                          check=True, stdout=subprocess.PIPE).stdout.decode().split()
    with open(f"{work}/cids.txt", "w") as f:
        f.write("\n".join(cids))
    r = subprocess.run([a.bin, "run", "--json", "--cids-file", f"{work}/cids.txt", "--domains", "history,upstream_history,materials",
                        "--cid-limit", "1000000", "--source", source, "--spool-dir", spool], check=True, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    job = json.loads(r.stdout)
    jid, rows = job["job_id"], sum(job["rows"].values())
    env = dict(os.environ, TRACESPOOL_LOG_LEVEL="error", TRACESPOOL_API_MAX_STREAMS="64")
    srv = subprocess.Popen([a.bin, "serve", "--port", "0", "--no-workers", "--source", source, "--spool-dir", spool],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    port = int(srv.stdout.readline().decode().strip().rsplit(":", 1)[1])
    sampler = Sampler(srv.pid)
    time.sleep(1)
    out = [f"| server RSS at idle | {rss_kib(srv.pid) / 1024:.1f} MiB | |"]
    paths = page_paths(port, jid, "history")
    pages_file = f"{work}/pages.txt"
    with open(pages_file, "w") as f:
        f.write("\n".join(paths) + "\n")
    for n in (1, 8, 32):
        sampler.reset()
        cpu0 = cpu_seconds(srv.pid)
        w = wrk_pages(port, pages_file, n, a.seconds)
        cpu = cpu_seconds(srv.pid) - cpu0
        errs = sum(v for k, v in w.items() if k.startswith("errors_"))
        rate = w["requests"] / (w["duration_us"] / 1e6)
        out.append(f"| `rows` pages of 1 000, {n} client(s) | p50 {w['p50_us'] / 1000:.1f} ms · p99 {w['p99_us'] / 1000:.1f} ms | "
                   f"{rate:.0f} pages/s, server CPU {cpu / max(w['requests'], 1) * 1000:.2f} ms per page, {errs} errors, "
                   f"server RSS peak {sampler.peak / 1024:.1f} MiB |")
    # One full stream vs the CLI export of the same job.
    got = []
    stream(port, jid, got)
    total, secs = got[0]
    t0 = time.perf_counter()
    subprocess.run([a.bin, "export", jid, "--spool-dir", spool], stdout=subprocess.DEVNULL, check=True)
    cli = time.perf_counter() - t0
    out.append(f"| one NDJSON stream of the job ({rows:,} rows, {total / 1e6:.0f} MB) | {secs:.2f} s · {total / secs / 1e6:.0f} MB/s · "
               f"{rows / secs / 1e3:.0f} k rows/s | CLI export of the same job: {cli:.2f} s |")
    sampler.reset()
    got = []
    ts = [threading.Thread(target=stream, args=(port, jid, got)) for _ in range(8)]
    t0 = time.perf_counter()
    [t.start() for t in ts]
    [t.join() for t in ts]
    out.append(f"| 8 parallel full streams | {time.perf_counter() - t0:.2f} s | server RSS peak {sampler.peak / 1024:.1f} MiB |")
    sampler.reset()
    got = []
    stream(port, jid, got, rate=100_000, seconds=a.seconds)
    out.append(f"| one client reading at 100 KB/s for {a.seconds:.0f} s | {got[0][0] / 1e3:.0f} KB read | server RSS peak {sampler.peak / 1024:.1f} MiB |")
    sampler.stop = True
    srv.terminate()
    srv.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)
    return (f"**Warehouse `{db}`** (generated; the job: every container's CID ({len(cids):,}), history + upstream_history + "
            f"materials, {rows:,} rows; pages: wrk over the {len(paths)} pages of history; load average {loadavg()} at the end):\n\n"
            "| what | figure | note |\n|---|---|---|\n" + "\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--db", required=True, help="one warehouse or several, comma-separated (one table each: the same bounds at every size)")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--readme")
    a = ap.parse_args()
    tables = [measure(a, db) for db in a.db.split(",")]
    body = (f"Measured by `scripts/bench/api` on {time.strftime('%Y-%m-%d')} (release build; pages: wrk (Debian's), closed loop, "
            f"one keep-alive connection per client; streams: Python clients; server, clients and PostgreSQL on the same "
            f"2-core machine):\n\n" + "\n".join(tables))
    print(body)
    if a.readme:
        write_readme_section(a.readme, "api", body)


main()
