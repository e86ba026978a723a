import TracespoolPipeline
import TracespoolSpool

/// What `run` reports: `--json` prints it, tests read it.
public struct JobResult: Sendable {
    /// Size of the spool file (and its WAL) when the job finished.
    public let spoolBytes: Int
    public let jobId: String
    public let spoolPath: String
    public let state: String
    public let profile: String
    public let cidCount: Int
    public let unknownCIDs: Int
    /// The first unknown CIDs, in CID order (at most 20).
    public let unknownCIDSample: [String]
    public let duplicateCIDs: Int
    public let seedCount: Int?
    public let notFound: [String]
    public let nodeCount: Int?
    public let edgeCount: Int?
    public let detectionLots: Int?
    public let warnings: [String]
    public let domains: [DomainOutcome]
    /// Every stage's quality from the spool's ledger (seeds, detection, lineage, each domain, resources).
    public let stages: [SpoolStageQuality]
    public let stageSeconds: [(String, Double)]
    public let elapsedSeconds: Double
    /// One line per attempt after the first (`JobExecution`), nil for a job that ran once.
    public var resumes: String? = nil

    /// The worst over all stages: `partial` when any stage or domain lost batches, else `complete`.
    public var quality: StageQuality {
        StageQuality.job(stages.map(\.quality) + domains.map { StageQuality(rawValue: $0.status) ?? .partial })
    }
}

/// A job that stopped with an error, with the stable code and the job id (if one was made).
public struct JobFailure: Error, CustomStringConvertible, Sendable {
    public let jobId: String?
    public let code: String
    public let message: String
    public let underlying: any Error

    public var description: String { "\(code): \(message)" }
}

/// Seed resolution found nothing: no job is left behind.
public struct NoSeedsFound: Error, CustomStringConvertible, Sendable {
    public let code: String
    public let notFound: [String]
    public let message: String
    public var description: String { message }
}
