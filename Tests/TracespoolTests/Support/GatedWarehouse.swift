import Foundation

/// A crafted warehouse of `lots` lots (CIDs c000, c001, …, one history row each) whose history
/// rows pass a row-level-security gate: `gateBody` is PL/pgSQL run for every row read by
/// `tracespool_reader` (a role scripts/test creates without BYPASSRLS), so a test can make one
/// CID raise, stall or sleep for real inside PostgreSQL.
func gatedWarehouse(_ label: String, lots: Int, gateBody: String) throws -> ScratchDatabase {
    let db = try ScratchDatabase(label)
    let c = try db.connect()
    try c.execute("""
        INSERT INTO dwh.dw_mes_container (containerid, containername)
          SELECT format('c%s', lpad(i::text, 3, '0')), format('LOT-%s', i) FROM generate_series(0, \(lots - 1)) i;
        INSERT INTO dwh.dw_mes_lotwiphistory (containerid, workcentername, equipmentid, trackintimestamp, trackinqty)
          SELECT format('c%s', lpad(i::text, 3, '0')), 'TMTT-01', 'EQ1', timestamp '2026-01-01' + i * interval '1 hour', 100
          FROM generate_series(0, \(lots - 1)) i;
        CREATE FUNCTION dwh.gate(cid bpchar) RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN
          \(gateBody)
          RETURN true;
        END $$;
        ALTER TABLE dwh.dw_mes_lotwiphistory ENABLE ROW LEVEL SECURITY;
        CREATE POLICY gate ON dwh.dw_mes_lotwiphistory USING (dwh.gate(containerid));
        GRANT USAGE ON SCHEMA dwh TO tracespool_reader;
        GRANT SELECT ON ALL TABLES IN SCHEMA dwh TO tracespool_reader;
        """)
    return db
}

/// The comma-separated CIDs c000 … c(n-1) of a gated warehouse.
func gatedCIDs(_ n: Int) -> String { (0..<n).map { String(format: "c%03d", $0) }.joined(separator: ",") }
