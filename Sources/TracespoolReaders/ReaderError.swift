/// Why an export could not be produced. Codes are stable (CLI messages, the coming HTTP API, logs).
/// Spool problems (not a spool, newer version, damaged) stay `SpoolError`s with their own codes.
public struct ReaderError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// A domain name that is not a tracespool domain, or not one this spool holds.
        case unknownDomain = "READER_UNKNOWN_DOMAIN"
        /// A cursor that does not decode: not base64url, truncated, bad checksum, unknown version.
        case malformedCursor = "READER_CURSOR_MALFORMED"
        /// A well-formed cursor made for another job, domain or layout.
        case foreignCursor = "READER_CURSOR_FOREIGN"
        /// A request the reader cannot serve as asked (e.g. paging several domains at once).
        case badRequest = "READER_BAD_REQUEST"
        /// The output cannot be written (permissions, missing folder, disk full).
        case outputFailed = "READER_OUTPUT_FAILED"
        /// The consumer went away (closed pipe, closed connection): not an error for a CLI pipe.
        case brokenPipe = "READER_BROKEN_PIPE"
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
