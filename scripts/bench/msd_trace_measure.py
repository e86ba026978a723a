#!/usr/bin/env python3
"""Incident-sized MSD trace benchmark driver (called by scripts/bench/msd-trace): `tracespool run
--profile mid_section_defect --station 測試 --from … --to …` (backward, default domains) on the
120 000-lot warehouse; seconds per stage (from --json stage_seconds) and the whole job's peak RSS
(/usr/bin/time -v), medians of N runs.

  msd_trace_measure.py --bin TRACESPOOL --db wh120k [--runs 3] [--windows FROM:TO,…]
                       [--target-lots 70000] [--readme README.md]

Without --windows the window is tuned: it ends on the last day of the generated data and starts on
the day that makes the number of lots tracked in at the detection station closest to
--target-lots; the whole data span (the largest window there is, for the most CIDs) runs too.
"""
import argparse, datetime, json, os, shutil, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import (run_measured, median, loadavg, write_readme_section, fmt_s, fmt_mib, die, logged_copies,
                      pgoptions)

STAGE_ORDER = ["seeds", "detection", "lineage", "events", "resources"]
# Lots that tracked in at the 測試 group: the substring test of StationGroup (TMTT or 測試).
STATION = "(strpos(upper(h.workcentername), 'TMTT') > 0 OR strpos(upper(h.workcentername), '測試') > 0)"


def psql(db, sql):
    return subprocess.run(["psql", "-X", "-tA", "-F", "|", "-d", db, "-c", sql], check=True,
                          capture_output=True, text=True).stdout


