/// The three trace profiles of DESIGN.md and their default event domains.
public enum Profile: String, CaseIterable, Codable, Sendable {
    case queryTool = "query_tool"
    case queryToolReverse = "query_tool_reverse"
    case midSectionDefect = "mid_section_defect"

    /// Default domains when the request names none (`trace-pipeline.md` §1.3).
    public var defaultDomains: [String] {
        switch self {
        case .queryTool: return ["history", "materials", "rejects", "holds", "jobs"]
        case .queryToolReverse: return ["history"]
        case .midSectionDefect: return ["upstream_history", "materials"]
        }
    }
}
