import Foundation
import Testing
import TracespoolMSD
import TracespoolSpool

/// Crafted MSD spools for the MSD tests: the spool contract's tables filled with plain SQL, the way
/// the pipeline leaves them (detection rows per (lot, reason), lineage with self rows, event tables
/// with their CID index and domain status), no PostgreSQL involved.
final class MSDSpoolBuilder {
    let folder: String
    let path: String
    let spool: Spool
    let direction: MSDDirection
    var db: SQLiteDatabase { spool.database }

    init(direction: MSDDirection = .backward, stations: String, mode: String = "date_range", profile: String = "mid_section_defect",
         jobId: String = "j20260701-000000-abcdef") throws {
        folder = NSTemporaryDirectory() + "msd-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        path = "\(folder)/\(jobId).sqlite"
        self.direction = direction
        let names = direction == .backward ? ["upstream_history", "materials"] : ["upstream_history", "downstream_rejects"]
        spool = try Spool.create(at: path, domains: names.map { SpoolDomain.named($0)! })
        try spool.createTable(SpoolDomain.detection)
        try spool.createTable(SpoolDomain.resources)
        for (k, v) in [("job_id", jobId), ("profile", profile), ("msd.direction", direction.rawValue), ("msd.mode", mode),
                       ("msd.stations", stations), ("msd.from", "2026-06-01"), ("msd.to", "2026-06-30")] {
            try spool.setMeta(k, v)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    private func insert(_ table: String, _ cols: [String], _ values: [String?]) throws {
        let sql = "INSERT INTO \(table) (\(cols.map { "\"\($0)\"" }.joined(separator: ", "))) VALUES (\((1...cols.count).map { "?\($0)" }.joined(separator: ", ")))"
        let s = try db.prepare(sql)
        try s.bind(values)
        try s.step()
    }

    /// One detection lot: one row per reason, or one (NULL, 0) row when `reasons` is empty.
    func lot(_ cid: String, name: String? = nil, t: Int, ts: String = "2026-06-01 08:00:00", reasons: [(String?, Int)] = [],
             pjType: String = "PJA", package: String = "SOT-23", workflow: String = "WF-1", machine: String = "TT-1",
             workcenter: String = "TMTT-01") throws {
        let rows: [(String?, Int)] = reasons.isEmpty ? [(nil, 0)] : reasons
        for (r, q) in rows {
            try insert("msd_detection",
                       ["batch", "CONTAINERID", "CONTAINERNAME", "MFGORDERNAME", "PJ_TYPE", "PRODUCTLINENAME", "WORKFLOW",
                        "FINISHEDRUNCARD", "DETECTION_EQUIPMENTID", "DETECTION_EQUIPMENTNAME", "WORKCENTERNAME", "TRACKINQTY",
                        "TRACKINTIMESTAMP", "LOSSREASONNAME", "REJECTQTY"],
                       ["0", cid, name ?? cid, "GA2606", pjType, package, workflow, "RC-\(cid)", "EQ-\(machine)", machine, workcenter,
                        String(t), ts, r, String(q)])
        }
        try insert("seeds", ["CID", "NAME", "LOT_ID"], [cid, name ?? cid, name ?? cid])
    }

    /// Backward lineage of a seed (the self row is added).
    func ancestors(_ seed: String, _ list: [String], root: String? = nil) throws {
        for a in [seed] + list { try insert("lineage_ancestors", ["SEED_ID", "ANCESTOR_ID"], [seed, a]) }
        if let root { try insert("lineage_seed_roots", ["SEED_ID", "ROOT_ID", "ROOT_NAME"], [seed, root, root]) }
    }

    /// Forward lineage of a seed (the self row is added).
    func descendants(_ seed: String, _ list: [String]) throws {
        for d in [seed] + list { try insert("lineage_descendants", ["SEED_ID", "DESCENDANT_ID"], [seed, d]) }
    }

    func wip(_ cid: String, group: String?, machine: String, id: String? = nil, qty: Int = 0, ts: String = "2026-05-20 08:00:00",
             workcenter: String? = nil) throws {
        try insert("ev_upstream_history",
                   ["batch", "CONTAINERID", "WORKCENTERNAME", "WORKCENTER_GROUP", "EQUIPMENTID", "EQUIPMENTNAME", "SPECNAME",
                    "TRACKINTIMESTAMP", "TRACKINQTY"],
                   ["0", cid, workcenter ?? "WC-\(group ?? "X")", group, id ?? "ID-\(machine)", machine, "SP", ts, String(qty)])
    }

    func material(_ cid: String, part: String, lot: String?, description: String = "desc", machine: String = "DB-01") throws {
        try insert("ev_materials",
                   ["batch", "CONTAINERID", "CONTAINERNAME", "MATERIALPARTNAME", "MATERIALLOTNAME", "MATERIALDESCRIPTION",
                    "QTYCONSUMED", "WORKCENTERNAME", "SPECNAME", "EQUIPMENTNAME", "TXNDATE"],
                   ["0", cid, cid, part, lot, description, "1.5", "WC焊接_DB", "SP", machine, "2026-05-20 08:00:00"])
    }

    func reject(_ cid: String, group: String?, reason: String, qty: Int, machine: String = "EQ", date: String = "2026-06-03 10:00:00") throws {
        try insert("ev_downstream_rejects",
                   ["batch", "CONTAINERID", "WORKCENTERNAME", "WORKCENTER_GROUP", "LOSSREASONNAME", "EQUIPMENTNAME",
                    "REJECT_TOTAL_QTY", "TXNDATE"],
                   ["0", cid, "WC-\(group ?? "X")", group, reason, machine, String(qty), date])
    }

    func resource(_ id: String, name: String, family: String) throws {
        try insert("msd_resources", ["batch", "CONTAINERID", "RESOURCENAME", "RESOURCEFAMILYNAME"], ["0", id, name, family])
    }

    /// Indexes and domain status as the pipeline leaves them; then the end-of-run MSD step.
    @discardableResult
    func finish(computeSummary: Bool = true) throws -> String? {
        for d in try spool.domains() { try spool.finishDomain(d, status: "complete") }
        return computeSummary ? try MSDSummaryStore.computeAndStore(spool: spool) : nil
    }

    /// The spool as readers see it: prepared first (its aggregation), as a job would have done.
    func reader() throws -> MSDSpool {
        let w = try MSDSpool.open(at: path, readOnly: false)
        if try !MSDSummaryStore.isStored(w) { try MSDSummaryStore.computeAndStore(w) }
        return try MSDReader.open(path: path)
    }

    func summary(_ masks: MSDMasks = .none) throws -> [String: Any] {
        try MSDJSONTest.object(try MSDSummaryStore.summaryText(try reader(), masks: masks))
    }

    func detail(_ req: MSDDetailRequest = MSDDetailRequest()) throws -> [String: Any] {
        try MSDJSONTest.object(try MSDDetail.page(try reader(), req).text)
    }
}

