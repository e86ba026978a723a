/// The job state machine (README "Jobs"): `queued → running → succeeded | failed | cancelled`,
/// and `expired` once retention has removed a finished job's spool. A lease-expired `running` job
/// goes back to `running` under a new worker and attempt (takeover); a worker shut down gracefully
/// hands its job back to `queued`.
public enum JobState: String, Sendable, CaseIterable, Codable {
    case queued, running, succeeded, failed, cancelled, expired

    /// Finished states: the job's outcome is written and only retention changes it.
    public var isFinished: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// A job's result quality (`complete`, `partial`, or `failed` when nothing usable was produced).
public enum JobQuality: String, Sendable, Codable {
    case complete, partial, failed
}
