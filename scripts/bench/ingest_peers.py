#!/usr/bin/env python3
"""The peers of the ingest benchmark (scripts/bench/ingest). Each mode reads the same domain
queries (the exact SELECT text tracespool sends, captured by ingest_measure.py) over the same CID
batches, in one process that ingest_measure.py runs under /usr/bin/time -v. On stdout: one JSON
object with the row count per domain.

  ingest_peers.py MODE --queries Q.json --cids CIDS.txt --batch 1000 [--out FILE]

Modes
  fetchmany-dict  the reference's approach: per 1000-CID batch execute, fetchmany(5000), every row
                  a dict appended to grouped[CID], --workers batches at once (the reference ran 2);
                  the whole result is kept (as the reference did before serialising it)
  sqlite-spool    the straightforward Python spool: fetchmany(5000) -> sqlite3 executemany into one
                  table per domain (WAL, synchronous=NORMAL like tracespool's spool), one
                  transaction per batch, CID index built after the load
  duckdb          DuckDB + postgres extension: per batch INSERT INTO <domain> SELECT * FROM
                  postgres_query('pg', <same query>) into a DuckDB file
  duckdb-one      the same with one statement per domain over all CIDs

The query's $1 becomes the same escaped array literal tracespool binds ('{"cid",…}'::bpchar[]);
$2 (holds only) the current timestamp.
"""
import argparse, json, os, sys


def batches(cids, size):
    for i in range(0, len(cids), size):
        yield cids[i:i + size]


def array_literal(cids):
    # PGArrayLiteral.text + PQescapeLiteral: every element double-quoted; CIDs are hex, so no
    # escaping is ever needed and the literal is a plain '…' string.
    body = "{" + ",".join('"' + c.replace("\\", "\\\\").replace('"', '\\"') + '"' for c in cids) + "}"
    assert "'" not in body and "\\" not in body
    return "'" + body + "'"


def bind(select, cids):
    return select.replace("$2", "now()::timestamp(0)").replace("$1", array_literal(cids))


def conninfo():
    return os.environ.get("BENCH_CONNINFO", "")


def fetchmany_dict(queries, cids, size, fetch, workers):
    """Per domain, the 1000-CID batches run on `workers` connections at once (the reference's
    EVENT_FETCHER_MAX_WORKERS=2); every row becomes a dict appended to grouped[CID]; all domains'
    groups are kept until the end, as the reference held them to build its response."""
    import threading
    from concurrent.futures import ThreadPoolExecutor
    import psycopg
    local = threading.local()
    conns = []
    lock = threading.Lock()

    def connection():
        if getattr(local, "conn", None) is None:
            c = psycopg.connect(conninfo(), autocommit=True)
            c.execute("SET DateStyle = 'ISO, YMD'")
            local.conn = c
            with lock:
                conns.append(c)
        return local.conn

    def fetch_batch(select, batch, grouped):
        n = 0
        cur = connection().cursor()
        cur.execute(bind(select, batch))
        cols = [d.name.upper() for d in cur.description]
        while True:
            rows = cur.fetchmany(fetch)
            if not rows:
                break
            for row in rows:
                rec = dict(zip(cols, row))
                cid = rec.get("CONTAINERID")
                if isinstance(cid, str):
                    grouped.setdefault(cid, []).append(rec)
                    n += 1
        cur.close()
        return n

    grouped_by_domain = {}
    counts = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for domain, select in queries.items():
            grouped = {}
            counts[domain] = sum(pool.map(lambda b: fetch_batch(select, b, grouped), list(batches(cids, size))))
            grouped_by_domain[domain] = grouped
    for c in conns:
        c.close()
    return counts


def sqlite_spool(queries, cids, size, fetch, out):
    import sqlite3
    from decimal import Decimal
    import psycopg
    sqlite3.register_adapter(Decimal, str)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(out + suffix):
            os.unlink(out + suffix)
    db = sqlite3.connect(out, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    counts = {}
    with psycopg.connect(conninfo()) as conn:
        conn.execute("SET DateStyle = 'ISO, YMD'")
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for domain, select in queries.items():
            n = 0
            insert = None
            for b, batch in enumerate(batches(cids, size)):
                cur = conn.cursor()
                cur.execute(bind(select, batch))
                if insert is None:
                    cols = [d.name.upper() for d in cur.description]
                    db.execute(f'CREATE TABLE ev_{domain} (batch INTEGER, ' + ", ".join(f'"{c}"' for c in cols) + ")")
                    insert = f"INSERT INTO ev_{domain} VALUES (?, " + ", ".join("?" for _ in cols) + ")"
                db.execute("BEGIN")
                while True:
                    rows = cur.fetchmany(fetch)
                    if not rows:
                        break
                    db.executemany(insert, ((b,) + tuple(r) for r in rows))
                    n += len(rows)
                db.execute("COMMIT")
                cur.close()
            if insert is not None:
                db.execute(f'CREATE INDEX ev_{domain}_cid ON ev_{domain} ("CONTAINERID")')
            counts[domain] = n
        conn.execute("COMMIT")
    db.close()
    return counts


def duckdb_copy(queries, cids, size, out, one):
    import duckdb
    if os.path.exists(out):
        os.unlink(out)
    if os.path.exists(out + ".wal"):
        os.unlink(out + ".wal")
    ext_dir = os.environ.get("BENCH_DUCKDB_EXT_DIR")
    con = duckdb.connect(out, config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    if ext_dir:
        con.execute(f"SET extension_directory = '{ext_dir}'")
    con.execute("SET enable_progress_bar = false")
    con.execute("LOAD postgres_scanner")
    con.execute(f"ATTACH {duck_string(conninfo())} AS pg (TYPE postgres, READ_ONLY)")
    counts = {}
    for domain, select in queries.items():
        parts = [cids] if one else list(batches(cids, size))
        for i, batch in enumerate(parts):
            q = "SELECT * FROM postgres_query('pg', " + duck_string(bind(select, batch)) + ")"
            if i == 0:
                con.execute(f"CREATE TABLE ev_{domain} AS {q}")
            else:
                con.execute(f"INSERT INTO ev_{domain} {q}")
        counts[domain] = con.execute(f"SELECT count(*) FROM ev_{domain}").fetchone()[0]
    con.execute("CHECKPOINT")
    con.close()
    return counts


def duck_string(s):
    # DuckDB string literal: single quotes doubled.
    return "'" + s.replace("'", "''") + "'"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["fetchmany-dict", "sqlite-spool", "duckdb", "duckdb-one"])
    ap.add_argument("--queries", required=True)
    ap.add_argument("--cids", required=True)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--fetch", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=1, help="fetchmany-dict: batches in parallel")
    ap.add_argument("--out")
    a = ap.parse_args()
    queries = json.load(open(a.queries))
    cids = [l.strip() for l in open(a.cids) if l.strip()]
    if a.mode == "fetchmany-dict":
        counts = fetchmany_dict(queries, cids, a.batch, a.fetch, a.workers)
    elif a.mode == "sqlite-spool":
        counts = sqlite_spool(queries, cids, a.batch, a.fetch, a.out)
    else:
        counts = duckdb_copy(queries, cids, a.batch, a.out, a.mode == "duckdb-one")
    json.dump({"rows": counts}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
