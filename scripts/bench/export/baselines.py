#!/usr/bin/env python3
"""Python baselines for the export benchmark: the standard library's json / csv writers reading
a tracespool spool with sqlite3, same rows, same (seq = grouped) order as `tracespool export`.

  baselines.py SPOOL json     one JSON object per row (NDJSON), domain after domain
  baselines.py SPOOL cid      one JSON line per CID with all its domains (merge on CONTAINERID)
  baselines.py SPOOL csv      csv.writer, a header per domain, domain after domain
Output goes to stdout.
"""
import csv, heapq, itertools, json, sqlite3, sys


def domains(db):
    return [r[0] for r in db.execute("SELECT domain FROM domains ORDER BY position")]


def columns(db, d):
    return [r[1] for r in db.execute(f"PRAGMA table_info(ev_{d})") if r[1] not in ("seq", "batch")]


def rows(db, d, cols):
    sql = "SELECT " + ", ".join(f'"{c}"' for c in cols) + f" FROM ev_{d} ORDER BY seq"
    return db.execute(sql)


def main():
    path, mode = sys.argv[1], sys.argv[2]
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = open(sys.stdout.fileno(), "w", encoding="utf-8", newline="", buffering=1 << 16, closefd=False)
    names = domains(db)
    if mode == "json":
        for d in names:
            cols = columns(db, d)
            for r in rows(db, d, cols):
                out.write(json.dumps(dict(zip(cols, r)), ensure_ascii=False))
                out.write("\n")
    elif mode == "csv":
        w = csv.writer(out)
        for d in names:
            cols = columns(db, d)
            w.writerow(cols)
            w.writerows(rows(db, d, cols))
    elif mode == "cid":
        streams = []
        for i, d in enumerate(names):
            cols = columns(db, d)
            k = cols.index("CONTAINERID")
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            streams.append(((r[k], i, dict(zip(cols, r))) for r in rows(conn, d, cols)))
        merged = heapq.merge(*streams, key=lambda t: (t[0].encode(), t[1]))
        for cid, group in itertools.groupby(merged, key=lambda t: t[0]):
            per = {d: [] for d in names}
            name = None
            for _, i, row in group:
                per[names[i]].append(row)
                if name is None and row.get("CONTAINERNAME") is not None:
                    name = row["CONTAINERNAME"]
            out.write(json.dumps({"type": "cid", "cid": cid, "name": name, "domains": per}, ensure_ascii=False))
            out.write("\n")
    else:
        sys.exit(f"unknown mode {mode}")
    out.flush()


if __name__ == "__main__":
    main()
