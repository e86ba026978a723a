#!/usr/bin/env python3
"""MSD benchmark (scripts/bench/msd/run drives it): on an MSD spool without helper tables,
   1. `tracespool msd prepare`   — what `run` does at the end of an MSD job: build the per-job
                                   helper tables, compute and store the unmasked summary
   2. DuckDB running the same summary SQL over the same rows (exported once to a DuckDB file)
   3. a masked summary (loss-reason mask; type + package mask), tracespool and DuckDB
   4. detail pages (default view, a deep page, another sort key) and the CSV export
Runs are interleaved (tracespool, then DuckDB, per round) so both see the same host load.
Medians of BENCH_RUNS rounds; the table goes to stdout and into README.md (bench:msd markers)."""
import argparse, json, os, re, shutil, sqlite3, statistics, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import fmt_mib, loadavg, median, run_measured, write_readme_section  # noqa: E402


def inproc(stderr, op):
    m = re.search(rf"msd {op} seconds=([0-9.]+)", stderr)
    return float(m.group(1)) if m else None


def duckdb_version(python):
    return subprocess.run([python, "-c", "import duckdb; print(duckdb.__version__)"], capture_output=True, text=True).stdout.strip()


def spool_sizes(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    q = lambda sql: db.execute(sql).fetchone()[0]
    has = lambda t: q(f"SELECT count(*) FROM sqlite_master WHERE name = '{t}'") > 0
    out = {
        "lots": q("SELECT count(DISTINCT CONTAINERID) FROM msd_detection"),
        "detection_rows": q("SELECT count(*) FROM msd_detection"),
        "lineage_cids": q("SELECT count(*) FROM lineage_nodes"),
        "lineage_rows": q("SELECT count(*) FROM lineage_ancestors") + q("SELECT count(*) FROM lineage_descendants"),
        "direction": q("SELECT value FROM meta WHERE key = 'msd.direction'"),
        "stations": q("SELECT value FROM meta WHERE key = 'msd.stations'"),
        "source": q("SELECT coalesce((SELECT value FROM meta WHERE key = 'synthetic'), 'tracespool run')"),
    }
    for t in ("ev_upstream_history", "ev_materials", "ev_downstream_rejects"):
        out[t] = q(f"SELECT count(*) FROM {t}") if has(t) else 0
    top = db.execute("""SELECT coalesce(nullif(trim(LOSSREASONNAME), ''), '(未填寫)') r, sum(REJECTQTY) q FROM msd_detection
                        WHERE REJECTQTY > 0 GROUP BY r ORDER BY q DESC LIMIT 2""").fetchall()
    out["top_reasons"] = [r[0] for r in top]
    out["pj"] = db.execute("SELECT trim(PJ_TYPE) FROM msd_detection GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    out["pkg"] = db.execute("SELECT trim(PRODUCTLINENAME) FROM msd_detection GROUP BY 1 ORDER BY count(*) DESC LIMIT 2").fetchall()
    out["pkg"] = [r[0] for r in out["pkg"]]
    db.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--spool", action="append", required=True,
                    help="LABEL=PATH of a backward MSD spool without helper tables (repeatable)")
    ap.add_argument("--forward-spool")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--python", default=sys.executable, help="python with duckdb")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--readme")
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    sections = ["### MSD aggregation (`scripts/bench/msd/run`)", ""]
    for i, spec in enumerate(a.spool):
        label, path = spec.split("=", 1)
        sections += measure_spool(a, label, path, a.forward_spool if i == len(a.spool) - 1 else None, i)
    sections += ["Targets: summary ≤ DuckDB's time · masked summary < 1 s · detail page < 50 ms · peak RSS ≤ 64 MiB."]
    if a.note:
        sections += ["", a.note]
    body = "\n".join(sections)
    print(body)
    if a.readme:
        write_readme_section(a.readme, "msd", body)


