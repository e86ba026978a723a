/// The twelve workcenter groups of `msd.md` §1.2 in process order — a data copy of the pipeline's
/// `StationGroup` table (TracespoolMSD depends only on the spool module; a test checks the two
/// tables agree). The spool's event rows already carry WORKCENTER_GROUP; this table gives each
/// group its order (for the upstream / downstream cut-off) and classifies raw detection
/// WORKCENTERNAMEs with the same literal, case-insensitive substring rule (never `LIKE`).
public struct MSDStation: Sendable, Equatable {
    public let key: String
    public let order: Int
    public let includes: [String]
    public let excludes: [String]

    public static let all: [MSDStation] = [
        MSDStation(key: "切割", order: 0, includes: ["切割"], excludes: ["元件切割", "PKG_SAW"]),
        MSDStation(key: "焊接_DB", order: 1, includes: ["焊接_DB", "焊_DB_料", "焊_DB"], excludes: []),
        MSDStation(key: "焊接_WB", order: 2, includes: ["焊接_WB", "焊_WB_料", "焊_WB"], excludes: []),
        MSDStation(key: "焊接_DW", order: 3, includes: ["焊接_DW", "焊_DW", "焊_DW_料"], excludes: []),
        MSDStation(key: "成型", order: 4, includes: ["成型", "成型_料"], excludes: []),
        MSDStation(key: "去膠", order: 5, includes: ["去膠"], excludes: []),
        MSDStation(key: "水吹砂", order: 6, includes: ["水吹砂"], excludes: []),
        MSDStation(key: "電鍍", order: 7, includes: ["掛鍍", "滾鍍", "條鍍", "電鍍", "補鍍", "TOTAI", "BANDL"], excludes: []),
        MSDStation(key: "移印", order: 8, includes: ["移印"], excludes: []),
        MSDStation(key: "切彎腳", order: 9, includes: ["切彎腳"], excludes: []),
        MSDStation(key: "元件切割", order: 10, includes: ["元件切割", "PKG_SAW"], excludes: []),
        MSDStation(key: "測試", order: 11, includes: ["TMTT", "測試"], excludes: []),
    ]

    /// Order of an unclassified workcenter (`msd.md` §1.2).
    public static let unknownOrder = 999

    public static func named(_ key: String) -> MSDStation? { all.first { $0.key == key } }

    /// 元件切割 is tested before 切割 (whose substring it contains), then process order.
    static let classificationOrder: [MSDStation] =
        all.filter { $0.key == "元件切割" } + all.filter { $0.key != "元件切割" }

    /// The group of a raw workcenter name, or nil (order 999).
    public static func classify(_ workcenter: String) -> MSDStation? {
        let name = workcenter.uppercased()
        return classificationOrder.first { g in
            g.includes.contains { name.contains($0.uppercased()) } && !g.excludes.contains { name.contains($0.uppercased()) }
        }
    }
}
