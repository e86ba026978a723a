import TracespoolPipeline
import TracespoolSource

/// What `tracespool doctor` found on a warehouse. `problems` stop tracespool (exit 69);
/// `warnings` and missing indexes only slow it down or limit what it can trace.
public struct DoctorReport: Sendable {
    public struct Problem: Sendable, Equatable {
        /// A `SourceError.Kind` code (`SOURCE_…`), so `ExitStatus.forCode` maps it.
        public let code: String
        public let message: String
    }

    public struct Server: Sendable {
        public var version = ""
        public var versionNumber = 0
        public var inRecovery = false
        public var role = ""
        public var sessionRole = ""
        public var database = ""
        public var isolation = ""
        public var readOnly = false
        public var schemaPresent = false
        public var schemaUsage = false
        public var bypassRLS = false
        public var snapshotExport = false
        public var snapshotError: String?
        public var hotStandbyFeedback = ""
        public var maxStandbyStreamingDelay = ""
    }

    public struct Column: Sendable {
        public let name: String
        public let expectedType: String
        /// nil: the column is missing.
        public let type: String?
        public var present: Bool { type != nil }
        public var typeMatches: Bool { type == expectedType }
    }

    public struct Table: Sendable {
        public let name: String
        public let readBy: String
        public let defaultTrace: Bool
        /// `table`, `view`, `materialized view`, `partitioned table`, `foreign table`; nil: missing.
        public let kind: String?
        /// The connecting role's SELECT privilege (nil when the table is missing).
        public let select: Bool?
        public let rowSecurity: Bool
        public let columns: [Column]
        public var present: Bool { kind != nil }
        public var missingColumns: [Column] { present ? columns.filter { !$0.present } : [] }
    }

    public struct Cost: Sendable {
        public let method: DoctorQueries.CostMethod
        public let probe: String
        /// The planner's total cost of the statement (arbitrary units: sequential page reads).
        public var totalCost: Double?
        /// The plan node reading the index's table, e.g. `Seq Scan on dw_mes_container c`.
        public var access: String?
        /// The planner's row estimate of that node.
        public var accessRows: Int?
        /// `measured` only: the server's execution time of the sample batch.
        public var milliseconds: Double?
        public var timedOut = false
        public var error: String?
    }

    public struct Index: Sendable {
        public let index: WarehouseIndex
        public let present: Bool
        /// Only for a missing index whose table can be read.
        public let cost: Cost?
    }

    public var server = Server()
    public var tables: [Table] = []
    public var indexes: [Index] = []
    public var problems: [Problem] = []
    public var warnings: [String] = []
    public var costMethod = DoctorQueries.CostMethod.plannerEstimate
    public var batchSize = 1000
    public var timeoutMs = 10_000

    public var canRun: Bool { problems.isEmpty }
    public var missingIndexes: [Index] { indexes.filter { !$0.present } }

    /// One line.
    public var verdict: String {
        if !canRun { return "cannot run: " + problems.map(\.message).joined(separator: "; ") }
        let missing = missingIndexes
        var text = "ok: tracespool can run here"
        if missing.isEmpty && warnings.isEmpty { return text + "; every table, column and index it uses is in place" }
        if !missing.isEmpty {
            let minimal = missing.filter { $0.index.tier == .minimal }.count
            let recommended = missing.count - minimal
            var parts: [String] = []
            if minimal > 0 { parts.append("\(minimal) minimal") }
            if recommended > 0 { parts.append("\(recommended) recommended") }
            text += ", slower: \(missing.count) of \(indexes.count) indexes missing (\(parts.joined(separator: ", ")))"
        }
        let other = warnings.count - (missing.isEmpty ? 0 : 1)
        if other > 0 { text += "; \(other) warning\(other == 1 ? "" : "s")" }
        return text
    }
}

/// `tracespool doctor`: connects read-only (`default_transaction_read_only`, one
/// `REPEATABLE READ READ ONLY` transaction, rolled back) and checks the warehouse against
/// `WarehouseContract` and `WarehouseIndexes`. Nothing is ever written.
public enum WarehouseDoctor {
    /// Throws `SourceError` when the source cannot be reached or a catalog query fails; every
    /// finding about the warehouse itself is in the report.
    public static func examine(conninfo: String, costMethod: DoctorQueries.CostMethod = .plannerEstimate,
                               batchSize: Int = 1000, timeoutMs: Int = 10_000) throws -> DoctorReport {
        let c = try PGConnection(conninfo: conninfo)
        defer {
            try? c.execute("ROLLBACK")
            c.close()
        }
        var report = DoctorReport()
        report.costMethod = costMethod
        report.batchSize = max(1, batchSize)
        report.timeoutMs = max(0, timeoutMs)
        try begin(c, timeoutMs: report.timeoutMs)

        // The snapshot first, at the transaction's top level (never from a savepoint), as a job's
        // anchor connection exports it. A failure aborts the transaction: start a fresh one.
        do {
            _ = try c.query(DoctorQueries.exportSnapshot)
            report.server.snapshotExport = true
        } catch let e as SourceError where e.kind == .queryFailed || e.kind == .missingTable {
            report.server.snapshotError = e.message
            try c.execute("ROLLBACK")
            try begin(c, timeoutMs: report.timeoutMs)
        }

        report.server = try server(c, keeping: report.server)
        report.tables = try tables(c)
        report.indexes = try indexes(c, tables: report.server.schemaUsage ? report.tables : [], method: costMethod,
                                     batch: report.batchSize)
        judge(&report)
        return report
    }