def measure_spool(a, label, spool, forward_spool, index):
    a = argparse.Namespace(**{**vars(a), "spool": spool, "forward_spool": forward_spool})
    here = os.path.dirname(os.path.abspath(__file__))
    duck = [a.python, os.path.join(here, "duckdb_summary.py")]
    sizes = spool_sizes(a.spool)
    env = {"TRACESPOOL_MSD_TIMING": "1"}

    duckfile = os.path.join(a.workdir, f"msd-{index}.duckdb")
    print(f"== {label}: exporting the spool's rows to {duckfile}", file=sys.stderr)
    exp = run_measured(duck + ["export", a.spool, duckfile])
    if exp["rc"] != 0:
        sys.exit(exp["stderr"])

    reason_mask = ",".join(sizes["top_reasons"])
    pop_args = ["--pj-types", sizes["pj"], "--packages", ",".join(sizes["pkg"])]
    work = os.path.join(a.workdir, f"work-{index}.sqlite")
    R = {k: [] for k in ["prep", "prep_in", "prep_rss", "duck", "duck_in", "duck_rss", "stored", "recomp", "mr", "mr_in", "mr_rss",
                         "dmr", "dmr_in", "mp", "mp_in", "dmp", "dmp_in", "d1", "d1_in", "d1_rss", "dd", "dd_in", "ds", "ds_in",
                         "csv", "csv_rss", "f_prep", "f_prep_in", "f_prep_rss", "f_mr", "f_mr_in", "f_d1", "f_d1_in", "load"]}
    check = None
    for i in range(a.runs):
        print(f"== {label}: round {i + 1}/{a.runs} (load {loadavg()})", file=sys.stderr)
        R["load"].append(float(loadavg()))
        for ext in ("", "-wal", "-shm"):
            if os.path.exists(work + ext):
                os.remove(work + ext)
        shutil.copyfile(a.spool, work)

        r = run_measured([a.bin, "msd", "prepare", work], env=env)
        assert r["rc"] == 0, r["stderr"]
        R["prep"].append(r["wall"]); R["prep_in"].append(inproc(r["stderr"], "prepare")); R["prep_rss"].append(r["rss_kib"])
        d = run_measured(duck + ["summary", duckfile])
        assert d["rc"] == 0, d["stderr"]
        dj = json.loads(d["stdout"])
        R["duck"].append(d["wall"]); R["duck_in"].append(dj["seconds"]); R["duck_rss"].append(d["rss_kib"])

        r = run_measured([a.bin, "msd", "summary", work, "--recompute"], env=env, stdout_to="devnull")
        R["recomp"].append(inproc(r["stderr"], "summary"))
        r = run_measured([a.bin, "msd", "summary", work], env=env)
        R["stored"].append(inproc(r["stderr"], "summary"))
        ours = json.loads(r["stdout"])
        if check is None:  # the two engines must agree
            mine = [[x["name"], x["lot_count"], x["defect_qty"], x["input_qty"]] for x in ours["charts"]["by_machine"]]
            theirs = [[x[0], x[1], x[2], x[3]] for x in dj["by_machine"]]
            same = [m[0] for m in mine] == [t[0] for t in theirs] and all(
                m[1] == t[1] and abs(m[2] - t[2]) < 1e-6 and abs(m[3] - t[3]) < 1e-6 for m, t in zip(mine, theirs))
            same = same and ours["kpi"]["total_defect_qty"] == dj["kpi"]["total_defect_qty"] \
                and ours["detail_total_count"] == dj["detail_total_count"] \
                and ours["kpi"]["affected_machine_count"] == dj["kpi"]["affected_machine_count"]
            check = "agree" if same else "DISAGREE"
            if not same:
                print("tracespool:", mine, ours["kpi"], file=sys.stderr)
                print("duckdb:    ", theirs, dj["kpi"], file=sys.stderr)

        r = run_measured([a.bin, "msd", "summary", work, "--loss-reasons", reason_mask], env=env, stdout_to="devnull")
        R["mr"].append(r["wall"]); R["mr_in"].append(inproc(r["stderr"], "summary")); R["mr_rss"].append(r["rss_kib"])
        d = run_measured(duck + ["summary", duckfile, "--loss-reasons", reason_mask])
        R["dmr"].append(d["wall"]); R["dmr_in"].append(json.loads(d["stdout"])["seconds"])
        r = run_measured([a.bin, "msd", "summary", work] + pop_args, env=env, stdout_to="devnull")
        R["mp"].append(r["wall"]); R["mp_in"].append(inproc(r["stderr"], "summary"))
        d = run_measured(duck + ["summary", duckfile] + pop_args)
        R["dmp"].append(d["wall"]); R["dmp_in"].append(json.loads(d["stdout"])["seconds"])

        r = run_measured([a.bin, "msd", "detail", work, "--page-size", "20"], env=env, stdout_to="devnull")
        R["d1"].append(r["wall"]); R["d1_in"].append(inproc(r["stderr"], "detail")); R["d1_rss"].append(r["rss_kib"])
        r = run_measured([a.bin, "msd", "detail", work, "--page", "2000", "--page-size", "20"], env=env, stdout_to="devnull")
        R["dd"].append(r["wall"]); R["dd_in"].append(inproc(r["stderr"], "detail"))
        r = run_measured([a.bin, "msd", "detail", work, "--page-size", "20", "--sort-by", "input_qty", "--order", "asc",
                          "--loss-reasons", reason_mask], env=env, stdout_to="devnull")
        R["ds"].append(r["wall"]); R["ds_in"].append(inproc(r["stderr"], "detail"))
        r = run_measured([a.bin, "msd", "export", work, "-o", os.path.join(a.workdir, "detail.csv")], env=env)
        R["csv"].append(r["wall"]); R["csv_rss"].append(r["rss_kib"])

        if a.forward_spool:
            fwork = os.path.join(a.workdir, "work-forward.sqlite")
            for ext in ("", "-wal", "-shm"):
                if os.path.exists(fwork + ext):
                    os.remove(fwork + ext)
            shutil.copyfile(a.forward_spool, fwork)
            r = run_measured([a.bin, "msd", "prepare", fwork], env=env)
            assert r["rc"] == 0, r["stderr"]
            R["f_prep"].append(r["wall"]); R["f_prep_in"].append(inproc(r["stderr"], "prepare")); R["f_prep_rss"].append(r["rss_kib"])
            fsz = spool_sizes(fwork)
            r = run_measured([a.bin, "msd", "summary", fwork, "--loss-reasons", ",".join(fsz["top_reasons"])], env=env, stdout_to="devnull")
            R["f_mr"].append(r["wall"]); R["f_mr_in"].append(inproc(r["stderr"], "summary"))
            r = run_measured([a.bin, "msd", "detail", fwork, "--page-size", "20"], env=env, stdout_to="devnull")
            R["f_d1"].append(r["wall"]); R["f_d1_in"].append(inproc(r["stderr"], "detail"))

    M = {k: median(v) for k, v in R.items()}
    s = lambda x: "—" if x is None else (f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s")
    rows = [
        ("summary at the end of `run`: build helper tables + compute + store (`msd prepare`)", M["prep_in"], M["prep"], M["prep_rss"],
         f"DuckDB, same summary SQL: {s(M['duck_in'])} in-query · {s(M['duck'])} process · {fmt_mib(M['duck_rss'])} MiB"),
        ("summary computed from the per-job tables (no masks, `--recompute`)", M["recomp"], None, None,
         f"DuckDB, same summary SQL: {s(M['duck_in'])} in-query"),
        ("stored summary, read back (`msd summary`)", M["stored"], None, None, ""),
        (f"masked summary, loss reasons = {reason_mask}", M["mr_in"], M["mr"], M["mr_rss"],
         f"DuckDB: {s(M['dmr_in'])} in-query · {s(M['dmr'])} process"),
        (f"masked summary, type {sizes['pj']} + packages {','.join(sizes['pkg'])}", M["mp_in"], M["mp"], None,
         f"DuckDB: {s(M['dmp_in'])} in-query · {s(M['dmp'])} process"),
        ("detail page 1 (20 rows, default sort)", M["d1_in"], M["d1"], M["d1_rss"], ""),
        ("detail page 2000 (rows 39 981–40 000, default sort)", M["dd_in"], M["dd"], None, ""),
        ("detail page 1, sort input_qty asc, loss-reason mask", M["ds_in"], M["ds"], None, ""),
        ("CSV export of the whole detail", None, M["csv"], M["csv_rss"], ""),
    ]
    if a.forward_spool:
        rows += [
            ("forward spool: `msd prepare`", M["f_prep_in"], M["f_prep"], M["f_prep_rss"], ""),
            ("forward spool: masked summary (loss reasons)", M["f_mr_in"], M["f_mr"], None, ""),
            ("forward spool: detail page 1", M["f_d1_in"], M["f_d1"], None, ""),
        ]
    lines = [
        f"| {label} | in-process | process wall | peak RSS MiB | comparison |",
        "|---|---:|---:|---:|---|",
    ] + [f"| {n} | {s(i)} | {s(w)} | {fmt_mib(m)} | {c} |" for n, i, w, m, c in rows]
    loads = ", ".join(f"{x:.1f}" for x in R["load"])
    made = (f"made by `{sizes['source']}` (synthetic, written straight into SQLite, no PostgreSQL)" if sizes["source"] != "tracespool run"
            else "made by `tracespool run` from a generated warehouse (the real pipeline)")
    return [
        f"**{label}** — {sizes['lots']:,} detection lots ({sizes['detection_rows']:,} detection rows), {sizes['lineage_cids']:,} lineage CIDs, "
        f"{sizes['lineage_rows']:,} lineage rows, {sizes['ev_upstream_history']:,} upstream-history and {sizes['ev_materials']:,} material rows; "
        f"{made}. Medians of {a.runs} rounds, tracespool (release build) and DuckDB {duckdb_version(a.python)} interleaved in each "
        f"round; host load averages at the start of the rounds: {loads} (2 shared cores). In-process = the operation after the spool is "
        f"open (`TRACESPOOL_MSD_TIMING=1`); process wall includes start-up. DuckDB times exclude the one-off export ({s(exp['wall'])}); "
        f"its RSS includes the Python interpreter. The two engines' KPI, affected machines, `by_machine` and detail counts: **{check}**.",
        "", *lines, "",
    ]


if __name__ == "__main__":
    main()
