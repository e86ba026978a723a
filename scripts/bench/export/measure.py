#!/usr/bin/env python3
"""Runs each exporter on one spool and measures it: wall time, time to first byte on stdout,
bytes, rows/s, MB/s and peak RSS (GNU time -v). Medians of N runs. Prints a markdown table and,
with --readme, writes it between the README markers of "Benchmarks → export".

  measure.py --bin tracespool --spool SPOOL.sqlite [--runs 3] [--readme README.md]
"""
import argparse, json, os, re, shutil, sqlite3, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
START, END = "<!-- bench:export:start -->", "<!-- bench:export:end -->"


def run_once(cmd):
    """Streams cmd's stdout into nothing; returns (ttfb s, wall s, bytes, peak RSS KiB, CPU s)."""
    with tempfile.NamedTemporaryFile(prefix="bench-time-", delete=False) as f:
        timing = f.name
    full = ["/usr/bin/time", "-v", "-o", timing] + cmd
    t0 = time.perf_counter()
    p = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
    fd = p.stdout.fileno()
    first = None
    total = 0
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        if first is None:
            first = time.perf_counter()
        total += len(chunk)
    rc = p.wait()
    wall = time.perf_counter() - t0
    text = open(timing).read()
    os.unlink(timing)
    if rc != 0:
        sys.exit(f"failed ({rc}): {' '.join(cmd)}\n{text}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    cpu = sum(float(re.search(rf"{k} time \(seconds\): ([0-9.]+)", text).group(1)) for k in ("User", "System"))
    return ((first or time.perf_counter()) - t0, wall, total, rss, cpu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--spool", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--readme")
    ap.add_argument("--note", default="")
    a = ap.parse_args()

    db = sqlite3.connect(f"file:{a.spool}?mode=ro", uri=True)
    domains = [r[0] for r in db.execute("SELECT domain FROM domains ORDER BY position")]
    counts = {d: db.execute(f"SELECT count(*) FROM ev_{d}").fetchone()[0] for d in domains}
    cids = db.execute(" UNION ".join(f'SELECT "CONTAINERID" FROM ev_{d}' for d in domains)).fetchall()
    cid_count = len(cids)
    trace_cids = db.execute("SELECT count(*) FROM trace_cids").fetchone()[0]
    cols = {d: [r[1] for r in db.execute(f"PRAGMA table_info(ev_{d})") if r[1] not in ("seq", "batch")] for d in domains}
    db.close()
    rows = sum(counts.values())
    size = os.path.getsize(a.spool)

    def select(d):
        return "SELECT " + ", ".join(f'"{c}"' for c in cols[d]) + f" FROM ev_{d} ORDER BY seq;"

    sql = " ".join(select(d) for d in domains)
    csv_loop = "for d in " + " ".join(domains) + '; do "$0" export "$1" --format csv --domain "$d" || exit; done'
    py = [sys.executable, os.path.join(HERE, "baselines.py"), a.spool]
    cases = [
        ("NDJSON records", "tracespool export", [a.bin, "export", a.spool]),
        ("NDJSON records", "sqlite3 -json", ["sqlite3", "-readonly", "-json", a.spool, sql]),
        ("NDJSON records", "Python json", py + ["json"]),
        ("NDJSON CID layout", "tracespool export --layout cid", [a.bin, "export", a.spool, "--layout", "cid"]),
        ("NDJSON CID layout", "Python json (heapq merge)", py + ["cid"]),
        ("CSV", "tracespool export --format csv", ["sh", "-c", csv_loop, a.bin, a.spool]),
        ("CSV", "sqlite3 -csv", ["sqlite3", "-readonly", "-csv", "-header", a.spool, sql]),
        ("CSV", "Python csv", py + ["csv"]),
    ]
    results = []
    for group, name, cmd in cases:
        samples = [run_once(cmd) for _ in range(a.runs)]
        med = lambda i: statistics.median(s[i] for s in samples)
        ttfb, wall, out_bytes, rss, cpu = med(0), med(1), med(2), max(s[3] for s in samples), med(4)
        results.append(dict(group=group, name=name, ttfb=ttfb, wall=wall, bytes=out_bytes, rss=rss, cpu=cpu))
        print(f"{group:18} {name:34} {wall:7.2f} s ({cpu:6.2f} CPU s)  {rows / wall:11,.0f} rows/s  {out_bytes / wall / 1e6:7.1f} MB/s  "
              f"first byte {ttfb * 1000:6.1f} ms  RSS {rss / 1024:6.1f} MiB", file=sys.stderr)

    lines = [
        f"Spool: {trace_cids:,} trace CIDs ({cid_count:,} with rows), {rows:,} rows "
        f"({', '.join(f'{d} {counts[d]:,}' for d in domains)}), {size / 2**20:,.0f} MiB file. "
        f"Medians of {a.runs} runs; output piped to a reader that discards it; peak RSS from GNU time -v "
        f"(max over runs); CPU = user + system seconds of the exporter (wall time depends on what else "
        f"the 2 cores run; CPU does not). {a.note}".strip(),
        "",
        "| output | exporter | wall s | CPU s | rows/s | MB/s | first byte ms | peak RSS MiB | vs sqlite3 (wall) | vs sqlite3 (CPU) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    base = {r["group"]: r for r in results if r["name"].startswith("sqlite3")}
    base["NDJSON CID layout"] = base.get("NDJSON records")
    for r in results:
        b = base.get(r["group"])
        speed = f"{b['wall'] / r['wall']:.2f}×" if b else ""
        cpu_speed = f"{b['cpu'] / r['cpu']:.2f}×" if b and r["cpu"] > 0 else ""
        lines.append(f"| {r['group']} | `{r['name']}` | {r['wall']:.2f} | {r['cpu']:.2f} | {rows / r['wall']:,.0f} | "
                     f"{r['bytes'] / r['wall'] / 1e6:.1f} | {r['ttfb'] * 1000:.1f} | {r['rss'] / 1024:.1f} | {speed} | {cpu_speed} |")
    table = "\n".join(lines)
    print(table)

    if a.readme:
        block = f"{START}\n{table}\n{END}"
        text = open(a.readme).read() if os.path.exists(a.readme) else ""
        if START in text and END in text:
            text = text[: text.index(START)] + block + text[text.index(END) + len(END):]
        else:
            heading = "### export\n\n" if "\n## Benchmarks" in text else "## Benchmarks\n\n### export\n\n"
            text = text.rstrip("\n") + ("\n\n" if text else "") + heading + block + "\n"
        with open(a.readme, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
