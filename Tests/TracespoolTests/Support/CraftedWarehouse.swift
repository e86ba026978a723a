import Foundation
import Logging
import TracespoolJobs
import TracespoolPipeline
import TracespoolSource
import TracespoolSpool

/// A small warehouse built row by row for a test, whose answers are known by construction.
/// Ids are short readable strings ("L07"); char(16) pads them, as real data pads short ids.
final class CraftedWarehouse {
    let db: ScratchDatabase
    let c: PGConnection

    init(_ label: String) throws {
        db = try ScratchDatabase(label)
        c = try db.connect()
    }

    var conninfo: String { db.conninfo }

    func container(_ cid: String, name: String? = nil, order: String? = nil, split: String? = nil, firstname: String? = nil,
                   objecttype: String? = "PRODUCT", original: String? = nil, pjType: String? = "PJA", package: String? = "SOT-23") throws {
        _ = try c.query("""
            INSERT INTO dwh.dw_mes_container (containerid, containername, mfgordername, splitfromid, firstname, objecttype,
                                              originalcontainerid, pj_type, productlinename)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """, [cid, name ?? "N-\(cid)", order ?? "GA26010001", split, firstname, objecttype, original, pjType, package])
    }

    func merge(source: String, into target: String, serial: String? = nil) throws {
        _ = try c.query("INSERT INTO dwh.dw_mes_pj_combinedassylots (containerid, containername, finishedname, lotid) VALUES ($1, $2, $3, $4)",
                        [source, "N-\(source)", serial, target])
    }

    func trackIn(_ cid: String, workcenter: String, equipment: String, at time: String, qty: Int, out: String? = nil, name: String? = nil) throws {
        _ = try c.query("""
            INSERT INTO dwh.dw_mes_lotwiphistory (containerid, workcentername, equipmentid, equipmentname, specname,
                                                  trackintimestamp, trackouttimestamp, trackinqty, trackoutqty)
            VALUES ($1, $2, $3, $4, 'SPEC', $5, $6, $7, $7)
            """, [cid, workcenter, equipment, name ?? equipment, time, out, String(qty)])
    }

    func reject(_ cid: String, workcenter: String, reason: String?, qty: [Int?], at time: String) throws {
        let q = qty + Array(repeating: nil, count: max(0, 6 - qty.count))
        _ = try c.query("""
            INSERT INTO dwh.dw_mes_lotrejecthistory (containerid, workcentername, lossreasonname, rejectqty, standbyqty,
                                                     qtytoprocess, inprocessqty, processedqty, defectqty, txndate)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """, [cid, workcenter, reason] + q.map { $0.map(String.init) } + [time])
    }

    func run(_ input: TraceRequest.Input, folder: String, batch: Int = 1000) throws -> (JobResult, Spool) {
        var config = EventsConfig()
        config.cidBatchSize = batch
        let runner = try JobRunner(spoolDir: folder, conninfo: conninfo, config: config, logger: Logger(label: "test"))
        let result = try runner.run(try TraceRequest.make(input))
        return (result, try Spool.open(at: result.spoolPath))
    }
}

extension Spool {
    func strings(_ sql: String, _ args: [String?] = []) throws -> [String] {
        let s = try database.prepare(sql)
        try s.bind(args)
        var out: [String] = []
        while try s.step() { out.append((0..<s.columnCount).map { s.text($0) ?? "∅" }.joined(separator: "|")) }
        return out
    }

    func ancestors(of seed: String) throws -> Set<String> {
        Set(try strings("SELECT ANCESTOR_ID FROM lineage_ancestors WHERE SEED_ID = ?1 AND ANCESTOR_ID <> SEED_ID", [seed]))
    }

    func descendants(of seed: String) throws -> Set<String> {
        Set(try strings("SELECT DESCENDANT_ID FROM lineage_descendants WHERE SEED_ID = ?1", [seed]))
    }
}

func input(_ profile: String, _ configure: (inout TraceRequest.Input) -> Void) -> TraceRequest.Input {
    var i = TraceRequest.Input()
    i.profile = profile
    configure(&i)
    return i
}
