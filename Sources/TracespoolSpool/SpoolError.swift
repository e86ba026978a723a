/// Why a spool could not be written or read. Codes are stable (CLI `--json`, API, logs).
public struct SpoolError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// The spool folder or file cannot be created or written (permissions, missing folder).
        case unwritable = "SPOOL_UNWRITABLE"
        /// The disk filled up (`SQLITE_FULL`).
        case diskFull = "SPOOL_DISK_FULL"
        /// The file is not a tracespool spool (not SQLite, or no tracespool meta).
        case notASpool = "SPOOL_NOT_A_SPOOL"
        /// The spool was written by a newer (or unknown) schema version.
        case unsupportedVersion = "SPOOL_UNSUPPORTED_VERSION"
        /// The file is damaged or truncated.
        case corrupt = "SPOOL_CORRUPT"
        /// The writer's lease was taken over: another attempt of the job owns the spool now.
        case leaseLost = "SPOOL_LEASE_LOST"
        /// Another process holds the spool's write lock for longer than we wait.
        case locked = "SPOOL_LOCKED"
        /// Any other SQLite failure.
        case failed = "SPOOL_FAILED"
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
