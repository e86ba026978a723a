#!/usr/bin/env python3
"""DuckDB side of the MSD benchmark: the same backward summary SQL (the reference's per-chart
queries, `msd.md` §5, with tracespool's rules: all-lots cohort, upstream cut-off, '(未填寫)' label,
numerator-only reason mask, trimmed type/package masks) over the same rows, exported from the spool.

  duckdb_summary.py export SPOOL DUCKDB_FILE     copy the spool's MSD tables into a DuckDB file
  duckdb_summary.py summary DUCKDB_FILE [--loss-reasons a,b] [--pj-types …] [--packages …] [--cutoff N]
        runs every summary query once; prints {"seconds": …, "by_machine": [...], "kpi": {...}}
"""
import argparse, json, os, subprocess, sys, tempfile, time

import duckdb

TABLES = {
    "msd_detection": {"TRACKINQTY": "DOUBLE", "REJECTQTY": "DOUBLE"},
    "lineage_ancestors": {},
    "lineage_seed_roots": {},
    "ev_upstream_history": {"TRACKINQTY": "DOUBLE"},
    "ev_materials": {"QTYCONSUMED": "DOUBLE"},
    "msd_resources": {},
}
GROUPS = ["切割", "焊接_DB", "焊接_WB", "焊接_DW", "成型", "去膠", "水吹砂", "電鍍", "移印", "切彎腳", "元件切割", "測試"]


def export(spool, target):
    if os.path.exists(target):
        os.remove(target)
    con = duckdb.connect(target)
    with tempfile.TemporaryDirectory() as tmp:
        for table, types in TABLES.items():
            cols = subprocess.run(["sqlite3", spool, f"SELECT name FROM pragma_table_info('{table}') WHERE name NOT IN ('seq', 'batch')"],
                                  check=True, capture_output=True, text=True).stdout.split()
            if not cols:
                continue
            csv = os.path.join(tmp, table + ".csv")
            with open(csv, "w") as f:
                subprocess.run(["sqlite3", "-csv", "-header", spool, f"SELECT {', '.join(chr(34) + c + chr(34) for c in cols)} FROM {table}"],
                               check=True, stdout=f)
            spec = "{" + ", ".join(f"'{c}': '{types.get(c, 'VARCHAR')}'" for c in cols) + "}"
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{csv}', header=true, columns={spec}, nullstr='')")
    con.close()


