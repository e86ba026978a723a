import Foundation
import TracespoolSpool

/// The per-job helper tables (`MSDSQL` lists them): built once per job, in one transaction, from
/// the detection, lineage and event tables; every summary, mask combination, detail page and export
/// reads them. `meta['msd.helpers']` records the version and the parameters they were built for.
public enum MSDHelpers {
    /// Bump when a helper table or its meaning changes; older spools are rebuilt on first read.
    public static let version = 1
    static let metaKey = "msd.helpers"

    static func signature(_ m: MSDSpool) -> String {
        "v\(version);\(m.direction.rawValue);s0=\(m.detectionOrder.map(String.init) ?? "none")"
    }

    /// True when the helper tables exist and match this version and the spool's parameters.
    public static func isCurrent(_ m: MSDSpool) throws -> Bool {
        guard try m.spool.meta(metaKey) == signature(m) else { return false }
        for t in MSDSQL.helperTables where try !m.database.tableExists(t) { return false }
        return true
    }

    /// (Re)builds every helper table. The spool must be open for writing.
    public static func build(_ m: MSDSpool) throws {
        let db = m.database
        let s0 = m.detectionOrder ?? MSDStation.unknownOrder
        var timings: [(String, Double)] = []
        var memory: [(String, Double)] = []
        func step(_ name: String, _ body: () throws -> Void) throws {
            let t = MSDClock.now()
            if MSDClock.enabled { _ = SQLiteDatabase.heapUsage(reset: true) }
            try body()
            timings.append((name, MSDClock.now().cpu - t.cpu))
            if MSDClock.enabled { memory.append((name, MSDClock.sqlitePeakMiB())) }
        }
        try MSDSpool.withBudget(db) {
          try db.transaction {
            try step("drop") {
                for t in MSDSQL.helperTables { try db.execute("DROP TABLE IF EXISTS \(t)") }
                try db.execute(MSDSQL.createHelpers)
                for g in MSDStation.all { try db.run(MSDSQL.insertStation, [.text(g.key), .int(g.order)]) }
            }
            try db.execute(MSDSQL.dropSignatureTemps)
            try db.execute("DROP TABLE IF EXISTS temp.sig_total")
            try step("lots") { try db.execute(MSDSQL.fillLots) }
            if m.direction == .backward {
                try step("signatures") { try db.execute(MSDSQL.fillSignatures) }
            } else {
                try db.execute("CREATE TEMP TABLE sig_key (cid TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID")
            }
            try step("lot_weights") { try db.execute(MSDSQL.fillLotWeights) }
            try step("lot_reasons") { try db.execute(MSDSQL.fillLotReasons) }
            try step("dimension_totals") { try db.execute(MSDSQL.fillDimTotals) }
            if m.direction == .backward {
                if m.hasEvents("ev_upstream_history") {
                    try step("factors_equipment") { try db.run(MSDSQL.factorsEquipment, [.int(s0)]) }
                    try step("cf_equipment") { try db.run(MSDSQL.cfEquipment, [.int(s0)]) }
                    try step("shared_names") {
                        try db.run(MSDSQL.factorsSharedNames)
                        if db.changes > 0 { try db.run(MSDSQL.cfSharedNames, [.int(s0)]) }
                    }
                    try step("families") { try db.run(m.hasResources ? MSDSQL.familyFromResources : MSDSQL.familyUnknown) }
                }
                if m.hasEvents("ev_materials") {
                    try step("factors_material") { try db.execute(MSDSQL.factorsMaterial) }
                    try step("cf_material") { try db.run(MSDSQL.cfMaterial) }
                }
                try step("signature_pairs") { try db.execute(MSDSQL.fillSignaturePairs) }
                try step("ancestors") {
                    try m.spool.setMeta("msd.total_ancestor_count", String(try db.scalarInt(MSDSQL.totalAncestors) ?? 0))
                }
                try step("own_pairs") { try db.execute(MSDSQL.fillOwnPairs) }
                try step("factor_totals") { try db.execute(MSDSQL.fillFactorTotals) }
                try step("detail") { try db.execute(MSDSQL.fillDetail) }
            } else {
                try step("forward_lineage") { try db.execute(MSDSQL.fillForward) }
                if m.hasEvents("ev_upstream_history") { try step("forward_wip") { try db.run(MSDSQL.forwardWIP, [.int(s0)]) } }
                if m.hasEvents("ev_downstream_rejects") {
                    try step("forward_rejects") { try db.run(MSDSQL.forwardRejects, [.int(s0)]) }
                }
                try step("forward_index") { try db.execute(MSDSQL.forwardIndex) }
            }
            try db.execute(MSDSQL.dropSignatureTemps)
            try m.spool.setMeta(metaKey, signature(m))
          }
        }
        MSDClock.report("msd helpers (cpu s)", timings)
        MSDClock.report("msd helpers (sqlite heap peak MiB)", memory)
        MSDClock.report("msd helpers (process peak RSS MiB)", [("after", MSDClock.peakRSSMiB())])
    }

    static func factorRanges(_ db: SQLiteDatabase) throws -> [MSDSQL.Kind: ClosedRange<Int>] {
        var out: [MSDSQL.Kind: ClosedRange<Int>] = [:]
        try db.each(MSDSQL.factorRanges) { s in
            if let k = MSDSQL.Kind(rawValue: s.count(0)) { out[k] = s.count(1)...s.count(2) }
        }
        return out
    }
}


/// Wall and CPU clocks for the `TRACESPOOL_MSD_TIMING=1` breakdown (the host may be shared, so
/// CPU seconds are the steadier figure).
enum MSDClock {
    static func now() -> (wall: Double, cpu: Double) {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        let cpu = Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
        return (Date().timeIntervalSince1970, cpu)
    }

    /// SQLite's heap high-water mark (MiB) since the last `SQLiteDatabase.heapUsage(reset:)`.
    static func sqlitePeakMiB() -> Double { Double(SQLiteDatabase.heapUsage().highwater) / 1_048_576 }

    /// The process's peak resident set so far (MiB).
    static func peakRSSMiB() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_maxrss) / 1024
    }

    static var enabled: Bool { ProcessInfo.processInfo.environment["TRACESPOOL_MSD_TIMING"] == "1" }

    static func report(_ title: String, _ timings: [(String, Double)]) {
        guard enabled else { return }
        let line = timings.map { "\($0.0)=\(String(format: "%.3f", $0.1))" }.joined(separator: " ")
        FileHandle.standardError.write(Data("\(title): \(line)\n".utf8))
    }
}
