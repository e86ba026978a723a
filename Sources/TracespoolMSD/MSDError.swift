/// Why an MSD request cannot be answered. Codes are stable (CLI stderr and exit status, later the
/// HTTP API); messages name the offending value.
public struct MSDError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// No spool for the job id, or no such file.
        case noSuchJob = "MSD_NO_SUCH_JOB"
        /// The spool belongs to a job whose profile is not `mid_section_defect`.
        case notMSD = "MSD_NOT_MSD_JOB"
        /// The spool has no MSD detection / lineage tables (the job never reached that stage).
        case tablesMissing = "MSD_TABLES_MISSING"
        /// The MSD tables lack columns this version reads (written by an older tracespool).
        case schemaOutdated = "MSD_SCHEMA_OUTDATED"
        /// The per-job helper tables are absent or stale and the spool cannot be written to build them.
        case notPrepared = "MSD_NOT_PREPARED"
        /// A bad request value: sort key, order, page, page size.
        case invalidArgument = "MSD_INVALID_ARGUMENT"
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var code: String { kind.rawValue }
    public var description: String { "\(code): \(message)" }
}
