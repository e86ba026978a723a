/// Why the job store could not answer (README "Many hosts"): the PostgreSQL store is a service of
/// its own, so its failures have their own codes — never the warehouse's `SOURCE_*`.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// Cannot connect, or the connection broke and did not come back within the retry window.
        case unavailable = "STORE_UNAVAILABLE"
        /// The store has no tables yet, or older ones: `tracespool store migrate` first.
        case notMigrated = "STORE_NOT_MIGRATED"
        /// The store was migrated by a newer tracespool.
        case unsupportedVersion = "STORE_UNSUPPORTED_VERSION"
        /// A bad `TRACESPOOL_STORE`, `TRACESPOOL_NODE_ID` or `TRACESPOOL_NODE_URL`.
        case invalid = "STORE_INVALID"
        /// Any other SQL error of the store.
        case failed = "STORE_FAILED"
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
