import Foundation

/// Refuses an output path that is — or resolves to, through symbolic links or `..` — a spool, a
/// spool's `-wal`/`-shm`/`-journal`, the catalog, or any other SQLite database: an export written
/// there would destroy its own input (or every later `run`). Checked before anything is written.
enum OutputGuard {
    static let sidecars = ["-wal", "-shm", "-journal"]

    /// `protected`: paths that must never be written even if they do not exist yet (the input
    /// spool and the catalog of the spool folder, each with its sidecars).
    static func check(_ output: String, protected: [String]) throws {
        let target = resolve(output)
        var forbidden: Set<String> = []
        for p in protected {
            let r = resolve(p)
            forbidden.insert(r)
            for s in sidecars { forbidden.insert(r + s) }
        }
        if forbidden.contains(target) {
            throw refusal(output, target, "it is the spool being read, its -wal/-shm, or the spool folder's catalog")
        }
        if isSQLiteDatabase(target) {
            throw refusal(output, target, "it is a SQLite database (a spool or a catalog)")
        }
        for s in sidecars where target.hasSuffix(s) {
            if isSQLiteDatabase(String(target.dropLast(s.count))) {
                throw refusal(output, target, "it is the \(s) file of a SQLite database (a spool or a catalog)")
            }
        }
    }

    private static func refusal(_ output: String, _ target: String, _ why: String) -> ExportFailure {
        ExportFailure(code: "READER_OUTPUT_IS_INPUT",
                      message: "refusing to write \(output)\(target == output ? "" : " (\(target))"): \(why); choose another output")
    }

    /// The absolute path with every symbolic link and `.`/`..` resolved, also for a path that does
    /// not exist yet (its folder is resolved; a dangling link is followed to where it points).
    static func resolve(_ path: String, depth: Int = 0) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        if let real = realpath(absolute, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        let ns = absolute as NSString
        if depth < 16, let dest = try? FileManager.default.destinationOfSymbolicLink(atPath: absolute) {
            let next = dest.hasPrefix("/") ? dest : ns.deletingLastPathComponent + "/" + dest
            return resolve(next, depth: depth + 1)
        }
        let parent = ns.deletingLastPathComponent
        let name = ns.lastPathComponent
        if parent == absolute || parent.isEmpty { return absolute }
        let base = resolve(parent, depth: depth + 1)
        if name == ".." { return (base as NSString).deletingLastPathComponent }
        if name == "." { return base }
        return base == "/" ? "/" + name : base + "/" + name
    }

    /// The folder of a file path ("." for a bare name).
    static func folder(of path: String) -> String {
        let f = (path as NSString).deletingLastPathComponent
        return f.isEmpty ? "." : f
    }

    /// Whether `path` is an existing file that starts with SQLite's 16-byte header.
    static func isSQLiteDatabase(_ path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        let head = (try? h.read(upToCount: 16)) ?? Data()
        return head == Data("SQLite format 3\0".utf8)
    }
}