    static func begin(_ c: PGConnection, timeoutMs: Int) throws {
        try c.execute("SET default_transaction_read_only = on")
        try c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try c.execute("SET LOCAL statement_timeout = \(timeoutMs)")
    }

    static func server(_ c: PGConnection, keeping s: DoctorReport.Server) throws -> DoctorReport.Server {
        let r = try c.query(DoctorQueries.server, [WarehouseContract.schema])
        var s = s
        s.version = r.string(0, 0) ?? ""
        s.versionNumber = r.int(0, 1) ?? 0
        s.inRecovery = r.string(0, 2) == "t"
        s.role = r.string(0, 3) ?? ""
        s.sessionRole = r.string(0, 4) ?? ""
        s.database = r.string(0, 5) ?? ""
        s.isolation = r.string(0, 6) ?? ""
        s.readOnly = r.string(0, 7) == "on"
        s.schemaPresent = r.string(0, 8) == "t"
        s.schemaUsage = r.string(0, 9) == "t"
        s.bypassRLS = r.string(0, 10) == "t"
        s.hotStandbyFeedback = r.string(0, 11) ?? ""
        s.maxStandbyStreamingDelay = r.string(0, 12) ?? ""
        return s
    }

    static let kinds = ["r": "table", "v": "view", "m": "materialized view", "p": "partitioned table", "f": "foreign table"]

    static func tables(_ c: PGConnection) throws -> [DoctorReport.Table] {
        let contract = WarehouseContract.tables
        let t = try c.query(DoctorQueries.tables, [PGArrayLiteral.text(contract.map(\.name)), WarehouseContract.schema])
        let pairs = contract.flatMap { table in table.columns.map { (table.name, $0.name) } }
        let col = try c.query(DoctorQueries.columns, [PGArrayLiteral.text(pairs.map(\.0)), PGArrayLiteral.text(pairs.map(\.1)),
                                                      WarehouseContract.schema])
        var types: [String: String] = [:]
        for i in 0..<col.rowCount {
            if let type = col.string(i, 2) { types["\(col.string(i, 0) ?? "").\(col.string(i, 1) ?? "")"] = type }
        }
        return contract.enumerated().map { i, table in
            let kind = t.string(i, 1).flatMap { kinds[$0] ?? $0 }
            return DoctorReport.Table(
                name: table.name, readBy: table.readBy, defaultTrace: table.defaultTrace, kind: kind,
                select: kind == nil ? nil : t.string(i, 2) == "t", rowSecurity: t.string(i, 3) == "t",
                columns: table.columns.map { DoctorReport.Column(name: $0.name, expectedType: $0.type, type: types["\(table.name).\($0.name)"]) })
        }
    }

    /// Probes run only on `tables` that are complete and readable.
    static func indexes(_ c: PGConnection, tables: [DoctorReport.Table], method: DoctorQueries.CostMethod,
                        batch: Int) throws -> [DoctorReport.Index] {
        let readable = Set(tables.filter { $0.present && $0.select == true && $0.missingColumns.isEmpty }.map(\.name))
        return try WarehouseIndexes.all.map { index in
            let present = try WarehouseIndexes.present(index, on: c)
            guard !present, readable.contains(index.table) else { return DoctorReport.Index(index: index, present: present, cost: nil) }
            return DoctorReport.Index(index: index, present: false,
                                      cost: try cost(DoctorQueries.probe(for: index, batch: batch), table: index.table,
                                                     method: method, batch: batch, on: c))
        }
    }

    /// Plans (or runs) one probe inside a savepoint, rolled back afterwards: its `SET LOCAL`s and
    /// any error stay inside it.
    static func cost(_ probe: DoctorQueries.Probe, table: String, method: DoctorQueries.CostMethod, batch: Int,
                     on c: PGConnection) throws -> DoctorReport.Cost {
        var cost = DoctorReport.Cost(method: method, probe: probe.description)
        try c.execute("SAVEPOINT doctor_probe")
        do {
            for setting in probe.settings { try c.execute(setting) }
            var sample: [String?] = []
            if let sql = probe.sample {
                let r = try c.query(sql, [String(batch)])
                sample = (0..<r.columnCount).map { r.rowCount > 0 ? r.string(0, $0) : nil }
            }
            let params: [String?] = probe.parameters.map {
                switch $0 {
                case .sample(let i): return i < sample.count ? sample[i] : nil
                case .text(let t): return t
                }
            }
            let r = try c.query(method.explainPrefix + probe.statement, params)
            PlanText.read((0..<r.rowCount).compactMap { r.string($0, 0) }, table: table, into: &cost)
        } catch let e as SourceError where e.kind != .connectionLost {
            cost.error = e.message
            cost.timedOut = e.kind == .timeout
        }
        try c.execute("ROLLBACK TO SAVEPOINT doctor_probe")
        return cost
    }

