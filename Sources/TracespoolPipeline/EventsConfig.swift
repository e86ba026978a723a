/// Tuning of the events stage; defaults are the reference's, overridable by environment and flags.
public struct EventsConfig: Sendable {
    /// CIDs per warehouse statement (`TRACE_CID_BATCH`).
    public var cidBatchSize = 1000
    /// Rows per in-memory block between fetch and write (`DB_SLOW_FETCHMANY_SIZE`); a block is
    /// also full at 512 KiB of field bytes (`RowBlock`). 2 500, not the reference's fetchmany of
    /// 5 000: the same speed and 0.3–0.5 MiB less peak at 115 000 CIDs (README "Where the memory goes").
    public var fetchRows = 2500
    /// Per-statement timeout (`TRACESPOOL_STATEMENT_TIMEOUT_MS`).
    public var statementTimeoutMs = 60_000
    /// Warehouse connections fetching batches in turn (`TRACESPOOL_FETCH_CONNECTIONS`).
    public var fetchConnections = 2
    /// How long a batch whose connection was lost is retried (`TRACESPOOL_SOURCE_RETRY_SECONDS`):
    /// long enough to ride out a server restart, then the job fails resumable. Backoff doubles
    /// from `backoffMs` up to `maxBackoffMs`.
    public var sourceRetrySeconds = 60.0
    public var backoffMs = 500
    public var maxBackoffMs = 5000
    /// How the `jobs` domain finds a batch's jobs (`TRACESPOOL_JOBS_MATCH`).
    public var jobsMatch = JobsMatch.auto

    public enum JobsMatch: String, Sendable, CaseIterable {
        /// `index` when the warehouse has the recommended GIN index, else `scan`.
        case auto
        /// Per CID batch through the GIN index on `containerids` tokens.
        case index
        /// One scan of `dw_mes_job` per trace, then the matching jobs by ctid (no index needed).
        case scan
    }

    public init() {}

    /// Defaults overridden by the reference's environment variable names.
    public static func fromEnvironment(_ env: [String: String]) throws -> EventsConfig {
        var c = EventsConfig()
        func read(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let raw = env[name] else { return nil }
            guard let v = Int(raw), range.contains(v) else {
                throw ConfigError(message: "\(name)=\(raw) is not an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return v
        }
        if let v = try read("TRACE_CID_BATCH", 1...100_000) { c.cidBatchSize = v }
        if let v = try read("DB_SLOW_FETCHMANY_SIZE", 1...1_000_000) { c.fetchRows = v }
        if let v = try read("TRACESPOOL_STATEMENT_TIMEOUT_MS", 0...86_400_000) { c.statementTimeoutMs = v }
        if let v = try read("TRACESPOOL_FETCH_CONNECTIONS", 1...16) { c.fetchConnections = v }
        if let v = try read("TRACESPOOL_SOURCE_RETRY_SECONDS", 0...86_400) { c.sourceRetrySeconds = Double(v) }
        if let raw = env["TRACESPOOL_JOBS_MATCH"] {
            guard let m = JobsMatch(rawValue: raw) else {
                throw ConfigError(message: "TRACESPOOL_JOBS_MATCH=\(raw) is not one of " + JobsMatch.allCases.map(\.rawValue).joined(separator: ", "))
            }
            c.jobsMatch = m
        }
        return c
    }
}

public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
