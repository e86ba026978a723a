import Foundation

/// Which job store a process uses (README "Many hosts"): `TRACESPOOL_STORE` unset (or `sqlite`)
/// is the catalog in the spool folder, one host; a `postgresql://` URI is a store on PostgreSQL
/// shared by many hosts — a writable database of its own, never the read-only warehouse.
public enum StoreLocation: Sendable, Equatable {
    case catalog(folder: String)
    case postgres(url: String)

    public static func fromEnvironment(_ env: [String: String], spoolDir: String) throws -> StoreLocation {
        guard let raw = env["TRACESPOOL_STORE"]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty, raw != "sqlite" else {
            return .catalog(folder: spoolDir)
        }
        return try parse(raw, spoolDir: spoolDir)
    }

    public static func parse(_ raw: String, spoolDir: String) throws -> StoreLocation {
        if raw == "sqlite" { return .catalog(folder: spoolDir) }
        guard raw.hasPrefix("postgresql://") || raw.hasPrefix("postgres://") else {
            throw StoreError(.invalid, "TRACESPOOL_STORE must be a postgresql:// URI (or `sqlite`, the spool folder's catalog), "
                + "got \"\(raw.prefix(40))\"")
        }
        return .postgres(url: raw)
    }

    public var isShared: Bool { if case .postgres = self { return true } else { return false } }

    /// Opens the store for writing (the SQLite catalog is created or migrated; a PostgreSQL store
    /// must have been migrated with `tracespool store migrate`).
    public func open(node: NodeIdentity, environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> any JobStore {
        switch self {
        case .catalog(let folder): return try SQLiteJobStore(folder: folder, node: node)
        case .postgres(let url):
            var retry = 60.0
            if let raw = env["TRACESPOOL_STORE_RETRY_SECONDS"] {
                guard let v = Double(raw), v >= 0, v <= 3600 else {
                    throw StoreError(.invalid, "TRACESPOOL_STORE_RETRY_SECONDS=\(raw) is not a number of seconds in 0...3600")
                }
                retry = v
            }
            return try PostgresJobStore(url: url, node: node, retrySeconds: retry)
        }
    }

    /// Opens the store for a reader: the SQLite catalog only if it exists (never created by a
    /// reader); nil when there is none.
    public func openForReading(node: NodeIdentity) throws -> (any JobStore)? {
        switch self {
        case .catalog(let folder): return SQLiteJobStore.reading(folder: folder)
        case .postgres: return try open(node: node)
        }
    }
}
