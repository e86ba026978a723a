/// The quality of every stage of a job, derived from the spool's batch ledger alone — so a reader
/// (MSD summaries, exports, later the API) reports the same quality the job did, without the
/// catalog. Ledger names map to stages: `seed_matches.*` and `msd_candidates` (MSD date mode's
/// seeds) → seeds, `msd_detection` → detection, `lineage_raw` → lineage, `msd_resources` → resources,
/// `job_tokens` → jobs, event tables by their domain name.
public struct SpoolStageQuality: Sendable, Equatable {
    public struct FailedRange: Sendable, Equatable {
        public let start: String
        public let end: String
        public let code: String
    }

    public let stage: String
    public let quality: StageQuality
    public let batches: Int
    public let failedRanges: [FailedRange]

    public init(stage: String, quality: StageQuality, batches: Int, failedRanges: [FailedRange]) {
        self.stage = stage
        self.quality = quality
        self.batches = batches
        self.failedRanges = failedRanges
    }

    /// The stage a ledger name belongs to.
    public static func stage(ofLedger name: String) -> String {
        if name.hasPrefix("seed_matches") { return "seeds" }
        switch name {
        case "msd_candidates": return "seeds"
        case "msd_detection": return "detection"
        case "lineage_raw": return "lineage"
        case "msd_resources": return "resources"
        case "job_tokens": return "jobs"
        default: return name
        }
    }
}

extension Spool {
    /// Pipeline order of the non-domain stages; event domains sit between lineage and resources.
    static func rank(_ stage: String) -> Int {
        switch stage {
        case "seeds": return 0
        case "detection": return 1
        case "lineage": return 2
        case "resources": return 4
        default: return 3
        }
    }

    /// Per stage, in pipeline order: its batches and failed ranges.
    public func stageQualities() throws -> [SpoolStageQuality] {
        var order: [String] = []
        var batches: [String: Int] = [:]
        var failed: [String: [SpoolStageQuality.FailedRange]] = [:]
        let s = try database.prepare("""
            SELECT domain, state, first_cid, last_cid, error_code FROM ledger ORDER BY domain, batch
            """)
        while try s.step() {
            let stage = SpoolStageQuality.stage(ofLedger: s.text(0) ?? "")
            if batches[stage] == nil { order.append(stage) }
            batches[stage, default: 0] += 1
            if s.text(1) == "failed" {
                failed[stage, default: []].append(.init(start: s.text(2) ?? "", end: s.text(3) ?? "", code: s.text(4) ?? ""))
            }
        }
        order.sort { (Spool.rank($0), $0) < (Spool.rank($1), $1) }
        return order.map { st in
            let f = failed[st] ?? []
            return SpoolStageQuality(stage: st, quality: StageQuality(batches: batches[st] ?? 0, failed: f.count),
                                     batches: batches[st] ?? 0, failedRanges: f)
        }
    }

    /// The job's quality: `complete` when no batch of any stage failed, else `partial`.
    public func jobQuality() throws -> StageQuality {
        StageQuality.job(try stageQualities().map(\.quality))
    }
}
