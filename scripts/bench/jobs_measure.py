"""scripts/bench/jobs: the job store's overhead, the cost of resuming a killed job, and the cancel
latency during a long warehouse statement. Real processes, a real PostgreSQL, real kill -9."""
import argparse, json, os, shutil, signal, sqlite3, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(__file__))
from benchlib import median, loadavg, write_readme_section, fmt_s


def sh(cmd, env=None, check=True):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)
    if check and p.returncode not in (0, 3):
        sys.exit(f"{cmd}: exit {p.returncode}: {p.stderr.decode()[-2000:]}")
    return p


def psql(db, sql):
    return subprocess.run(["psql", "-X", "-At", "-d", db, "-c", sql], check=True, stdout=subprocess.PIPE).stdout.decode().strip()


def catalog_job(folder, job):
    try:
        c = sqlite3.connect(f"file:{folder}/catalog.sqlite?mode=ro", uri=True, timeout=5)
        row = c.execute("SELECT state, stage, pct FROM jobs WHERE id = ?", (job,)).fetchone()
        c.close()
        return row
    except sqlite3.Error:
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--readme")
    a = ap.parse_args()
    source = f"host={os.environ['PGHOST']} dbname={a.db}"
    env = {"TRACESPOOL_LEASE_SECONDS": "1", "TRACESPOOL_LOG_LEVEL": "error"}
    work = tempfile.mkdtemp(prefix="bench-jobs-", dir=os.getcwd() + "/.bench")
    rows = []

    # 1. Store overhead: N submits, then one worker runs the N one-CID jobs.
    cids = psql(a.db, f"SELECT string_agg(btrim(containerid), ',') FROM (SELECT containerid FROM dwh.dw_mes_container ORDER BY 1 LIMIT {a.jobs}) x").split(",")
    folder = f"{work}/store"
    t0 = time.perf_counter()
    for c in cids:
        sh([a.bin, "submit", "--new", "--cids", c, "--domains", "history", "--spool-dir", folder], env)
    submit_wall = time.perf_counter() - t0
    t0 = time.perf_counter()
    sh([a.bin, "worker", "--once", "--poll-ms", "10", "--source", source, "--spool-dir", folder], env)
    worker_wall = time.perf_counter() - t0
    done = sqlite3.connect(f"{folder}/catalog.sqlite").execute("SELECT count(*) FROM jobs WHERE state = 'succeeded'").fetchone()[0]
    rows.append(f"| submit {len(cids)} jobs (one `tracespool submit` process each) | {fmt_s(submit_wall)} s | "
                f"{submit_wall / len(cids) * 1000:.1f} ms per job, process start included |")
    rows.append(f"| one worker runs them ({done} succeeded; claim, snapshot, spool, 1 batch, finish) | {fmt_s(worker_wall)} s | "
                f"{worker_wall / len(cids) * 1000:.1f} ms per job |")
    shutil.rmtree(folder, ignore_errors=True)

    # 2. Resume: a job killed at 50 % of its events, resumed by a fresh worker, vs the same job clean.
    lots = psql(a.db, "SELECT string_agg(containername, ',') FROM (SELECT containername FROM dwh.dw_mes_container "
                      "WHERE containername LIKE 'GA%' ORDER BY 1 LIMIT 2000) x")
    args = ["--lot-ids", lots, "--domains", "history,materials,rejects,holds", "--cid-batch", "200"]
    clean, resumed, killed_at = [], [], []
    for r in range(a.runs):
        folder = f"{work}/resume-{r}"
        t0 = time.perf_counter()
        sh([a.bin, "run", "--source", source, "--spool-dir", folder] + args, env)
        clean.append(time.perf_counter() - t0)
        job = json.loads(sh([a.bin, "submit", "--new", "--json", "--spool-dir", folder] + args, env).stdout)["job_id"]
        w = subprocess.Popen([a.bin, "worker", "--once", "--source", source, "--spool-dir", folder],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **env})
        t0 = time.perf_counter()
        while True:
            row = catalog_job(folder, job)
            if row and row[1] == "events" and (row[2] or 0) >= 50:
                break
            if w.poll() is not None:
                break
            time.sleep(0.005)
        first = time.perf_counter() - t0
        w.send_signal(signal.SIGKILL)
        w.wait()
        killed_at.append(catalog_job(folder, job)[2] or 0)
        time.sleep(1.2)  # the lease expires
        t1 = time.perf_counter()
        sh([a.bin, "worker", "--once", "--source", source, "--spool-dir", folder], env)
        resumed.append(time.perf_counter() - t1)
        state = catalog_job(folder, job)[0]
        if state != "succeeded":
            sys.exit(f"resumed job {job} is {state}")
        shutil.rmtree(folder, ignore_errors=True)
    c, rz = median(clean), median(resumed)
    rows.append(f"| clean run of a 2 000-lot query_tool job, 4 domains (median of {a.runs}) | {fmt_s(c)} s | |")
    rows.append(f"| the same job killed (kill -9) once {median(killed_at):.0f} % of its event batches were committed "
                f"(catalog pct), then resumed by a new worker: the resume | {fmt_s(rz)} s | {rz / c * 100:.0f} % of a clean run's wall "
                f"(seeds and lineage are kept; history and materials, the big domains, were done) |")

    # 3. Cancel latency while one warehouse statement sleeps 60 s.
    gdb = "bench_cancel_gate"
    psql("postgres", f"DROP DATABASE IF EXISTS {gdb}")
    psql("postgres", f"CREATE DATABASE {gdb}")
    root = os.environ.get("TRACESPOOL_ROOT", os.getcwd())
    subprocess.run(["psql", "-X", "-q", "-d", gdb, "-f", f"{root}/scripts/warehouse/schema.sql",
                    "-f", f"{root}/scripts/warehouse/indexes-minimal.sql"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["psql", "-X", "-q", "-d", gdb, "-v", "ON_ERROR_STOP=1"], check=True, input=b"""
        INSERT INTO dwh.dw_mes_container (containerid, containername) VALUES ('c000', 'LOT-0'), ('c001', 'LOT-1');
        INSERT INTO dwh.dw_mes_lotwiphistory (containerid, workcentername, equipmentid, trackintimestamp, trackinqty)
          VALUES ('c000', 'TMTT-01', 'EQ1', '2026-01-01', 1), ('c001', 'TMTT-01', 'EQ1', '2026-01-01', 1);
        CREATE FUNCTION dwh.gate(cid bpchar) RETURNS boolean LANGUAGE plpgsql AS $$
          BEGIN IF cid = 'c001' THEN PERFORM pg_sleep(60); END IF; RETURN true; END $$;
        ALTER TABLE dwh.dw_mes_lotwiphistory ENABLE ROW LEVEL SECURITY;
        CREATE POLICY gate ON dwh.dw_mes_lotwiphistory USING (dwh.gate(containerid));
        GRANT USAGE ON SCHEMA dwh TO tracespool_reader; GRANT SELECT ON ALL TABLES IN SCHEMA dwh TO tracespool_reader;
        """, stdout=subprocess.DEVNULL)
    latencies = []
    for r in range(a.runs):
        folder = f"{work}/cancel-{r}"
        job = json.loads(sh([a.bin, "submit", "--new", "--json", "--cids", "c000,c001", "--domains", "history",
                             "--spool-dir", folder], env).stdout)["job_id"]
        w = subprocess.Popen([a.bin, "worker", "--once", "--source", f"host={os.environ['PGHOST']} dbname={gdb} user=tracespool_reader",
                              "--spool-dir", folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **env})
        while (catalog_job(folder, job) or ("", "", 0))[1] != "events":
            time.sleep(0.01)
        time.sleep(1.0)
        o = json.loads(sh([a.bin, "jobs", "cancel", job, "--wait", "--json", "--spool-dir", folder], env).stdout)
        if o["state"] != "cancelled":
            sys.exit(f"cancel: {o}")
        latencies.append(o["waited_seconds"])
        w.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    psql("postgres", f"DROP DATABASE IF EXISTS {gdb} WITH (FORCE)")
    rows.append(f"| `jobs cancel --wait` while a warehouse statement sleeps 60 s (median of {a.runs}) | "
                f"{median(latencies):.2f} s | request → `cancelled`, PQcancel of the statement in flight |")
    shutil.rmtree(work, ignore_errors=True)

    body = (f"Measured by `scripts/bench/jobs` on {time.strftime('%Y-%m-%d')} (warehouse `{a.db}`, generated, "
            f"release build, load average {loadavg()} at the end):\n\n| what | wall | note |\n|---|---:|---|\n" + "\n".join(rows))
    print(body)
    if a.readme:
        write_readme_section(a.readme, "jobs", body)


main()
