import Crypto
import Foundation
import TracespoolSpool

/// The whole request of a job, stored at submit time beside its spool: `<id>.request.sqlite`
/// holds every seed value and explicit CID (streamed in, never collected in memory), and the
/// catalog holds the normalised request without its lists. Any worker can run or resume the job
/// from the two (README "Jobs").
public enum RequestFile {
    public static func path(folder: String, id: String) -> String { "\(folder)/\(id).request.sqlite" }

    static let schema = """
        PRAGMA journal_mode = DELETE;
        CREATE TABLE IF NOT EXISTS request_values (
          list   TEXT    NOT NULL,   -- values | seed_cids | cids
          value  TEXT    NOT NULL,
          pos    INTEGER NOT NULL,   -- input order (seed values are resolved in it)
          PRIMARY KEY (list, value)
        ) WITHOUT ROWID;
        """

    /// What `write` made: the request as the catalog stores it, and its key.
    public struct Stored: Sendable {
        public let request: TraceRequest
        public let json: String
        public let key: String
    }

    /// Streams the request's lists into `path` and returns the normalised request (lists emptied,
    /// `storedLists` set, file repeats counted) and its key: SHA-256 of the normalised request and
    /// of each list's distinct values in sorted order, so the same CIDs in another order or with
    /// repeats make the same key.
    public static func write(_ request: TraceRequest, to path: String) throws -> Stored {
        try? FileManager.default.removeItem(atPath: path)
        let db = try SQLiteDatabase(path: path, mode: .create)
        var stored = request
        do {
            try db.execute(schema)
            var repeats = 0
            try db.transaction {
                let insert = try db.prepare("INSERT OR IGNORE INTO request_values (list, value, pos) VALUES (?1, ?2, ?3)")
                var pos = 0
                func add(_ list: String, _ value: String) throws {
                    insert.bindAll([.text(list), .text(value), .int(pos)])
                    try insert.step()
                    if db.changes == 0 && list == "cids" { repeats += 1 }
                    insert.reset()
                    pos += 1
                }
                for v in request.values { try add("values", v) }
                for v in request.seedCIDs { try add("seed_cids", v) }
                for v in request.cids { try add("cids", v) }
                try request.cidsFile?.forEach { try add("cids", $0) }
            }
            stored.duplicateCIDs += repeats
            stored.storedLists = StoredLists(
                values: try count(db, "values"), seedCIDs: try count(db, "seed_cids"), cids: try count(db, "cids"))
            stored.values = []
            stored.seedCIDs = []
            stored.cids = []
            stored.cidsFile = nil
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let json = String(decoding: try encoder.encode(stored), as: UTF8.self)
            // Repeats in the input do not make another request.
            var keyed = stored
            keyed.duplicateCIDs = 0
            var hash = SHA256()
            hash.update(data: try encoder.encode(keyed))
            for list in ["values", "seed_cids", "cids"] {
                hash.update(data: Data("\n\(list):".utf8))
                try db.each("SELECT value FROM request_values WHERE list = ?1 ORDER BY value", [.text(list)]) { s in
                    if let raw = s.rawText(0) { hash.update(bufferPointer: raw) }
                    hash.update(data: Data([0x0A]))
                }
            }
            let key = hash.finalize().map { String(format: "%02x", $0) }.joined()
            return Stored(request: stored, json: json, key: key)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }

    private static func count(_ db: SQLiteDatabase, _ list: String) throws -> Int {
        try db.scalarInt("SELECT count(*) FROM request_values WHERE list = ?1", [list]) ?? 0
    }

    /// The request a worker runs: the stored JSON with its seed lists loaded back. Explicit CIDs
    /// stay in the file and are streamed by `forEachCID`.
    public static func load(json: String, path: String) throws -> TraceRequest {
        var request: TraceRequest
        do { request = try JSONDecoder().decode(TraceRequest.self, from: Data(json.utf8)) } catch {
            throw SpoolError(.corrupt, "the stored request of this job cannot be read: \(error)")
        }
        guard request.storedLists != nil else { return request }
        guard FileManager.default.fileExists(atPath: path) else {
            throw SpoolError(.corrupt, "the request file \(path) is missing: the job cannot be rebuilt")
        }
        let db = try SQLiteDatabase(path: path, mode: .readOnly)
        func list(_ name: String) throws -> [String] {
            try db.rows("SELECT value FROM request_values WHERE list = ?1 ORDER BY pos", [.text(name)]) { $0.text(0) ?? "" }
        }
        request.values = try list("values")
        request.seedCIDs = try list("seed_cids")
        return request
    }

    /// Writes a request file from another copy of its lists (the PostgreSQL store's): `fill` calls
    /// `add(list, value, pos)` for each row. Written to a temporary name and renamed, so a crash
    /// midway never leaves half a request where a worker would take it for whole.
    public static func restore(to path: String, _ fill: (_ add: (String, String, Int) throws -> Void) throws -> Void) throws {
        let partial = path + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            let db = try SQLiteDatabase(path: partial, mode: .create)
            try db.execute(schema)
            try db.transaction {
                let insert = try db.prepare("INSERT OR IGNORE INTO request_values (list, value, pos) VALUES (?1, ?2, ?3)")
                try fill { list, value, pos in
                    insert.bindAll([.text(list), .text(value), .int(pos)])
                    try insert.step()
                    insert.reset()
                }
            }
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        guard rename(partial, path) == 0 else {
            try? FileManager.default.removeItem(atPath: partial)
            throw SpoolError(.unwritable, "cannot write the request file \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Whether a stored request has lists in a request file.
    public static func needsFile(json: String) throws -> Bool {
        try JSONDecoder().decode(TraceRequest.self, from: Data(json.utf8)).storedLists != nil
    }

    /// Every explicit CID of the request, sorted.
    public static func forEachCID(path: String, _ body: (String) throws -> Void) throws {
        let db = try SQLiteDatabase(path: path, mode: .readOnly)
        try db.each("SELECT value FROM request_values WHERE list = 'cids' ORDER BY value") { try body($0.text(0) ?? "") }
    }
}

/// How many values each list of a stored request holds (the lists are in the request file).
public struct StoredLists: Codable, Sendable, Equatable {
    public let values: Int
    public let seedCIDs: Int
    public let cids: Int
}
