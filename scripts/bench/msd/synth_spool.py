#!/usr/bin/env python3
"""Synthesize an MSD spool directly in SQLite (the pipeline that fills spools from PostgreSQL is
not used): a tracespool spool file (application_id 'TSPL', schema version 1, base + stage tables,
typed domain tables with their (CONTAINERID, seq) indexes) holding one MSD job.

Shapes (deterministic for a given --seed):
  backward  detection station 測試 (TMTT).  wafer lots -> root lots (切割, 焊接_DB) -> split
            children (焊接_WB .. 去膠) -> detection lots (水吹砂 .. 測試, OQC), 3% merges across trees;
            upstream_history ~15 track-ins per detection lot along its chain, materials at
            焊接/成型 (parts x material lots), ~40% defective lots with 1-4 Chinese loss reasons,
            3% rejects without reason ('(未填寫)').
  forward   detection station 成型. seeds = detection lots; 0-3 split children per defective and
            clean seed after 成型; upstream_history of seeds and descendants, downstream_rejects.

Usage: synth_spool.py OUT.sqlite [--lots 70000] [--direction backward|forward] [--seed 42]
"""
import argparse, os, random, sqlite3, sys

APP_ID = 0x5453504C
SCHEMA_VERSION = 1

DOMAINS = {
    "upstream_history": ["CONTAINERID", "WORKCENTERNAME", "WORKCENTER_GROUP", "EQUIPMENTID", "EQUIPMENTNAME",
                         "SPECNAME", "TRACKINTIMESTAMP", "TRACKINQTY"],
    "materials": ["CONTAINERID", "CONTAINERNAME", "MATERIALPARTNAME", "MATERIALLOTNAME", "MATERIALDESCRIPTION",
                  "QTYCONSUMED", "WORKCENTERNAME", "SPECNAME", "EQUIPMENTNAME", "TXNDATE"],
    "downstream_rejects": ["CONTAINERID", "WORKCENTERNAME", "WORKCENTER_GROUP", "LOSSREASONNAME", "EQUIPMENTNAME",
                           "REJECT_TOTAL_QTY", "TXNDATE"],
}
NUMERIC = {"TRACKINQTY", "QTYCONSUMED", "REJECT_TOTAL_QTY", "REJECTQTY"}
DETECTION = ["CONTAINERID", "CONTAINERNAME", "MFGORDERNAME", "PJ_TYPE", "PRODUCTLINENAME", "WORKFLOW",
             "FINISHEDRUNCARD", "DETECTION_EQUIPMENTID", "DETECTION_EQUIPMENTNAME", "WORKCENTERNAME", "TRACKINQTY",
             "TRACKINTIMESTAMP", "LOSSREASONNAME", "REJECTQTY"]
RESOURCES = ["CONTAINERID", "RESOURCENAME", "RESOURCEFAMILYNAME"]

