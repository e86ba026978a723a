/// The twelve workcenter groups of `msd.md` §1.2, in process order. A raw WORKCENTERNAME belongs to
/// the first group (in `classificationOrder`) with an included substring and no excluded one —
/// literal, case-insensitive substring tests, never `LIKE` (where `_` would be a wildcard).
public struct StationGroup: Sendable, Equatable {
    public let key: String
    public let order: Int
    public let includes: [String]
    public let excludes: [String]

    public static let all: [StationGroup] = [
        StationGroup(key: "切割", order: 0, includes: ["切割"], excludes: ["元件切割", "PKG_SAW"]),
        StationGroup(key: "焊接_DB", order: 1, includes: ["焊接_DB", "焊_DB_料", "焊_DB"], excludes: []),
        StationGroup(key: "焊接_WB", order: 2, includes: ["焊接_WB", "焊_WB_料", "焊_WB"], excludes: []),
        StationGroup(key: "焊接_DW", order: 3, includes: ["焊接_DW", "焊_DW", "焊_DW_料"], excludes: []),
        StationGroup(key: "成型", order: 4, includes: ["成型", "成型_料"], excludes: []),
        StationGroup(key: "去膠", order: 5, includes: ["去膠"], excludes: []),
        StationGroup(key: "水吹砂", order: 6, includes: ["水吹砂"], excludes: []),
        StationGroup(key: "電鍍", order: 7, includes: ["掛鍍", "滾鍍", "條鍍", "電鍍", "補鍍", "TOTAI", "BANDL"], excludes: []),
        StationGroup(key: "移印", order: 8, includes: ["移印"], excludes: []),
        StationGroup(key: "切彎腳", order: 9, includes: ["切彎腳"], excludes: []),
        StationGroup(key: "元件切割", order: 10, includes: ["元件切割", "PKG_SAW"], excludes: []),
        StationGroup(key: "測試", order: 11, includes: ["TMTT", "測試"], excludes: []),
    ]

    /// 元件切割 is tested before 切割, whose substring it contains; then process order.
    public static var classificationOrder: [StationGroup] {
        let first = all.filter { $0.key == "元件切割" }
        return first + all.filter { $0.key != "元件切割" }
    }

    public static func named(_ key: String) -> StationGroup? { all.first { $0.key == key } }

    /// The group of a raw workcenter name, or nil (order 999).
    public static func classify(_ workcenter: String) -> StationGroup? {
        let name = workcenter.uppercased()
        return classificationOrder.first { g in
            g.includes.contains { name.contains($0.uppercased()) } && !g.excludes.contains { name.contains($0.uppercased()) }
        }
    }

    /// The same classification as a PostgreSQL `CASE` over `column` (patterns are constants of
    /// this file, quoted here; no user input reaches this text).
    public static func sqlCase(_ column: String) -> String {
        func test(_ p: String) -> String { "strpos(upper(\(column)), '\(p.uppercased())') > 0" }
        let arms = classificationOrder.map { g -> String in
            var cond = "(" + g.includes.map(test).joined(separator: " OR ") + ")"
            if !g.excludes.isEmpty { cond += " AND NOT (" + g.excludes.map(test).joined(separator: " OR ") + ")" }
            return "WHEN \(cond) THEN '\(g.key)'"
        }
        return "CASE " + arms.joined(separator: " ") + " END"
    }
}
