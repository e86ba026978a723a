import CLibPQ
import Foundation

/// The one wrapper around a libpq connection; nothing else in tracespool calls libpq.
/// Not thread-safe: one connection belongs to one thread at a time (it is `Sendable` only so a
/// fetcher thread can take ownership of it).
public final class PGConnection: @unchecked Sendable {
    private var conn: OpaquePointer?
    var rawHandle: OpaquePointer? { conn }

    /// Connects with a libpq URI or conninfo string; an empty string means libpq's own defaults
    /// (`PGHOST`, `PGDATABASE`, …). Passwords never appear in the errors it throws.
    public init(conninfo: String) throws {
        var errmsg: UnsafeMutablePointer<CChar>?
        if !conninfo.isEmpty {
            // Parse first so a malformed URI gets its own error instead of a connection failure.
            let opts = PQconninfoParse(conninfo, &errmsg)
            if opts == nil {
                let text = errmsg.map { String(cString: $0) } ?? "cannot parse"
                PQfreemem(errmsg)
                throw SourceError(.invalidSource, "invalid source: \(text.trimmed())")
            }
            PQconninfoFree(opts)
        }
        // expand_dbname lets `conninfo` be a URI or key=value string.
        let c = PQconnectdb(conninfo)
        guard let c, PQstatus(c) == CONNECTION_OK else {
            let text = c.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            if let c { PQfinish(c) }
            throw PGConnection.connectError(text)
        }
        conn = c
        // Timestamps as ISO text (`YYYY-MM-DD HH:MM:SS`), UTF-8 text, no surprises from the server's
        // defaults.
        try execute("SET DateStyle = 'ISO, YMD'; SET client_encoding = 'UTF8'; SET extra_float_digits = 1")
    }

    deinit { close() }

    public func close() {
        if let conn { PQfinish(conn) }
        conn = nil
    }

    static func connectError(_ raw: String) -> SourceError {
        let text = raw.trimmed()
        if text.contains("password authentication failed") || text.contains("no password supplied")
            || text.contains("role") && text.contains("does not exist") {
            return SourceError(.authenticationFailed, "source refused the credentials: \(text)")
        }
        if text.contains("database") && text.contains("does not exist") {
            return SourceError(.unavailable, "source database does not exist: \(text)")
        }
        return SourceError(.unavailable, "cannot connect to the source: \(text)")
    }

    public var isBroken: Bool { conn == nil || PQstatus(conn) != CONNECTION_OK }

    /// Waits up to `seconds` for a notification of a channel this connection `LISTEN`s on (libpq's
    /// `PQnotifies` after `poll` on its socket); returns how many arrived, 0 on a timeout. A lost
    /// connection throws.
    public func waitForNotifications(seconds: Double) throws -> Int {
        var count = drainNotifications()
        if count > 0 { return count }
        var fds = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
        guard fds.fd >= 0 else { throw SourceError(.connectionLost, lastError()) }
        let ready = poll(&fds, 1, Int32(max(0, seconds) * 1000))
        if ready < 0 && errno != EINTR { throw SourceError(.connectionLost, "poll: \(String(cString: strerror(errno)))") }
        if ready > 0 {
            guard PQconsumeInput(conn) == 1, PQstatus(conn) == CONNECTION_OK else { throw SourceError(.connectionLost, lastError()) }
            count = drainNotifications()
        }
        return count
    }