enum MSDJSONTest {
    static func object(_ text: String) throws -> [String: Any] {
        guard let o = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw MSDError(.schemaOutdated, "not a JSON object")
        }
        return o
    }

    static func chart(_ summary: [String: Any], _ name: String) -> [[String: Any]] {
        ((summary["charts"] as? [String: Any])?[name] as? [[String: Any]]) ?? []
    }

    static func kpi(_ summary: [String: Any]) -> [String: Any] { summary["kpi"] as? [String: Any] ?? [:] }

    static func num(_ v: Any?) -> Double { (v as? NSNumber)?.doubleValue ?? .nan }
}

/// The worked examples of `msd.md` §3.8 as crafted spools.
enum MSDWorkedExamples {
    /// Backward: detection station 測試; L1, L2 under P1, L3 under P2.
    static func backward() throws -> MSDSpoolBuilder {
        let b = try MSDSpoolBuilder(direction: .backward, stations: "測試")
        try b.lot("L1", t: 1000, ts: "2026-06-01 08:00:00", reasons: [("A", 30), ("B", 10)], pjType: "PJA ", package: "SOT-23",
                  workflow: "WF-1", machine: "TT-1")
        try b.lot("L2", t: 500, ts: "2026-06-01 09:00:00", reasons: [("A", 5)], pjType: "PJB", package: "SOT-23",
                  workflow: "WF-2", machine: "TT-1")
        try b.lot("L3", t: 800, ts: "2026-06-02 09:00:00", pjType: "PJA", package: "SOD-123", workflow: "WF-1", machine: "TT-2")
        try b.ancestors("L1", ["P1"], root: "P1")
        try b.ancestors("L2", ["P1"], root: "P1")
        try b.ancestors("L3", ["P2"], root: "P2")
        try b.wip("P1", group: "焊接_WB", machine: "WB-01", id: "E1")
        try b.wip("P1", group: "成型", machine: "MD-07", id: "E7")
        try b.wip("P2", group: "焊接_WB", machine: "WB-01", id: "E1")
        try b.wip("L1", group: "電鍍", machine: "PL-02", id: "E2")
        try b.wip("L1", group: "測試", machine: "TT-1", id: "E9")
        try b.wip("L2", group: "電鍍", machine: "PL-03", id: "E3")
        try b.wip("L3", group: "電鍍", machine: "PL-02", id: "E2")
        try b.material("P1", part: "LF-CU", lot: "LF01", description: "導線架")
        try b.material("L1", part: "AUW", lot: "AU7", description: "金線")
        try b.material("P2", part: "LF-CU", lot: "LF02", description: "導線架")
        try b.resource("E1", name: "WB-01", family: "K&S ICONN")
        return b
    }

    /// Forward: detection station 焊接_WB; S1 splits into C1, C2 downstream.
    static func forward() throws -> MSDSpoolBuilder {
        let b = try MSDSpoolBuilder(direction: .forward, stations: "焊接_WB")
        try b.lot("S1", t: 1000, reasons: [("NSOP", 20), ("NSOL", 10)], machine: "WB-01", workcenter: "WC焊接_WB-A")
        try b.lot("S2", t: 1000, reasons: [("NSOP", 5)], machine: "WB-01", workcenter: "WC焊接_WB-A")
        try b.lot("S3", t: 500, machine: "WB-01", workcenter: "WC焊接_WB-A")
        try b.descendants("S1", ["C1", "C2"])
        try b.descendants("S2", [])
        try b.descendants("S3", [])
        try b.wip("C1", group: "成型", machine: "MD-01", qty: 400, ts: "2026-06-03 08:00:00")
        try b.reject("C1", group: "成型", reason: "OPEN", qty: 8, machine: "MD-01")
        try b.wip("C2", group: "成型", machine: "MD-02", qty: 570, ts: "2026-06-03 09:00:00")
        try b.wip("C2", group: "電鍍", machine: "PL-01", qty: 560, ts: "2026-06-04 09:00:00")
        try b.reject("C2", group: "電鍍", reason: "PLATING", qty: 6, machine: "PL-01", date: "2026-06-04 10:00:00")
        try b.wip("S2", group: "成型", machine: "MD-01", qty: 995, ts: "2026-06-03 10:00:00")
        try b.reject("S2", group: "成型", reason: "OPEN", qty: 2, machine: "MD-01")
        try b.wip("S1", group: "焊接_WB", machine: "WB-01", qty: 1000, ts: "2026-06-01 08:00:00")
        return b
    }
}
