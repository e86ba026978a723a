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


def pager(port, job, domain, until, latencies, errors):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    path = f"/api/v1/jobs/{job}/rows?domain={domain}&limit=1000"
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        status, body = get(conn, path)
        latencies.append(time.perf_counter() - t0)
        if status != 200:
            errors.append(status)
            break
        nxt = json.loads(body)["data"]["next_url"]
        path = nxt or f"/api/v1/jobs/{job}/rows?domain={domain}&limit=1000"
    conn.close()


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


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--readme")
    a = ap.parse_args()
    source = f"host={os.environ['PGHOST']} dbname={a.db}"
    work = tempfile.mkdtemp(prefix="bench-api-", dir=os.getcwd() + "/.bench")
    spool = f"{work}/spool"
    # The trace: every container of the warehouse, three domains.
    cids = subprocess.run(["psql", "-X", "-At", "-d", a.db, "-c", "SELECT btrim(containerid) FROM dwh.dw_mes_container ORDER BY 1"],
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
    for n in (1, 8, 32):
        sampler.reset()
        lat, errs = [], []
        until = time.perf_counter() + a.seconds
        ts = [threading.Thread(target=pager, args=(port, jid, "history", until, lat, errs)) for _ in range(n)]
        t0 = time.perf_counter()
        [t.start() for t in ts]
        [t.join() for t in ts]
        wall = time.perf_counter() - t0
        out.append(f"| `rows` pages of 1 000, {n} client(s) | p50 {pct(lat, .5) * 1000:.1f} ms · p99 {pct(lat, .99) * 1000:.1f} ms | "
                   f"{len(lat) / wall:.0f} pages/s, {len(errs)} errors, server RSS peak {sampler.peak / 1024:.1f} MiB |")
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
    body = (f"Measured by `scripts/bench/api` on {time.strftime('%Y-%m-%d')} (warehouse `{a.db}`, generated; the job: every "
            f"container's CID ({len(cids):,}), history + upstream_history + materials; release build; Python clients on the same "
            f"2-core machine; load average {loadavg()} at the end):\n\n| what | figure | note |\n|---|---|---|\n" + "\n".join(out))
    print(body)
    if a.readme:
        write_readme_section(a.readme, "api", body)


main()
