import Foundation
import TracespoolPipeline
import TracespoolSource

/// The two faces of a `DoctorReport`: aligned tables for a terminal, one JSON object for machines
/// (field names documented in the README, "tracespool doctor").
extension DoctorReport {
    // MARK: JSON

    public func jsonObject() -> [String: Any] {
        func opt(_ v: Any?) -> Any { v ?? NSNull() }
        let s = server
        return [
            "can_run": canRun,
            "verdict": verdict,
            "problems": problems.map { ["code": $0.code, "message": $0.message] },
            "warnings": warnings,
            "cost_method": costMethod.rawValue,
            "batch_size": batchSize,
            "timeout_ms": timeoutMs,
            "server": [
                "version": s.version, "version_num": s.versionNumber, "in_recovery": s.inRecovery,
                "role": s.role, "session_role": s.sessionRole, "database": s.database,
                "transaction_isolation": s.isolation, "read_only": s.readOnly,
                "schema_present": s.schemaPresent, "schema_usage": s.schemaUsage, "bypass_rls": s.bypassRLS,
                "snapshot_export": s.snapshotExport, "snapshot_error": opt(s.snapshotError),
                "hot_standby_feedback": s.hotStandbyFeedback, "max_standby_streaming_delay": s.maxStandbyStreamingDelay,
            ] as [String: Any],
            "tables": tables.map { t -> [String: Any] in
                [
                    "table": t.name, "present": t.present, "kind": opt(t.kind), "select": opt(t.select),
                    "row_security": t.rowSecurity, "default_trace": t.defaultTrace, "read_by": t.readBy,
                    "missing_columns": t.missingColumns.map(\.name),
                    "columns": t.columns.map { c -> [String: Any] in
                        ["column": c.name, "present": t.present && c.present, "type": opt(c.type),
                         "expected_type": c.expectedType, "type_matches": c.typeMatches]
                    },
                ]
            },
            "indexes": indexes.map { i -> [String: Any] in
                [
                    "tier": i.index.tier.rawValue, "table": i.index.table, "method": i.index.method, "key": i.index.key,
                    "present": i.present, "purpose": i.index.purpose, "create_statement": i.index.createStatement,
                    "cost": i.cost.map { c -> Any in
                        [
                            "method": c.method.rawValue, "probe": c.probe, "total_cost": opt(c.totalCost.map(Self.round2)),
                            "access": opt(c.access), "access_rows": opt(c.accessRows),
                            "milliseconds": opt(c.milliseconds.map(Self.round2)), "timed_out": c.timedOut, "error": opt(c.error),
                        ] as [String: Any]
                    } ?? NSNull(),
                ]
            },
        ]
    }

    /// The JSON of a doctor that could not connect (or whose catalog queries failed).
    public static func failureObject(code: String, message: String) -> [String: Any] {
        ["can_run": false, "verdict": "cannot run: \(message)", "problems": [["code": code, "message": message]],
         "warnings": [String](), "error": ["code": code, "message": message]]
    }

