import Foundation

/// The node a process runs on (README "Many hosts"): the spool folder its workers write belongs
/// to it. `TRACESPOOL_NODE_ID` names it (default: the host name); `TRACESPOOL_NODE_URL` is the
/// address of its API that other API nodes proxy reads to (none: its spools are read only here,
/// or by nodes that mount the same spool folder).
public struct NodeIdentity: Sendable, Equatable {
    public let id: String
    public let url: String?

    public init(id: String, url: String?) {
        self.id = id
        self.url = url
    }

    public static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        return gethostname(&name, name.count) == 0
            ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "host"
    }

    /// From the environment; `defaultURL` is what `serve` listens on when it is reachable from
    /// other hosts.
    public static func fromEnvironment(_ env: [String: String], defaultURL: String? = nil) throws -> NodeIdentity {
        let id = env["TRACESPOOL_NODE_ID"].flatMap { $0.isEmpty ? nil : $0 } ?? hostName()
        guard id.count <= 128, id.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0.value < 127 }) else {
            throw StoreError(.invalid, "TRACESPOOL_NODE_ID must be 1–128 printable ASCII characters without spaces")
        }
        var url = defaultURL
        if let raw = env["TRACESPOOL_NODE_URL"], !raw.isEmpty {
            guard raw.hasPrefix("http://") || raw.hasPrefix("https://"), raw.count <= 512, !raw.contains(where: { $0 == " " || $0 == "\n" }) else {
                throw StoreError(.invalid, "TRACESPOOL_NODE_URL must be an http:// or https:// address, e.g. http://10.0.0.7:8080")
            }
            url = raw.hasSuffix("/") ? String(raw.dropLast()) : raw
        }
        return NodeIdentity(id: id, url: url)
    }
}
