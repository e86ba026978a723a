/// Why the warehouse could not deliver. Each case carries a stable code used in logs, the CLI's
/// `--json` output, the batch ledger and (later) the HTTP API.
public struct SourceError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// The server cannot be reached (bad host, socket, refused, DNS).
        case unavailable = "SOURCE_UNAVAILABLE"
        /// The server answered but refused the credentials.
        case authenticationFailed = "SOURCE_AUTH_FAILED"
        /// The conninfo / URI itself does not parse.
        case invalidSource = "SOURCE_INVALID"
        /// A `dwh` table or column the queries need does not exist.
        case missingTable = "SOURCE_SCHEMA_MISSING"
        /// The role lacks USAGE on schema `dwh` or SELECT on a table a trace reads (SQLSTATE 42501,
        /// or found by `tracespool doctor`): every batch would fail alike, so the job stops.
        case permissionDenied = "SOURCE_PERMISSION_DENIED"
        /// The per-batch statement timeout fired.
        case timeout = "SOURCE_TIMEOUT"
        /// The connection dropped mid-statement.
        case connectionLost = "SOURCE_CONNECTION_LOST"
        /// Any other SQL error.
        case queryFailed = "SOURCE_QUERY_FAILED"
        /// The warehouse returned something we cannot decode.
        case badData = "SOURCE_BAD_DATA"
        /// The job's exported snapshot can no longer be imported (the server restarted, or the
        /// anchor connection died): fetching more would mix warehouse states, so the job stops.
        case snapshotLost = "SOURCE_SNAPSHOT_LOST"
        /// A query's result columns differ from the spool table it fills (names or order).
        case contractMismatch = "SOURCE_CONTRACT_MISMATCH"
    }

    public let kind: Kind
    public let message: String
    /// SQLSTATE when the server reported one.
    public let sqlState: String?

    public init(_ kind: Kind, _ message: String, sqlState: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
    }

    public var code: String { kind.rawValue }
    public var description: String { "\(code): \(message)" }

    /// Whether retrying the same batch on a fresh connection may succeed.
    public var isRetryable: Bool { kind == .connectionLost || kind == .unavailable }

    /// Errors that would fail every later batch alike: the job stops at the first one instead of
    /// recording each batch as failed.
    public var stopsTheJob: Bool {
        switch kind {
        case .missingTable, .authenticationFailed, .invalidSource, .permissionDenied, .snapshotLost, .contractMismatch: return true
        case .unavailable, .timeout, .connectionLost, .queryFailed, .badData: return false
        }
    }
}
