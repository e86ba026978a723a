import Foundation

/// A raw TCP client that sends one GET and then reads only when asked: a slow reader, to see the
/// server's backpressure and its shutdown with a stream open.
final class SlowClient {
    let fd: Int32

    convenience init(port: Int, path: String) throws {
        try self.init(port: port, raw: "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    }

    /// Sends `raw` as it is — a whole request, or the start of one to drip the rest with `send`.
    init(port: Int, raw request: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        // A small receive buffer so the server's writes block soon — set before connecting: the
        // window is negotiated in the handshake, and a buffer shrunk after it makes every few KiB
        // of a response wait on TCP's timers (the damaged-spool test's three reads of ~1 MB took
        // 63 s this way, 0.6 s now).
        var small: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 { throw POSIXError(.ECONNREFUSED) }
        _ = request.withCString { Foundation.send(fd, $0, strlen($0), 0) }
    }

    /// Sends more bytes; false once the server has closed the connection.
    func send(_ text: String) -> Bool {
        var probe: UInt8 = 0
        if recv(fd, &probe, 1, Int32(MSG_DONTWAIT | MSG_PEEK)) == 0 { return false }
        return text.withCString { Foundation.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) } > 0
    }

    /// Reads up to `n` bytes (blocking until some arrive).
    func read(_ n: Int) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: n)
        while out.count < n {
            let got = recv(fd, &buf, n - out.count, 0)
            if got <= 0 { break }
            out += buf[0..<got]
        }
        return out
    }

    /// Reads everything until the server closes; returns the byte count.
    @discardableResult
    func drain() -> Int {
        var total = 0
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let got = recv(fd, &buf, buf.count, 0)
            if got <= 0 { break }
            total += got
        }
        return total
    }

    /// Reads until the bytes so far contain `marker` (or the server closes); returns them. Pass
    /// them as `prefix` to `readChunkedResponse` to read the rest of the same response.
    func read(until marker: String) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        let m = Array(marker.utf8)
        while out.count < m.count || !out.indices.dropLast(m.count - 1).contains(where: { out[$0..<($0 + m.count)].elementsEqual(m) }) {
            let got = recv(fd, &buf, buf.count, 0)
            if got <= 0 { break }
            out += buf[0..<got]
        }
        return out
    }

    /// Reads one HTTP/1.1 response with a chunked body: until its last chunk, or until the server
    /// closes the connection (then the last chunk is missing: the transfer was cut).
    func readChunkedResponse(prefix: [UInt8] = []) -> String {
        var out = prefix
        var buf = [UInt8](repeating: 0, count: 65536)
        let end = Array("\r\n0\r\n\r\n".utf8)
        while !(out.count >= end.count && Array(out.suffix(end.count)) == end) {
            let got = recv(fd, &buf, buf.count, 0)
            if got <= 0 { break }
            out += buf[0..<got]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The body of a chunked response read by `readChunkedResponse`, its chunks joined (as far as
    /// it goes when the transfer was cut).
    static func dechunk(_ response: String) -> String {
        let bytes = Array(response.utf8)
        let sep = Array("\r\n\r\n".utf8)
        guard let head = (0...(max(0, bytes.count - 4))).first(where: { Array(bytes[$0..<min(bytes.count, $0 + 4)]) == sep }) else { return "" }
        var i = head + 4
        var body: [UInt8] = []
        while i < bytes.count {
            guard let lineEnd = (i..<(bytes.count - 1)).first(where: { bytes[$0] == 0x0D && bytes[$0 + 1] == 0x0A }),
                  let size = Int(String(decoding: bytes[i..<lineEnd], as: UTF8.self), radix: 16), size > 0 else { break }
            let start = lineEnd + 2
            body += bytes[start..<min(bytes.count, start + size)]
            i = start + size + 2
        }
        return String(decoding: body, as: UTF8.self)
    }

    func finish() { close(fd) }
    deinit { close(fd) }
}