    private func drainNotifications() -> Int {
        var n = 0
        while let note = PQnotifies(conn) {
            PQfreemem(note)
            n += 1
        }
        return n
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws {
        let res = PQexec(conn, sql)
        defer { PQclear(res) }
        try check(res, expect: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
    }

    /// Runs a statement with text parameters and returns the whole (small) result. Only for
    /// bounded results: catalogue lookups, counts, snapshot ids. Bulk reads use `copyOut`.
    public func query(_ sql: String, _ params: [String?] = []) throws -> PGResult {
        let res = withTextParams(params) { count, values in
            PQexecParams(conn, sql, Int32(count), nil, values, nil, nil, 0)
        }
        do {
            try check(res, expect: [PGRES_TUPLES_OK, PGRES_COMMAND_OK])
        } catch {
            PQclear(res)
            throw error
        }
        return PGResult(res!)
    }

    /// Streams `COPY (select) TO STDOUT` (text format) row by row: `onRow` sees each row's bytes,
    /// without its trailing newline, valid only during the call. libpq buffers one row at a time,
    /// so memory is bounded whatever the result's size.
    public func copyOut(_ copyStatement: String, onRow: (UnsafeRawBufferPointer) throws -> Void) throws {
        let res = PQexec(conn, copyStatement)
        do {
            try check(res, expect: [PGRES_COPY_OUT])
        } catch {
            PQclear(res)
            throw error
        }
        PQclear(res)
        var buffer: UnsafeMutablePointer<CChar>?
        var callbackError: Error?
        while true {
            let n = PQgetCopyData(conn, &buffer, 0)
            if n > 0, let b = buffer {
                if callbackError == nil {
                    var len = Int(n)
                    if len > 0 && b[len - 1] == 0x0A { len -= 1 }
                    do { try onRow(UnsafeRawBufferPointer(start: b, count: len)) } catch { callbackError = error }
                    // After a callback error we keep draining so the connection stays usable.
                    if callbackError != nil { _ = PQrequestCancel(conn) }
                }
                PQfreemem(b)
                continue
            }
            if n == -1 { break }
            // n == -2: an error; the final result below says which.
            break
        }
        // Collect the COPY's final status.
        var failure: SourceError?
        while let r = PQgetResult(conn) {
            if failure == nil, PQresultStatus(r) != PGRES_COMMAND_OK { failure = error(from: r) }
            PQclear(r)
        }
        if let callbackError { throw callbackError }
        if let failure { throw failure }
        if isBroken { throw SourceError(.connectionLost, "connection lost during COPY") }
    }

    /// The result column names of `sql` (no parameters), from the server's description of the
    /// prepared statement: nothing is executed.
    public func resultColumns(_ sql: String) throws -> [String] {
        let prepared = PQprepare(conn, "", sql, 0, nil)
        do { try check(prepared, expect: [PGRES_COMMAND_OK]) } catch { PQclear(prepared); throw error }
        PQclear(prepared)
        let res = PQdescribePrepared(conn, "")
        do { try check(res, expect: [PGRES_COMMAND_OK]) } catch { PQclear(res); throw error }
        defer { PQclear(res) }
        return (0..<PQnfields(res)).map { String(cString: PQfname(res, $0)) }
    }

    /// Escapes a value as a SQL string literal (quotes included) with libpq's own rules — used only
    /// where the protocol takes no parameters (`COPY (query) TO STDOUT`).
    public func escapeLiteral(_ value: String) throws -> String {
        guard let p = PQescapeLiteral(conn, value, value.utf8.count) else {
            throw SourceError(.badData, "cannot escape literal: \(lastError())")
        }
        defer { PQfreemem(p) }
        return String(cString: p)
    }

    public var serverVersion: Int { Int(PQserverVersion(conn)) }

    func lastError() -> String { String(cString: PQerrorMessage(conn)).trimmed() }

    private func check(_ res: OpaquePointer?, expect: [ExecStatusType]) throws {
        guard let res else {
            throw isBroken ? SourceError(.connectionLost, "connection lost: \(lastError())")
                : SourceError(.queryFailed, lastError())
        }
        if expect.contains(PQresultStatus(res)) { return }
        throw error(from: res)
    }

    private func error(from res: OpaquePointer) -> SourceError {
        let message = String(cString: PQresultErrorMessage(res)).trimmed()
        let state = PQresultErrorField(res, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        if isBroken { return SourceError(.connectionLost, "connection lost: \(message)", sqlState: state) }
        switch state {
        case "57014": return SourceError(.timeout, "statement timeout: \(message)", sqlState: state)
        case "42501": return SourceError(.permissionDenied, "the source role may not read: \(message)", sqlState: state)
        case "42P01", "3F000", "42703", "42883":
            return SourceError(.missingTable, "warehouse schema is incomplete: \(message)", sqlState: state)
        case let s? where (s.hasPrefix("08") && s != "08P01") || s == "57P01" || s == "57P02" || s == "57P03":
            return SourceError(.connectionLost, "connection lost: \(message)", sqlState: state)
        default: return SourceError(.queryFailed, message.isEmpty ? lastError() : message, sqlState: state)
        }
    }
}

/// Passes Swift strings to libpq as NUL-terminated C strings that live for the call.
func withTextParams<R>(_ params: [String?], _ body: (Int, UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    var cStrings: [UnsafeMutablePointer<CChar>?] = params.map { $0.map { strdup($0)! } }
    defer { cStrings.forEach { free($0) } }
    return cStrings.withUnsafeMutableBufferPointer { buf in
        buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buf.count, 1)) {
            body(params.count, params.isEmpty ? nil : $0)
        }
    }
}

extension String {
    /// The string without leading and trailing whitespace.
    public func trimmed() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
