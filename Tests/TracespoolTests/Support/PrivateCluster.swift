import Foundation

/// A PostgreSQL cluster of one test's own (initdb + pg_ctl through `scripts/lib/pg.sh`, unix
/// socket in a private folder), for tests that restart or stop the server: the shared test
/// cluster must stay up for every other test running at the same time. Stopped and removed at the end.
final class PrivateCluster: Sendable {
    let dir: String

    init() throws {
        dir = "/tmp/tracespool-pc-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        let r = try shell("pg_start \"$PC_DIR\"")
        guard r.status == 0 else { throw ClusterError(message: "pg_start failed: \(r.output)") }
    }

    deinit {
        _ = try? shell("pg_stop \"$PC_DIR\"")
        try? FileManager.default.removeItem(atPath: dir)
    }

    func conninfo(_ database: String, user: String = "postgres") -> String {
        "host=\(dir) port=5432 user=\(user) dbname=\(database)"
    }

    /// Runs a bash script with `scripts/lib/pg.sh` sourced and this cluster's PGHOST; output goes
    /// to a file. Through `system(3)`, not Foundation's Process: the server pg_ctl starts outlives
    /// the script, and Process on Linux was seen to wait for it forever.
    @discardableResult
    func shell(_ script: String) throws -> (status: Int32, output: String) {
        let log = dir + "/shell.log"
        let scriptFile = dir + "/shell.sh"
        try """
            source "\(TestEnvironment.root)/scripts/lib/pg.sh"
            export PGHOST="\(dir)" PGPORT=5432 PGUSER=postgres PC_DIR="\(dir)" TRACESPOOL_ROOT="\(TestEnvironment.root)"
            \(script)
            """.write(toFile: scriptFile, atomically: true, encoding: .utf8)
        let raw = system("/bin/bash \"\(scriptFile)\" </dev/null >\"\(log)\" 2>&1")
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return ((raw >> 8) & 0xFF, output)
    }

    /// `pg_ctl restart -m fast`: every connection dies, every exported snapshot with them.
    func restart() throws {
        let r = try shell("as_pg_owner \"$(pg_bin)/pg_ctl\" -D \"$PC_DIR/data\" -l \"$PC_DIR/server.log\" -m fast -w restart")
        guard r.status == 0 else { throw ClusterError(message: "restart failed: \(r.output)") }
    }

    struct ClusterError: Error { let message: String }
}
