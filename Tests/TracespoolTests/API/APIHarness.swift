import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `tracespool serve` as a real process on a real socket (port 0: the system picks one; the server
/// prints `listening on HOST:PORT`), and a small blocking HTTP client over URLSession.
/// Its `call` is safe from several threads at once (each request is its own URLSession task), which
/// is what lets a test page from 16 threads.
final class APIServerProcess: @unchecked Sendable {
    let process: BackgroundCLI
    let port: Int
    let folder: String

    /// `port` 0: the system picks one (a node whose address other nodes must know is given one).
    init(folder: String, arguments: [String] = [], environment: [String: String] = [:], port requested: Int = 0) throws {
        self.folder = folder
        let started = try BackgroundCLI(["serve", "--port", String(requested), "--source", try TestEnvironment.warehouse(), "--spool-dir", folder] + arguments,
                                        environment: ["TRACESPOOL_LEASE_SECONDS": "2"].merging(environment) { _, b in b }, folder: folder)
        var found = 0
        _ = eventually(20) {
            if let line = started.stdout.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
               let p = Int(line.split(separator: ":").last ?? "") {
                found = p
                return true
            }
            return !started.process.isRunning
        }
        process = started
        port = found
        if port == 0 { Issue.record("the server did not start: \(process.stderr)") }
    }

    var base: String { "http://127.0.0.1:\(port)" }

    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
        var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        func header(_ name: String) -> String? { headers.first { $0.key.lowercased() == name.lowercased() }?.value }
    }

    func call(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) throws -> Reply {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = 60
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        if body != nil && headers["Content-Type"] == nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        nonisolated(unsafe) var result: Reply?
        nonisolated(unsafe) var failure: Error?
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error { failure = error } else if let r = response as? HTTPURLResponse {
                var h: [String: String] = [:]
                for (k, v) in r.allHeaderFields { h["\(k)"] = "\(v)" }
                result = Reply(status: r.statusCode, headers: h, body: data ?? Data())
            }
            done.signal()
        }.resume()
        done.wait()
        if let failure { throw failure }
        return result!
    }

    func get(_ path: String, headers: [String: String] = [:]) throws -> Reply { try call("GET", path, headers: headers) }

    func post(_ path: String, _ object: Any, headers: [String: String] = [:]) throws -> Reply {
        try call("POST", path, body: try JSONSerialization.data(withJSONObject: object), headers: headers)
    }

    /// Polls the job until it is finished.
    func waitFinished(_ id: String, seconds: Double = 60) throws -> [String: Any] {
        var last: [String: Any] = [:]
        _ = try eventually(seconds) {
            last = try get("/api/v1/jobs/\(id)").data
            return ["succeeded", "failed", "cancelled"].contains(last["state"] as? String ?? "")
        }
        return last
    }

    /// A port free at this moment on 127.0.0.1 (bound and released), for a server whose address
    /// must be known before it starts.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: a.sin_port))
    }

    deinit {
        process.signal(SIGTERM)
        process.wait(seconds: 20)
    }
}