    static func judge(_ report: inout DoctorReport) {
        let schema = WarehouseContract.schema
        let s = report.server
        var problems: [DoctorReport.Problem] = []
        var warnings: [String] = []
        if !s.schemaPresent {
            problems.append(.init(code: SourceError.Kind.missingTable.rawValue, message: "the source has no schema \(schema)"))
        } else {
            let missing = report.tables.filter { !$0.present }
            if !missing.isEmpty {
                problems.append(.init(code: SourceError.Kind.missingTable.rawValue,
                                      message: "the source has no table " + missing.map { "\(schema).\($0.name)" }.joined(separator: ", ")))
            }
            let columns = report.tables.flatMap { t in t.missingColumns.map { "\(schema).\(t.name).\($0.name)" } }
            if !columns.isEmpty {
                problems.append(.init(code: SourceError.Kind.missingTable.rawValue,
                                      message: "the source has no column " + columns.joined(separator: ", ")))
            }
            if !s.schemaUsage {
                problems.append(.init(code: SourceError.Kind.permissionDenied.rawValue,
                                      message: "role \(s.role) has no USAGE privilege on schema \(schema)"))
            } else {
                let denied = report.tables.filter { $0.select == false }
                let fatal = denied.filter(\.defaultTrace)
                if !fatal.isEmpty {
                    problems.append(.init(code: SourceError.Kind.permissionDenied.rawValue,
                                          message: "role \(s.role) has no SELECT privilege on " + fatal.map { "\(schema).\($0.name)" }.joined(separator: ", ")))
                }
                for t in denied where !t.defaultTrace {
                    warnings.append("role \(s.role) has no SELECT privilege on \(schema).\(t.name): \(t.readBy) will fail")
                }
            }
        }
        if !s.snapshotExport {
            problems.append(.init(code: SourceError.Kind.queryFailed.rawValue,
                                  message: "pg_export_snapshot() failed (every job shares one exported snapshot): \(s.snapshotError ?? "unknown error")"))
        }
        for t in report.tables where t.present {
            for col in t.columns where col.present && !col.typeMatches {
                warnings.append("\(schema).\(t.name).\(col.name) is \(col.type ?? "?"), the reference has \(col.expectedType)")
            }
            if t.rowSecurity && !s.bypassRLS {
                warnings.append("row-level security is on for \(schema).\(t.name): role \(s.role) may see only some rows")
            }
        }
        if s.inRecovery && s.hotStandbyFeedback != "on" {
            warnings.append("standby with hot_standby_feedback = \(s.hotStandbyFeedback): long batches may be cancelled by recovery "
                            + "conflicts (max_standby_streaming_delay = \(s.maxStandbyStreamingDelay)); tracespool retries, then marks them failed")
        }
        let missing = report.missingIndexes
        if !missing.isEmpty {
            warnings.insert("\(missing.count) index\(missing.count == 1 ? "" : "es") missing: traces work, slower (CREATE INDEX statements above)", at: 0)
        }
        report.problems = problems
        report.warnings = warnings
    }
}

/// Reads `EXPLAIN` text output: the total cost (first line), the node that reads a given table,
/// and (`ANALYZE`) the execution time.
enum PlanText {
    static func read(_ lines: [String], table: String, into cost: inout DoctorReport.Cost) {
        if let first = lines.first { cost.totalCost = number(after: "cost=", in: first, secondOfRange: true) }
        let onTable = lines.filter { mentions($0, table) }
        if let node = onTable.first(where: { $0.contains("Seq Scan on ") }) ?? onTable.first {
            var text = Substring(node)
            while let f = text.first, f == " " || f == "-" || f == ">" { text.removeFirst() }
            if let paren = text.range(of: "  (") { text = text[..<paren.lowerBound] }
            cost.access = String(text)
            cost.accessRows = number(after: "rows=", in: node, secondOfRange: false).map { Int($0) }
        }
        if let t = lines.first(where: { $0.hasPrefix("Execution Time:") }) {
            cost.milliseconds = number(after: "Execution Time: ", in: t, secondOfRange: false)
        }
    }

    /// Whether an EXPLAIN line names `table` as a relation (` on table` then a space, or the end).
    static func mentions(_ line: String, _ table: String) -> Bool {
        guard let r = line.range(of: " on \(table)") else { return false }
        return r.upperBound == line.endIndex || line[r.upperBound] == " "
    }

    /// The number after `marker`; with `secondOfRange`, the `b` of `a..b`.
    static func number(after marker: String, in line: String, secondOfRange: Bool) -> Double? {
        guard let r = line.range(of: marker) else { return nil }
        var text = line[r.upperBound...].prefix { $0.isNumber || $0 == "." }
        if secondOfRange, let dots = text.range(of: "..") { text = text[dots.upperBound...] }
        return Double(text)
    }
}