BASE = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE trace_cids (cid TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE ledger (domain TEXT NOT NULL, batch INTEGER NOT NULL, first_cid TEXT NOT NULL, last_cid TEXT NOT NULL,
  cid_count INTEGER NOT NULL, rows INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')), attempts INTEGER NOT NULL DEFAULT 0,
  error_code TEXT, error TEXT, seconds REAL, PRIMARY KEY (domain, batch)) WITHOUT ROWID;
CREATE TABLE domains (domain TEXT PRIMARY KEY, position INTEGER NOT NULL, rows INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'pending') WITHOUT ROWID;
CREATE TABLE seeds (CID TEXT PRIMARY KEY, NAME TEXT, LOT_ID TEXT) WITHOUT ROWID;
CREATE TABLE lineage_ancestors (SEED_ID TEXT NOT NULL, ANCESTOR_ID TEXT NOT NULL, PRIMARY KEY (SEED_ID, ANCESTOR_ID)) WITHOUT ROWID;
CREATE TABLE lineage_descendants (SEED_ID TEXT NOT NULL, DESCENDANT_ID TEXT NOT NULL, PRIMARY KEY (SEED_ID, DESCENDANT_ID)) WITHOUT ROWID;
CREATE TABLE lineage_nodes (CID TEXT PRIMARY KEY, NAME TEXT, MFGORDERNAME TEXT, WAFER_LOT TEXT, OBJECTTYPE TEXT, NODE_TYPE TEXT) WITHOUT ROWID;
CREATE TABLE lineage_edges (FROM_ID TEXT NOT NULL, TO_ID TEXT NOT NULL, EDGE_TYPE TEXT NOT NULL
  CHECK (EDGE_TYPE IN ('split_from', 'merge_source', 'wafer_origin', 'gd_rework_source')),
  PRIMARY KEY (FROM_ID, TO_ID, EDGE_TYPE)) WITHOUT ROWID;
CREATE TABLE lineage_seed_roots (SEED_ID TEXT PRIMARY KEY, ROOT_ID TEXT, ROOT_NAME TEXT) WITHOUT ROWID;
"""

def table_ddl(name, cols):
    body = ",\n".join(f'  "{c}" {"NUMERIC" if c in NUMERIC else "TEXT"}' for c in cols)
    return f"CREATE TABLE IF NOT EXISTS {name} (\n  seq INTEGER PRIMARY KEY,\n  batch INTEGER NOT NULL,\n{body}\n);"

# (workcenter, group key or None, group order, machine prefix, machine count)
STATIONS = [
    ("WC切割-01", "切割", 0, "DS", 8), ("WC焊接_DB-A", "焊接_DB", 1, "DB", 14), ("WC焊接_WB-A", "焊接_WB", 2, "WB", 18),
    ("WC焊接_DW-1", "焊接_DW", 3, "DW", 6), ("WC成型-1", "成型", 4, "MD", 11), ("WC去膠-1", "去膠", 5, "DF", 5),
    ("WC水吹砂-1", "水吹砂", 6, "WJ", 4), ("WC掛鍍-1", "電鍍", 7, "PL", 10), ("WC移印-1", "移印", 8, "MK", 7),
    ("WC切彎腳-1", "切彎腳", 9, "TF", 7), ("PKG_SAW-01", "元件切割", 10, "PS", 7), ("TMTT-01", "測試", 11, "TMTT", 16),
    ("IQC", None, 999, "IQ", 2), ("WC烘烤-1", None, 999, "OV", 4), ("OQC", None, 999, "OQ", 2),
]
PARTS = [("LF-CU-194", "導線架 C194 銅合金", 1), ("EPX-84-1LMI", "銀膠 Ablestik 84-1LMI", 1), ("DAF-8UM", "Die attach film 8um", 1),
         ("AUW-1.0MIL", "金線 1.0mil 4N", 2), ("CUW-0.8MIL", "銅線 0.8mil Pd coated", 2), ("AGW-0.9MIL", "Ag alloy wire 0.9mil", 2),
         ("SP-SAC305", "錫膏 SAC305", 3), ("EMC-G700", "環氧樹脂 EMC G700 (綠色)", 4), ("EMC-KMC-2110", "Molding compound KMC-2110", 4),
         ("SN-BAR-99", "錫條 99.3", 7)]
REASONS = ["OPEN/SHORT", "VF_HIGH", "IR_FAIL", "電性不良", "漏電", "焊線不良", "VOID", "刮傷", "崩角", "異物", "腳彎", "污染",
           "PKG_CRACK", "溢膠", "偏移", "DIE_CRACK", "外觀不良", "尺寸不良", "印字不良", "氧化", "電鍍不良", "毛邊", "缺角", "氣泡",
           "變色", "沾錫", "短路", "斷線", "開路", "翹曲"] + [f"R{i:02d}不良" for i in range(30)]
PJ_TYPES = ["PJA", "PJB ", "PJC", "PJD  ", "PJE", "PJM", "PJN", "PJS"]
PACKAGES = ["SOT-23", "SOT-323", "SOD-123", "SOD-323", "SMA", "SMB", "DFN2020", "TO-252", "SOT-223", "SOD-523"]


class Gen:
    def __init__(self, args):
        self.r = random.Random(args.seed)
        self.args = args
        self.n = 0
        self.machines = {}
        for wc, grp, order, prefix, count in STATIONS:
            self.machines[wc] = [(f"{0x4880e2c700000000 + len(self.machines) * 64 + i:016x}", f"{prefix}-{len(self.machines):02d}{i:02d}")
                                 for i in range(count)]
        self.rows = {k: [] for k in DOMAINS}
        self.nodes, self.edges = [], []

    def cid(self):
        self.n += 1
        return f"{0x4881038000100000 + 16 * self.n + self.r.randrange(16):016x}"

    def ts(self, day, sec=None):
        day = max(1, min(30, day))
        s = self.r.randrange(86400) if sec is None else sec
        return f"2026-06-{day:02d} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"

    def history(self, cid, name, groups, day, qty):
        for gi in groups:
            wc, grp, order, prefix, count = STATIONS[gi]
            visits = 2 if self.r.random() < 0.08 else 1  # partial track-ins on a second machine
            for _ in range(visits):
                eqid, eqname = self.r.choice(self.machines[wc])
                self.rows["upstream_history"].append((cid, wc, grp, eqid, eqname, f"SP-{wc}", self.ts(day), qty))
            if gi in (1, 2, 4, 7) and "materials" in self.args.domains:
                for _ in range(self.r.randint(1, 2)):
                    part = self.r.choice([p for p in PARTS if p[2] == min(gi, 7) or (gi == 7 and p[2] == 7)] or PARTS)
                    lot = f"{part[0][:3]}{day:02d}{self.r.randrange(40):02d}"
                    self.rows["materials"].append((cid, name, part[0], lot, part[1], round(self.r.uniform(1, 900), 3), wc,
                                                   f"SP-{wc}", self.machines[wc][0][1], self.ts(day)))


def build(args):
    if os.path.exists(args.out):
        sys.exit(f"{args.out} exists")
    g = Gen(args)
    r = g.r
    backward = args.direction == "backward"
    args.domains = ["upstream_history", "materials"] if backward else ["upstream_history", "downstream_rejects"]
    seeds = []  # (cid, name, order)
    lineage = []  # (seed, other)
    if backward:
        # wafer lots -> root lots -> split children -> detection lots (the seeds)
        n_roots = max(1, args.lots // 7)
        split_parent = {}
        wafers = []
        for w in range(max(1, n_roots // 2)):
            c = g.cid(); wafers.append(c)
            g.nodes.append((c, f"WL26F{w:04d}", None, None, "LOT", "wafer"))
        mids_all = []
        for ri in range(n_roots):
            order = f"GA2606{ri:04d}"
            root = g.cid(); wafer = r.choice(wafers)
            rname = f"{order}-A00-001"
            g.nodes.append((root, rname, order, None, "PRODUCT", "root"))
            g.edges.append((wafer, root, "wafer_origin"))
            day = r.randint(1, 20)
            g.history(root, rname, [12, 0, 1], day, r.randint(20000, 60000))
            mids = []
            for mi in range(r.randint(2, 4)):
                m = g.cid(); mname = f"{order}-A01-{mi + 1:03d}"
                g.nodes.append((m, mname, order, None, "PRODUCT", "split"))
                g.edges.append((root, m, "split_from"))
                split_parent[m] = root
                g.history(m, mname, [2, 3, 4, 5, 13], day + 2, r.randint(5000, 20000))
                mids.append(m); mids_all.append(m)
            chains = {m: [m, root, wafer] for m in mids}
            for m in mids:
                for li in range(r.choice([1, 2, 2, 3, 3, 3, 4])):
                    if len(seeds) >= args.lots:
                        break
                    s = g.cid(); sname = f"{order}-A02-{len(seeds) % 1000:03d}{li}"
                    g.nodes.append((s, sname, order, None, "PRODUCT", "seed"))
                    g.edges.append((m, s, "split_from"))
                    g.history(s, sname, [6, 7, 8, 9, 10, 11, 14], day + 5, r.randint(1000, 5000))
                    anc = [s] + chains[m]
                    if r.random() < 0.03 and len(mids_all) > 5:  # merge source from another tree
                        src = r.choice(mids_all)
                        g.edges.append((src, s, "merge_source"))
                        anc.append(src)
                        anc.append(split_parent[src])
                    for a in dict.fromkeys(anc):
                        lineage.append((s, a))
                    seeds.append((s, sname, order))
            if len(seeds) >= args.lots:
                break
        wafer_name = {n[0]: n[1] for n in g.nodes if n[5] == "wafer"}
        seed_wafer = {}
        for (s, a) in lineage:
            if a in wafer_name:
                cur = seed_wafer.get(s)
                if cur is None or wafer_name[a] < cur[1]:
                    seed_wafer[s] = (a, wafer_name[a])
        station, det_wc, det_prefix = "測試", "TMTT-01", 11
    else:
        for si in range(args.lots):
            order = f"GA2606{si // 8:04d}"
            s = g.cid(); sname = f"{order}-A01-{si % 8 + 1:03d}"
            g.nodes.append((s, sname, order, None, "PRODUCT", "seed"))
            seeds.append((s, sname, order))
            day = r.randint(1, 25)
            g.history(s, sname, [0, 1, 2, 3, 4], day, r.randint(1000, 5000))
            lineage.append((s, s))
            kids = r.choice([0, 0, 1, 1, 2, 3])
            holders = [s]
            for k in range(kids):
                c = g.cid(); cname = f"{order}-A02-{si % 8 + 1:02d}{k}"
                g.nodes.append((c, cname, order, None, "PRODUCT", "split"))
                g.edges.append((s, c, "split_from"))
                lineage.append((s, c)); holders.append(c)
            for h in holders:
                if h != s or kids == 0:
                    g.history(h, sname, [5, 6, 7, 8, 9, 10, 11], day + 3, r.randint(300, 5000))
                    for _ in range(r.choice([0, 0, 1, 2])):
                        gi = r.choice([5, 7, 9, 10, 11])
                        wc, grp = STATIONS[gi][0], STATIONS[gi][1]
                        g.rows["downstream_rejects"].append((h, wc, grp, r.choice(REASONS[:20] + ["(未填寫)"]),
                                                             r.choice(g.machines[wc])[1], r.randint(1, 40), g.ts(day + 4)))
        seed_wafer = {s: (s, n) for s, n, _ in seeds}
        station, det_wc, det_prefix = "成型", "WC成型-1", 4

    det = []
    det_machines = g.machines[det_wc]
    for s, name, order in seeds:
        t = r.randint(1000, 5000)
        eq = r.choice(det_machines)
        attrs = (s, name, order, r.choice(PJ_TYPES), r.choice(PACKAGES), f"WF-{r.randrange(30):02d}", f"RC{r.randrange(10**6):06d}",
                 eq[0], eq[1], det_wc, t, g.ts(r.randint(1, 30)))
        if r.random() < 0.4:
            reasons = r.sample(REASONS, r.randint(1, 4))
            for rs in reasons:
                rs = "(未填寫)" if r.random() < 0.03 else rs
                det.append(attrs + (rs, r.randint(1, max(1, t // 40))))
        else:
            det.append(attrs + (None, 0))
    # dedupe (lot, reason) after the (未填寫) substitution
    seen, dedup = set(), []
    for row in det:
        if (row[0], row[12]) not in seen:
            seen.add((row[0], row[12])); dedup.append(row)
    det = dedup

    db = sqlite3.connect(args.out)
    db.executescript(f"PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA application_id={APP_ID}; PRAGMA user_version={SCHEMA_VERSION};")
    db.executescript(BASE)
    for i, d in enumerate(args.domains):
        db.execute(table_ddl(f"ev_{d}", DOMAINS[d]))
        db.execute("INSERT INTO domains(domain, position, rows, status) VALUES (?, ?, ?, 'complete')", (d, i, len(g.rows[d])))
    db.execute(table_ddl("msd_detection", DETECTION))
    db.execute(table_ddl("msd_resources", RESOURCES))

    def insert(table, cols, rows):
        q = f"INSERT INTO {table}(batch, {', '.join(chr(34) + c + chr(34) for c in cols)}) VALUES (0, {', '.join('?' * len(cols))})"
        db.executemany(q, rows)

    for d in args.domains:
        rows = sorted(g.rows[d], key=lambda x: x[0])
        insert(f"ev_{d}", DOMAINS[d], rows)
        db.execute(f'CREATE INDEX ev_{d}_cid ON ev_{d} ("CONTAINERID", seq)')
    insert("msd_detection", DETECTION, sorted(det, key=lambda x: x[0]))
    db.execute('CREATE INDEX msd_detection_cid ON msd_detection ("CONTAINERID", seq)')
    res = []
    for wc, grp, order, prefix, count in STATIONS:
        for eqid, eqname in g.machines[wc]:
            if r.random() < 0.95:
                res.append((eqid, eqname, f"{prefix}-MODEL-{r.randrange(3)}"))
    insert("msd_resources", RESOURCES, res)
    db.execute('CREATE INDEX msd_resources_cid ON msd_resources ("CONTAINERID", seq)')
    db.executemany("INSERT INTO seeds VALUES (?, ?, ?)", [(s, n, n) for s, n, _ in seeds])
    db.executemany("INSERT OR IGNORE INTO lineage_ancestors VALUES (?, ?)" if backward else
                   "INSERT OR IGNORE INTO lineage_descendants VALUES (?, ?)", lineage)
    db.executemany("INSERT INTO lineage_nodes VALUES (?, ?, ?, ?, ?, ?)", g.nodes)
    db.executemany("INSERT OR IGNORE INTO lineage_edges VALUES (?, ?, ?)", g.edges)
    db.executemany("INSERT INTO lineage_seed_roots VALUES (?, ?, ?)", [(s, v[0], v[1]) for s, v in seed_wafer.items()])
    db.executemany("INSERT OR IGNORE INTO trace_cids VALUES (?)", [(n[0],) for n in g.nodes])
    meta = {"schema_version": "1", "job_id": "j20260701-000000-00b0b0", "profile": "mid_section_defect",
            "msd.direction": args.direction, "msd.mode": "date_range", "msd.stations": station,
            "msd.from": "2026-06-01", "msd.to": "2026-06-30", "domains": ",".join(args.domains),
            "synthetic": "scripts/bench/msd/synth_spool.py --lots %d --seed %d" % (args.lots, args.seed)}
    db.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    counts = {"detection_lots": len(seeds), "detection_rows": len(det), "lineage_cids": len(g.nodes),
              "lineage_rows": len(lineage), **{d: len(g.rows[d]) for d in args.domains}}
    print(" ".join(f"{k}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--lots", type=int, default=70000)
    p.add_argument("--direction", choices=["backward", "forward"], default="backward")
    p.add_argument("--seed", type=int, default=42)
    build(p.parse_args())
