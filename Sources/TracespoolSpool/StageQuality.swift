/// How much of a stage's batches arrived (`trace-pipeline.md` §5.4 vocabulary): every batch, some
/// (the failed ones are recorded in the ledger with their CID ranges), or none. Ordered from best
/// to worst, so a job's quality is the worst of its stages'.
public enum StageQuality: String, Sendable, Comparable, CaseIterable {
    case complete
    case partial
    case failed

    private var rank: Int {
        switch self {
        case .complete: return 0
        case .partial: return 1
        case .failed: return 2
        }
    }

    public static func < (a: StageQuality, b: StageQuality) -> Bool { a.rank < b.rank }

    /// The quality of `batches` batches of which `failed` failed.
    public init(batches: Int, failed: Int) {
        self = failed == 0 ? .complete : (failed >= batches ? .failed : .partial)
    }

    /// The job-level quality over its stages: `complete` only if every stage is, else `partial` —
    /// a job with a wholly failed stage still holds the other stages' rows (the reference's
    /// query-scope rule: a failed domain makes the query partial).
    public static func job<S: Sequence>(_ stages: S) -> StageQuality where S.Element == StageQuality {
        stages.contains { $0 != .complete } ? .partial : .complete
    }
}