    static func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }

    // MARK: Text

    public func text() -> String {
        var out: [String] = []
        let s = server
        let schema = WarehouseContract.schema
        out.append("Server")
        out += align([
            ["version", "PostgreSQL \(s.version) (\(s.versionNumber)), \(s.inRecovery ? "standby (in recovery)" : "primary")"],
            ["role", "\(s.role)\(s.sessionRole == s.role ? "" : " (session \(s.sessionRole))"), bypass RLS: \(yes(s.bypassRLS))"],
            ["database", s.database],
            ["transaction", "\(s.isolation), \(s.readOnly ? "read only" : "READ WRITE") (doctor writes nothing)"],
            ["snapshot export", s.snapshotExport
                ? "yes (pg_export_snapshot\(s.inRecovery ? " works on this standby" : ""))"
                : "NO: \(s.snapshotError ?? "failed")"],
            ["schema \(schema)", !s.schemaPresent ? "MISSING" : s.schemaUsage ? "present, USAGE granted" : "present, NO USAGE privilege"],
        ], indent: 2)

        out.append("")
        out.append("Tables (schema \(schema))")
        out += align([["TABLE", "KIND", "SELECT", "COLUMNS", "DEFAULT TRACE", "READ BY"]] + tables.map { t in
            [t.name, t.kind ?? "MISSING", t.select.map { $0 ? "yes" : "NO" } ?? "-",
             t.present ? "\(t.columns.count - t.missingColumns.count)/\(t.columns.count)" : "-",
             yes(t.defaultTrace), t.readBy]
        }, indent: 2)

        out.append("")
        out.append("Columns tracespool reads (type as the warehouse has it)")
        let width = tables.map(\.name.count).max() ?? 0
        for t in tables {
            let cells = t.columns.map { c -> String in
                guard t.present else { return c.name }
                guard let type = c.type else { return "\(c.name) MISSING" }
                return c.typeMatches ? "\(c.name) \(Self.short(type))"
                    : "\(c.name) \(Self.short(type)) (reference: \(Self.short(c.expectedType)))"
            }
            out += wrap(cells, first: "  " + pad(t.name, width) + "  ", rest: String(repeating: " ", count: width + 4),
                        suffix: t.present ? "" : " (table missing)")
        }

        out.append("")
        out.append("Indexes (minimal: what the reference's own warehouse has; recommended: tracespool's accelerations)")
        out += align([["TIER", "TABLE", "KEY", "STATUS"]] + indexes.map { i in
            [i.index.tier.rawValue, i.index.table, Self.displayKey(i.index), i.present ? "present" : "MISSING"]
        }, indent: 2)

        let missing = missingIndexes
        if !missing.isEmpty {
            out.append("")
            let how = costMethod == .plannerEstimate
                ? "planner estimate: EXPLAIN, no ANALYZE, nothing runs"
                : "measured: EXPLAIN ANALYZE of the sample batch, statement_timeout \(timeoutMs) ms"
            out.append("Missing indexes: what one sample batch costs without them (\(how))")
            out += align([["TABLE", "KEY", costMethod == .plannerEstimate ? "COST" : "TIME", "ACCESS", "SAMPLE"]] + missing.map { i in
                [i.index.table, Self.displayKey(i.index), Self.costCell(i.cost, costMethod, timeoutMs), Self.accessCell(i.cost),
                 i.cost?.probe ?? "-"]
            }, indent: 2)
            out.append("  For a DBA to run (tracespool never creates them):")
            for i in missing { out.append("    " + i.index.createStatement) }
        }

        if !problems.isEmpty || !warnings.isEmpty {
            out.append("")
            out.append("Findings")
            for p in problems { out.append("  \(p.code): \(p.message)") }
            for w in warnings { out.append("  warning: \(w)") }
        }
        out.append("")
        out.append("verdict: \(verdict)")
        return out.joined(separator: "\n") + "\n"
    }

    static func costCell(_ cost: Cost?, _ method: DoctorQueries.CostMethod, _ timeoutMs: Int) -> String {
        guard let c = cost else { return "-" }
        if c.timedOut { return "> \(timeoutMs) ms" }
        if c.error != nil { return "error" }
        switch method {
        case .plannerEstimate: return c.totalCost.map { String(format: "%.0f", $0) } ?? "?"
        case .measured: return c.milliseconds.map { String(format: "%.1f ms", $0) } ?? "?"
        }
    }

    static func accessCell(_ cost: Cost?) -> String {
        guard let c = cost else { return "-" }
        if c.timedOut { return "statement timeout" }
        if var e = c.error {
            if let r = e.range(of: "ERROR:") { e = String(e[r.upperBound...]).trimmed() }
            return e.count > 60 ? String(e.prefix(59)) + "…" : e
        }
        guard let a = c.access else { return "-" }
        return a + (c.accessRows.map { " (est. \($0) rows)" } ?? "")
    }

    /// `btree` keys as they are; other methods named; long expressions shortened.
    static func displayKey(_ index: WarehouseIndex) -> String {
        let key = index.method == "btree" ? index.key : "\(index.method): \(index.key)"
        return key.count > 48 ? String(key.prefix(47)) + "…" : key
    }

    /// `character(16)` → `char(16)`, `character varying(40)` → `varchar(40)`, `timestamp(0) without time zone` → `timestamp(0)`.
    static func short(_ type: String) -> String {
        var t = type
        if t.hasPrefix("character varying") { t = "varchar" + t.dropFirst("character varying".count) }
        else if t.hasPrefix("character") { t = "char" + t.dropFirst("character".count) }
        if t.hasSuffix(" without time zone") { t = String(t.dropLast(" without time zone".count)) }
        return t
    }
}

private func yes(_ b: Bool) -> String { b ? "yes" : "no" }

private func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }

/// Rows as columns padded to their widest cell (the last column is not padded).
private func align(_ rows: [[String]], indent: Int) -> [String] {
    let columns = rows.map(\.count).max() ?? 0
    var widths = [Int](repeating: 0, count: columns)
    for r in rows { for (i, cell) in r.enumerated() { widths[i] = max(widths[i], cell.count) } }
    return rows.map { r in
        let cells = r.enumerated().map { i, cell in i == r.count - 1 ? cell : pad(cell, widths[i]) }
        return String(repeating: " ", count: indent) + cells.joined(separator: "  ")
    }
}

/// `cells` joined by ", " and wrapped at 110 characters: `first` before the first line, `rest` before the others.
private func wrap(_ cells: [String], first: String, rest: String, suffix: String) -> [String] {
    var lines: [String] = []
    var line = first
    var empty = true
    for (i, cell) in cells.enumerated() {
        let piece = cell + (i == cells.count - 1 ? suffix : ",")
        if !empty && line.count + 1 + piece.count > 110 {
            lines.append(line)
            line = rest
            empty = true
        }
        line += (empty ? "" : " ") + piece
        empty = false
    }
    lines.append(line)
    return lines
}