def summary(db, reasons, pj, pkg, cutoff):
    con = duckdb.connect(db, read_only=True)
    up = ", ".join(f"'{g}'" for g in GROUPS[:cutoff])
    lit = lambda xs: ", ".join("'" + x.replace("'", "''") + "'" for x in xs)
    pop_cond = " AND ".join(c for c in [f"trim(PJ_TYPE) IN ({lit(pj)})" if pj else "", f"trim(PRODUCTLINENAME) IN ({lit(pkg)})" if pkg else ""] if c) or "true"
    reason_cond = f"reason IN ({lit(reasons)})" if reasons else "true"
    t0 = time.perf_counter()
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW pop AS
        SELECT *, CASE WHEN REJECTQTY > 0 THEN coalesce(nullif(trim(LOSSREASONNAME), ''), '(未填寫)') END AS reason
        FROM msd_detection WHERE {pop_cond}""")
    con.execute(f"""CREATE OR REPLACE TEMP VIEW det AS SELECT * FROM pop WHERE reason IS NULL OR {reason_cond}""")
    lk = """lk AS (SELECT p.CONTAINERID AS cid, p.t, coalesce(n.d, 0) AS d FROM
              (SELECT CONTAINERID, max(TRACKINQTY) AS t FROM pop GROUP BY 1) p
              LEFT JOIN (SELECT CONTAINERID, sum(CASE WHEN reason IS NOT NULL THEN REJECTQTY ELSE 0 END) AS d FROM det GROUP BY 1) n USING (CONTAINERID))"""
    pareto = """, agg AS ({inner}), ranked AS (SELECT agg.*, row_number() OVER (ORDER BY defect_qty DESC, nm) AS rn FROM agg)
        SELECT nm, lot_count, defect_qty, input_qty, round(defect_qty * 100.0 / nullif(input_qty, 0), 4),
               round(sum(defect_qty) OVER (ORDER BY rn) * 100.0 / nullif(sum(defect_qty) OVER (), 0), 2)
        FROM ranked WHERE rn <= 10 ORDER BY rn"""
    eq_pairs = f"""pairs AS (SELECT DISTINCT e.WORKCENTER_GROUP AS g, trim(e.EQUIPMENTNAME) AS nm, coalesce(trim(e.EQUIPMENTID), '') AS id, lk.cid, lk.t, lk.d
        FROM lk JOIN lineage_ancestors l ON l.SEED_ID = lk.cid JOIN ev_upstream_history e ON e.CONTAINERID = l.ANCESTOR_ID
        WHERE trim(coalesce(e.EQUIPMENTNAME, '')) <> '' AND e.WORKCENTER_GROUP IN ({up}))"""
    q = {
        "kpi": f"WITH {lk} SELECT count(*), sum(t), sum(CASE WHEN d > 0 THEN 1 ELSE 0 END), sum(d) FROM lk",
        "reasons": "SELECT reason, sum(REJECTQTY) AS q, count(DISTINCT CONTAINERID) FROM det WHERE reason IS NOT NULL GROUP BY 1 ORDER BY q DESC, 1",
        "affected": f"""WITH {lk} SELECT count(DISTINCT nullif(trim(e.EQUIPMENTID), '')) FROM lk JOIN lineage_ancestors l ON l.SEED_ID = lk.cid
             JOIN ev_upstream_history e ON e.CONTAINERID = l.ANCESTOR_ID WHERE lk.d > 0 AND e.WORKCENTER_GROUP IN ({up})
             AND trim(coalesce(e.EQUIPMENTNAME, '')) <> ''""",
        "by_machine": f"""WITH {lk}, {eq_pairs}, mp AS (SELECT DISTINCT nm, cid, t, d FROM pairs)"""
                      + pareto.format(inner="SELECT nm, count(*) AS lot_count, sum(d) AS defect_qty, sum(t) AS input_qty FROM mp GROUP BY nm"),
        "attribution": f"""WITH {lk}, {eq_pairs} SELECT g, nm, id, coalesce(max(r.RESOURCEFAMILYNAME), '(未知)'), count(*), sum(t), sum(d)
             FROM pairs LEFT JOIN msd_resources r ON r.CONTAINERID = pairs.id GROUP BY g, nm, id ORDER BY 7 DESC, 2, 3, 1""",
        "by_material": f"""WITH {lk}, pairs AS (SELECT DISTINCT trim(e.MATERIALPARTNAME) AS nm, lk.cid, lk.t, lk.d FROM lk
             JOIN lineage_ancestors l ON l.SEED_ID = lk.cid JOIN ev_materials e ON e.CONTAINERID = l.ANCESTOR_ID
             WHERE trim(coalesce(e.MATERIALPARTNAME, '')) <> '')"""
                       + pareto.format(inner="SELECT nm, count(*) AS lot_count, sum(d) AS defect_qty, sum(t) AS input_qty FROM pairs GROUP BY nm"),
        "materials_attribution": f"""WITH {lk}, pairs AS (SELECT DISTINCT trim(e.MATERIALPARTNAME) AS part, coalesce(trim(e.MATERIALLOTNAME), '') AS ml,
             lk.cid, lk.t, lk.d FROM lk JOIN lineage_ancestors l ON l.SEED_ID = lk.cid JOIN ev_materials e ON e.CONTAINERID = l.ANCESTOR_ID
             WHERE trim(coalesce(e.MATERIALPARTNAME, '')) <> ''),
             descr AS (SELECT trim(MATERIALPARTNAME) AS part, coalesce(trim(MATERIALLOTNAME), '') AS ml, min(MATERIALDESCRIPTION) AS ds
                       FROM ev_materials GROUP BY 1, 2)
             SELECT part, ml, any_value(ds), count(*), sum(t), sum(d) FROM pairs LEFT JOIN descr USING (part, ml)
             GROUP BY part, ml ORDER BY 6 DESC, 1, 2""",
        "by_wafer_root": f"""WITH {lk}, x AS (SELECT coalesce(nullif(trim(coalesce(r.ROOT_NAME, n.nm)), ''), '(未知)') AS nm, lk.t, lk.d FROM lk
             LEFT JOIN lineage_seed_roots r ON r.SEED_ID = lk.cid
             LEFT JOIN (SELECT CONTAINERID, max(CONTAINERNAME) AS nm FROM pop GROUP BY 1) n ON n.CONTAINERID = lk.cid)"""
                         + pareto.format(inner="SELECT nm, count(*) AS lot_count, sum(d) AS defect_qty, sum(t) AS input_qty FROM x GROUP BY nm"),
        "by_workflow": f"""WITH {lk}, x AS (SELECT coalesce(nullif(trim(w.wf), ''), '(未知)') AS nm, lk.t, lk.d FROM lk
             JOIN (SELECT CONTAINERID, max(WORKFLOW) AS wf FROM pop GROUP BY 1) w ON w.CONTAINERID = lk.cid)"""
                       + pareto.format(inner="SELECT nm, count(*) AS lot_count, sum(d) AS defect_qty, sum(t) AS input_qty FROM x GROUP BY nm"),
        "by_detection_machine": f"""WITH {lk}, x AS (SELECT trim(w.m) AS nm, lk.t, lk.d FROM lk
             JOIN (SELECT CONTAINERID, max(DETECTION_EQUIPMENTNAME) AS m FROM pop GROUP BY 1) w ON w.CONTAINERID = lk.cid
             WHERE trim(coalesce(w.m, '')) <> '')"""
                                + pareto.format(inner="SELECT nm, count(*) AS lot_count, sum(d) AS defect_qty, sum(t) AS input_qty FROM x GROUP BY nm"),
        "daily": f"""WITH {lk}, dy AS (SELECT CONTAINERID, CAST(max(TRACKINTIMESTAMP) AS DATE) AS dy FROM pop GROUP BY 1)
             SELECT dy, sum(t), sum(d) FROM lk JOIN dy ON dy.CONTAINERID = lk.cid GROUP BY dy ORDER BY dy""",
        "available": "SELECT DISTINCT reason FROM pop WHERE reason IS NOT NULL ORDER BY 1",
        "detail_count": """SELECT count(*) FROM (SELECT CONTAINERID FROM det GROUP BY 1) l
             LEFT JOIN (SELECT CONTAINERID, reason FROM det WHERE reason IS NOT NULL GROUP BY 1, 2) r USING (CONTAINERID)""",
    }
    out, times = {}, {}
    for k, sql in q.items():
        t = time.perf_counter()
        out[k] = con.execute(sql).fetchall()
        times[k] = round(time.perf_counter() - t, 4)
    seconds = time.perf_counter() - t0
    kpi = out["kpi"][0]
    return {
        "seconds": seconds,
        "query_seconds": times,
        "kpi": {"lot_count": kpi[0], "total_input": kpi[1], "defective_lot_count": kpi[2], "total_defect_qty": kpi[3],
                "affected_machine_count": out["affected"][0][0]},
        "by_machine": [[r[0], r[1], r[2], r[3]] for r in out["by_machine"]],
        "by_material": [[r[0], r[1], r[2], r[3]] for r in out["by_material"]],
        "detail_total_count": out["detail_count"][0][0],
    }


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("spool")
    e.add_argument("target")
    s = sub.add_parser("summary")
    s.add_argument("db")
    s.add_argument("--loss-reasons", default="")
    s.add_argument("--pj-types", default="")
    s.add_argument("--packages", default="")
    s.add_argument("--cutoff", type=int, default=11, help="detection station order: upstream groups have a smaller order")
    a = p.parse_args()
    if a.cmd == "export":
        t = time.perf_counter()
        export(a.spool, a.target)
        print(json.dumps({"seconds": time.perf_counter() - t}))
    else:
        split = lambda s: [x.strip() for x in s.split(",") if x.strip()]
        print(json.dumps(summary(a.db, split(a.loss_reasons), split(a.pj_types), split(a.packages), a.cutoff), ensure_ascii=False))