def capture_floor(a, window, work):
    """Runs the job of `window` once with statement logging on and writes its warehouse statements
    (every `COPY (…) TO STDOUT`, in the order sent, literals included) into two psql scripts, one
    per fetch connection in turn; returns (scripts, statement count, PGOPTIONS of the job's session
    settings). Replaying them is the source floor of the job's queries: the same statements, no
    client work."""
    log = os.path.join(a.pg_dir, "server.log")
    offset = os.path.getsize(log)
    spool = os.path.join(work, "capture-spool")
    shutil.rmtree(spool, ignore_errors=True)
    subprocess.run([a.bin, "run", "--profile", "mid_section_defect", "--station", "測試", "--from", window[0],
                    "--to", window[1], "--source", f"dbname={a.db}", "--spool-dir", spool, "--json"], check=True,
                   stdout=subprocess.DEVNULL, env=dict(os.environ, PGOPTIONS="-c log_statement=all"))
    shutil.rmtree(spool, ignore_errors=True)
    with open(log, "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    stmts, settings = logged_copies(text)
    if not stmts:
        die("captured no COPY statement of the MSD job; server log format changed?")
    scripts = [os.path.join(work, f"floor-{k}.sql") for k in (0, 1)]
    outs = [open(s, "w") for s in scripts]
    for i, sql in enumerate(stmts):
        outs[i % 2].write("COPY (\n" + sql + "\n) TO STDOUT;\n")
    for o in outs:
        o.close()
    return scripts, len(stmts), pgoptions(settings)


def replay_floor(a, scripts, options):
    cmd = " & ".join(f'psql -X -q -d "$0" -f "{s}"' for s in scripts) + "; wait"
    r = run_measured(["sh", "-c", cmd, a.db], stdout_to="devnull", env={"PGOPTIONS": options})
    if r["rc"] != 0:
        die(f"floor replay failed (rc {r['rc']}):\n{r['stderr']}")
    return r["wall"]


def tune_windows(db, targets):
    """Windows ending on the last day closest to each target count of detection lots, then the
    whole span."""
    rows = psql(db, f"""
        WITH last AS (
          SELECT h.containerid, max(h.trackintimestamp)::date AS d
          FROM dwh.dw_mes_lotwiphistory h
          WHERE h.equipmentid IS NOT NULL AND h.trackintimestamp IS NOT NULL AND {STATION}
          GROUP BY 1)
        SELECT d, count(*) FROM last GROUP BY d ORDER BY d DESC""").split()
    per_day = [(datetime.date.fromisoformat(r.split("|")[0]), int(r.split("|")[1])) for r in rows]
    if not per_day:
        die("no lot ever tracked in at 測試: is this a generated warehouse?")
    span = psql(db, f"""SELECT min(h.trackintimestamp)::date, max(h.trackintimestamp)::date
                        FROM dwh.dw_mes_lotwiphistory h WHERE h.equipmentid IS NOT NULL AND {STATION}""").strip().split("|")
    first, last = datetime.date.fromisoformat(span[0]), datetime.date.fromisoformat(span[1])
    windows = []
    for target in targets:
        best, acc, best_gap = last, 0, None
        for d, n in per_day:  # newest first: lots whose latest station track-in is on or after d
            acc += n
            gap = abs(acc - target)
            if best_gap is None or gap < best_gap:
                best, best_gap = d, gap
        windows.append((best.isoformat(), last.isoformat()))
    return windows + [(first.isoformat(), last.isoformat())]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--pg-dir", default="", help="the cluster's folder (its server.log): measure the source floor")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--windows", default="")
    ap.add_argument("--target-lots", default="10000,70000",
                    help="detection-lot counts of the tuned windows (the smallest is the scaling base)")
    ap.add_argument("--work", default=".bench/msd-trace")
    ap.add_argument("--readme")
    ap.add_argument("--section", default="msd-trace", help="the README's bench:SECTION markers")
    ap.add_argument("--warehouse", default="", help="what the warehouse is (a sentence for the README)")
    ap.add_argument("--report-only", action="store_true", help="rebuild the table from the last results.json")
    a = ap.parse_args()
    work = os.path.abspath(a.work)
    os.makedirs(work, exist_ok=True)
    results = os.path.join(work, "results.json")
    if a.report_only:
        saved = json.load(open(results))
        samples = {tuple(k.split("..")): v for k, v in saved["samples"].items()}
        report(a, samples, saved["started"], saved["head"], saved["load"], saved.get("floor"))
        return
    if a.windows:
        windows = [tuple(w.split(":")) for w in a.windows.split(",")]
    else:
        windows = tune_windows(a.db, [int(t) for t in str(a.target_lots).split(",")])
    started = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    head = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    load_before = loadavg()

    samples = {w: [] for w in windows}
    # The source floor of the largest window's queries, replayed after every round of jobs.
    floor = None
    if a.pg_dir:
        print(f"== capturing the warehouse statements of {windows[-1][0]}..{windows[-1][1]}", file=sys.stderr)
        scripts, count, options = capture_floor(a, windows[-1], work)
        floor = {"window": list(windows[-1]), "statements": count, "walls": []}
    for rep in range(a.runs):
        for w in windows:
            spool = os.path.join(work, f"spool-{rep}")
            shutil.rmtree(spool, ignore_errors=True)
            r = run_measured([a.bin, "run", "--profile", "mid_section_defect", "--station", "測試",
                              "--from", w[0], "--to", w[1], "--source", f"dbname={a.db}", "--spool-dir", spool,
                              "--json"])
            shutil.rmtree(spool, ignore_errors=True)
            if r["rc"] != 0:
                die(f"msd trace {w} failed (rc {r['rc']}):\n{r['stderr']}")
            j = json.loads(r["stdout"])
            r["json"] = j
            samples[w].append(r)
            st = j.get("stage_seconds", {})
            print(f"   rep {rep + 1} {w[0]}..{w[1]}: wall {r['wall']:.1f} s, rss {r['rss_kib'] / 1024:.1f} MiB, "
                  f"lots {j.get('detection_lot_count')}, cids {j.get('cid_count')}, stages "
                  + " ".join(f"{k}={v:.1f}" for k, v in st.items()) + f", load {loadavg()}", file=sys.stderr)
        if floor is not None:
            floor["walls"].append(replay_floor(a, scripts, options))
            print(f"   rep {rep + 1} source floor: {floor['walls'][-1]:.1f} s ({count} statements)", file=sys.stderr)
    load = [load_before, loadavg()]
    samples = {w: [{k: x[k] for k in ("wall", "rss_kib", "user", "sys", "json")} for x in v] for w, v in samples.items()}
    json.dump({"started": started, "head": head, "load": load, "floor": floor,
               "samples": {f"{w[0]}..{w[1]}": v for w, v in samples.items()}}, open(results, "w"), indent=1)
    report(a, samples, started, head, load, floor)


def scaling(samples, floor=None):
    """Performance goals of the whole span against the smallest window: the whole MSD job ≤ 40 s
    and ≤ 48 MiB, and lineage and aggregation per CID within 1.3× of their cost at the smallest
    window (linear scaling)."""
    def per_cid(v, stage):
        return median(x["json"].get("stage_seconds", {}).get(stage, 0) / max(1, x["json"].get("cid_count") or 1) for x in v)
    keys = sorted(samples, key=lambda w: median(x["json"].get("cid_count") or 0 for x in samples[w]))
    small, big = samples[keys[0]], samples[keys[-1]]
    wall = median(x["wall"] for x in big)
    rss = median(x["rss_kib"] for x in big)
    beside = ""
    if floor and floor.get("walls"):
        fw = median(floor["walls"])
        beside = (f"; the source floor of its queries — its {floor['statements']:,} warehouse statements replayed by"
                  f" psql to /dev/null on 2 connections — {fmt_s(fw)} s, so the job is {wall / fw:.2f}× its floor")
    out = [f"whole MSD job ≤ 40 s — {'met' if wall <= 40 else 'missed'} ({fmt_s(wall)} s{beside})",
           f"≤ 48 MiB — {'met' if rss <= 48 * 1024 else 'missed'} ({fmt_mib(rss)} MiB)"]
    n0 = median(x["json"].get("cid_count") or 0 for x in small)
    n1 = median(x["json"].get("cid_count") or 0 for x in big)
    for stage in ("lineage", "aggregate"):
        a, b = per_cid(small, stage), per_cid(big, stage)
        if a > 0:
            out.append(f"{stage} per CID at {n1:,.0f} CIDs ≤ 1.3× its cost at {n0:,.0f} — "
                       f"{'met' if b <= 1.3 * a else 'missed'} ({b / a:.2f}×: {a * 1e6:.0f} → {b * 1e6:.0f} µs per CID)")
    return "Performance goals (whole span) — " + "; ".join(out) + "."


def report(a, samples, started, head, load, floor=None):
    load_before, load_after = load

    stages = list(STAGE_ORDER)
    for v in samples.values():
        for s in v:
            for k in s["json"].get("stage_seconds", {}):
                if k not in stages:
                    stages.append(k)
    lines = [
        f"MSD trace (`scripts/bench/msd-trace`, {started}, tree {head or '?'}): `tracespool run --profile mid_section_defect",
        "--station 測試 --from … --to …` (backward, default domains upstream_history + materials) on the",
        f"120 000-lot warehouse ({a.warehouse or a.db}); medians of {a.runs} runs; stage seconds",
        "from `--json` `stage_seconds`, peak RSS of the whole job from `/usr/bin/time -v`. 2 cores shared",
        f"with other engineers' builds and tests (load average {load_before} at the start, {load_after} at the end),",
        "PostgreSQL 15 on the same cores. `detection` builds the detection table of the seeds (the",
        "reference counted that work in its 39 s seed resolution).",
        "",
        "| window | detection lots | CIDs | event rows | " + " | ".join(f"{s} s" for s in stages)
        + " | seeds+lineage s | seeds+detection+lineage s | wall s | peak RSS MiB |",
        "|---|---:|---:|---|" + "---:|" * len(stages) + "---:|---:|---:|---:|",
    ]
    verdicts = []
    for w, v in samples.items():
        j = v[0]["json"]
        rows = j.get("rows", {})
        per = {s: median(x["json"].get("stage_seconds", {}).get(s) for x in v) for s in stages}
        front = median(sum(x["json"].get("stage_seconds", {}).get(s, 0) for s in ("seeds", "detection", "lineage")) for x in v)
        strict = median(sum(x["json"].get("stage_seconds", {}).get(s, 0) for s in ("seeds", "lineage")) for x in v)
        wall = median(x["wall"] for x in v)
        rss = median(x["rss_kib"] for x in v)
        lines.append(f"| {w[0]} … {w[1]} | {j.get('detection_lot_count', 0):,} | {j.get('cid_count', 0):,} | "
                     + ", ".join(f"{d} {rows[d]:,}" for d in sorted(rows, key=lambda d: -rows[d])) + " | "
                     + " | ".join(fmt_s(per[s]) for s in stages)
                     + f" | {fmt_s(strict)} | {fmt_s(front)} | {fmt_s(wall)} | {fmt_mib(rss)} |")
        verdicts.append(f"{w[0]} … {w[1]}: peak RSS ≤ 64 MiB {'met' if rss <= 64 * 1024 else 'missed'} "
                        f"({fmt_mib(rss)} MiB); seed + lineage < 30 s {'met' if front < 30 else 'missed'} "
                        f"with detection counted as seed resolution ({fmt_s(front)} s), "
                        f"{'met' if strict < 30 else 'missed'} without it ({fmt_s(strict)} s)")
    lines.append("")
    lines.append("Targets — " + "; ".join(verdicts) + ".")
    lines.append("")
    lines.append(scaling(samples, floor))
    table = "\n".join(lines)
    print(table)
    if a.readme:
        write_readme_section(a.readme, a.section, table)


if __name__ == "__main__":
    main()
