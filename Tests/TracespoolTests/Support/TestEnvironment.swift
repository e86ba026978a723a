import Foundation
import Testing
import TracespoolSource

/// What `scripts/test` exports: the private cluster (PGHOST = its socket folder), the generated
/// warehouse database, the built binary and the repository root. Tests fail (not skip) without it.
enum TestEnvironment {
    static let env = ProcessInfo.processInfo.environment

    static var root: String {
        env["TRACESPOOL_ROOT"] ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    static func require(_ name: String) throws -> String {
        guard let v = env[name], !v.isEmpty else {
            Issue.record("\(name) is not set: run the tests through scripts/test, which starts the PostgreSQL cluster")
            throw MissingEnvironment(name: name)
        }
        return v
    }

    struct MissingEnvironment: Error { let name: String }

    /// conninfo of a database in the test cluster.
    static func conninfo(database: String) throws -> String {
        "host=\(try require("PGHOST")) port=\(env["PGPORT"] ?? "5432") user=\(env["PGUSER"] ?? "postgres") dbname=\(database)"
    }

    /// The same database as a `postgresql://` URI, the form `TRACESPOOL_STORE` takes (the socket
    /// folder percent-encoded as libpq reads it).
    static func uri(database: String) throws -> String {
        let host = try require("PGHOST").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return "postgresql:///\(database)?host=\(host)&port=\(env["PGPORT"] ?? "5432")&user=\(env["PGUSER"] ?? "postgres")"
    }

    /// The generated warehouse shared by the tests (read-only).
    static func warehouse() throws -> String { try conninfo(database: try require("TRACESPOOL_TEST_WAREHOUSE")) }

    /// The same generated warehouse twice: with tracespool's recommended indexes, and as a real
    /// mirror is built — only the minimal index set, no object of ours (`warehouse_load … minimal`).
    /// Tests that take `arguments: TestEnvironment.warehouses` run on both.
    static let warehouses = ["recommended", "minimal"]

    static func warehouse(_ kind: String) throws -> String {
        kind == "minimal" ? try conninfo(database: try require("TRACESPOOL_TEST_MINIMAL_WAREHOUSE")) : try warehouse()
    }

    static var binary: String {
        get throws { try require("TRACESPOOL_BIN") }
    }

    static func sql(_ file: String) throws -> String {
        try String(contentsOfFile: "\(root)/scripts/warehouse/\(file)", encoding: .utf8)
    }
}

/// A database of its own for one test: created empty (or with the dwh schema), dropped at the end.
final class ScratchDatabase {
    let name: String
    let conninfo: String

    init(_ label: String, schema: Bool = true) throws {
        name = "t_\(label)_\(UInt32.random(in: 0..<UInt32.max))"
        let admin = try PGConnection(conninfo: try TestEnvironment.conninfo(database: "postgres"))
        try admin.execute("CREATE DATABASE \"\(name)\"")
        conninfo = try TestEnvironment.conninfo(database: name)
        if schema {
            let c = try connect()
            try c.execute(try TestEnvironment.sql("schema.sql"))
            try c.execute(try TestEnvironment.sql("indexes-minimal.sql"))
            try c.execute(try TestEnvironment.sql("indexes-recommended.sql"))
        }
    }

    func connect() throws -> PGConnection { try PGConnection(conninfo: conninfo) }

    deinit {
        if let admin = try? PGConnection(conninfo: (try? TestEnvironment.conninfo(database: "postgres")) ?? "") {
            try? admin.execute("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
        }
    }
}

/// A temporary folder removed at the end of the test.
final class TempFolder {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "tracespool-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs the built `tracespool` binary and captures its exit status and output.
struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

func runCLI(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil) throws -> CLIResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try TestEnvironment.binary)
    p.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let input = Pipe()
    p.standardInput = input
    try p.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    // Read both pipes before waiting so a chatty child never blocks on a full pipe.
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data(), errData = Data()
    group.enter()
    DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    errData = err.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return CLIResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}

func parseJSONObject(_ text: String) throws -> [String: Any] {
    let line = text.split(separator: "\n").last.map(String.init) ?? ""
    guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw JSONShapeError(text: text)
    }
    return o
}

struct JSONShapeError: Error { let text: String }
