import Foundation

/// The human-readable `--table` view of a summary: parameters, the KPI block and the top rows of
/// each chart, columns aligned for a terminal (CJK characters count two columns).
public enum MSDSummaryTable {
    public static func render(summaryText: String, topRows: Int = 5) throws -> String {
        guard let data = summaryText.data(using: .utf8),
              let o = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw MSDError(.schemaOutdated, "the stored summary is not a JSON object")
        }
        var out = ""
        let forward = (o["direction"] as? String) == "forward"
        let stations = (o["stations"] as? [String] ?? []).joined(separator: ",")
        let range = (o["date_range"] as? [Any] ?? []).map { ($0 as? String) ?? "…" }.joined(separator: " → ")
        out += "MSD \(forward ? "forward" : "backward") · job \(o["job_id"] as? String ?? "-") · station \(stations.isEmpty ? "-" : stations)"
            + (range.isEmpty ? "" : " · \(range)") + "\n"
        if let q = o["quality"] as? String, q != "complete" {
            // A summary built on a partial job must say so where people look first.
            let stages = (o["stage_quality"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.compactMap { k, v -> String? in
                guard let st = v as? [String: Any], let status = st["status"] as? String, status != "complete" else { return nil }
                return "\(k) \(status) (\((st["failed_ranges"] as? [Any])?.count ?? 0) of \(format(st["batches"])) batches failed)"
            }
            out += "QUALITY: \(q.uppercased())" + (stages.isEmpty ? "" : " — " + stages.joined(separator: ", ")) + "\n"
        }
        if let f = o["filters"] as? [String: Any] {
            let parts = ["loss_reasons", "pj_types", "packages"].compactMap { k -> String? in
                let v = f[k] as? [String] ?? []
                return v.isEmpty ? nil : "\(k)=\(v.joined(separator: ","))"
            }
            if !parts.isEmpty { out += "filters: \(parts.joined(separator: " · "))\n" }
        }
        out += "\n"
        var kpiRows = (MSDSummaryKeys.kpi(forward: forward).map { k in [k, format((o["kpi"] as? [String: Any])?[k])] })
        if forward { kpiRows.append(["amplification", format(o["amplification"])]) }
        out += table(title: "KPI", header: ["", ""], rows: kpiRows, numeric: [false, true])

        let charts = o["charts"] as? [String: Any] ?? [:]
        for name in MSDSummaryKeys.charts(forward: forward) {
            let items = charts[name] as? [[String: Any]] ?? []
            let cols = ["name", "lot_count", "defect_qty", "input_qty", "defect_rate", "cumulative_pct"]
                .filter { c in items.contains { $0[c] != nil } }
            let shown = items.prefix(topRows)
            let rows = shown.map { item in cols.map { format(item[$0]) } }
            let title = "\(name) (top \(shown.count) of \(items.count))"
            out += table(title: title, header: cols, rows: rows, numeric: cols.map { $0 != "name" })
        }
        if forward, let front = o["by_detection_loss_reason"] as? [[String: Any]] {
            let cols = ["loss_reason", "reject_qty", "input_qty", "lot_count", "reject_rate"]
            out += table(title: "by_detection_loss_reason (top \(min(topRows, front.count)) of \(front.count))", header: cols,
                         rows: front.prefix(topRows).map { r in cols.map { format(r[$0]) } }, numeric: cols.map { $0 != "loss_reason" })
        }
        if let n = o["detail_total_count"] { out += "detail rows: \(format(n))\n" }
        return out
    }

    static func format(_ v: Any?) -> String {
        switch v {
        case nil, is NSNull: return "—"
        case let s as String: return s
        case let n as NSNumber:
            let d = n.doubleValue
            return d == d.rounded() && abs(d) < 1e15 && !"\(n)".contains(".") ? String(Int64(d)) : "\(n)"
        default: return "\(v!)"
        }
    }

    static func width(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { acc, u in
            let v = u.value
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v)
            return acc + (wide ? 2 : 1)
        }
    }

    static func pad(_ s: String, _ w: Int, right: Bool) -> String {
        let fill = String(repeating: " ", count: max(0, w - width(s)))
        return right ? fill + s : s + fill
    }

    static func table(title: String, header: [String], rows: [[String]], numeric: [Bool]) -> String {
        var out = "\(title)\n"
        guard !rows.isEmpty else { return out + "  (none)\n\n" }
        let showHeader = header.contains { !$0.isEmpty }
        var widths = header.map(width)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], width(c)) } }
        func line(_ r: [String]) -> String {
            "  " + r.enumerated().map { i, c in pad(c, widths[i], right: numeric[i]) }.joined(separator: "  ") + "\n"
        }
        if showHeader {
            out += line(header)
            out += "  " + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ") + "\n"
        }
        for r in rows { out += line(r) }
        return out + "\n"
    }
}
