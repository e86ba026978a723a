import Foundation
import TracespoolSpool

/// The opaque position of a paged export: base64url (no padding) of a versioned, checksummed
/// binary record bound to the spool's job id, the layout kind and the domain(s) it walks.
///
/// Layout (version 1, integers big-endian):
/// `version u8 · kind u8 (1 rows, 2 cids) · job id (u16 length + UTF-8) · domain count u8 ·
///  per domain: name (u8 length + UTF-8), after seq i64, high-water seq i64 ·
///  last CID (u16 length + bytes; empty for rows) · emitted u64 · FNV-1a-64 checksum of all before`.
///
/// The high-water mark travels with the cursor, so every page of one paged read sees the rows
/// committed when its first page was made, even while the job keeps writing.
public struct ExportCursor: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        /// Rows of one domain (NDJSON records layout, CSV).
        case rows = 1
        /// CIDs across domains (NDJSON CID layout).
        case cids = 2
    }

    public struct Position: Sendable, Equatable {
        public let domain: String
        /// Seq of the last row already delivered.
        public let after: Int64
        /// The export's high-water mark for this domain.
        public let high: Int64

        public init(domain: String, after: Int64, high: Int64) {
            self.domain = domain
            self.after = after
            self.high = high
        }
    }

    public static let version: UInt8 = 1
    /// Longest cursor text accepted (a cursor is ~60–300 characters).
    public static let maxLength = 4096
    /// version, kind, job id length, domain count, CID length, emitted, checksum.
    static let minimumBytes = 23

    public let kind: Kind
    public let jobId: String
    public let positions: [Position]
    /// The CID the previous page ended on (CID layout).
    public let lastCID: [UInt8]
    /// Rows (rows kind) or CIDs (cids kind) delivered by earlier pages.
    public let emitted: Int

    public init(kind: Kind, jobId: String, positions: [Position], lastCID: [UInt8] = [], emitted: Int) {
        self.kind = kind
        self.jobId = jobId
        self.positions = positions
        self.lastCID = lastCID
        self.emitted = emitted
    }

    public var domains: [String] { positions.map(\.domain) }

    public func encoded() -> String {
        var b: [UInt8] = [ExportCursor.version, kind.rawValue]
        func u16(_ v: Int) { b.append(UInt8(v >> 8 & 0xFF)); b.append(UInt8(v & 0xFF)) }
        func u64(_ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { b.append(UInt8(v >> UInt64(s) & 0xFF)) } }
        let job = Array(jobId.utf8.prefix(0xFFFF))
        u16(job.count)
        b += job
        b.append(UInt8(positions.count))
        for p in positions {
            let name = Array(p.domain.utf8.prefix(0xFF))
            b.append(UInt8(name.count))
            b += name
            u64(UInt64(bitPattern: p.after))
            u64(UInt64(bitPattern: p.high))
        }
        let cid = Array(lastCID.prefix(0xFFFF))
        u16(cid.count)
        b += cid
        u64(UInt64(emitted))
        u64(ExportCursor.checksum(b))
        return Data(b).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes and checks a cursor's form; whether it fits this export is `ExportPlan`'s check.
    public static func decode(_ text: String) throws -> ExportCursor {
        func malformed(_ why: String) -> ReaderError { ReaderError(.malformedCursor, "malformed cursor: \(why)") }
        guard !text.isEmpty else { throw malformed("it is empty") }
        guard text.utf8.count <= maxLength else { throw malformed("it is longer than \(maxLength) characters") }
        guard text.utf8.allSatisfy({ isBase64URL($0) }) else {
            throw malformed("it is not base64url text (A–Z a–z 0–9 - _)")
        }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if standard.utf8.count % 4 == 1 { throw malformed("its length is impossible for base64") }
        standard += String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: standard) else { throw malformed("it does not decode as base64url") }
        let b = [UInt8](data)
        guard b.count >= minimumBytes else { throw malformed("it is truncated") }
        let body = b[0..<(b.count - 8)]
        var stored: UInt64 = 0
        for x in b[(b.count - 8)...] { stored = stored << 8 | UInt64(x) }
        guard stored == checksum(Array(body)) else {
            throw malformed("its checksum does not match (damaged, cut or edited)")
        }
        guard b[0] == version else {
            throw malformed("cursor version \(b[0]) is not supported (this tracespool reads version \(version))")
        }
        guard let kind = Kind(rawValue: b[1]) else { throw malformed("unknown cursor kind \(b[1])") }

        var i = 2
        func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, i + n <= body.count else { throw malformed("it is truncated") }
            defer { i += n }
            return body[i..<(i + n)]
        }
        func u8() throws -> Int { Int(try take(1).first!) }
        func u16() throws -> Int { try take(2).reduce(0) { $0 << 8 | Int($1) } }
        func u64() throws -> UInt64 { try take(8).reduce(0) { $0 << 8 | UInt64($1) } }
        func utf8(_ n: Int) throws -> String {
            guard let s = String(validating: try take(n), as: UTF8.self) else { throw malformed("it holds invalid UTF-8") }
            return s
        }

        let jobId = try utf8(try u16())
        let count = try u8()
        guard count >= 1 else { throw malformed("it names no domain") }
        guard kind == .cids || count == 1 else { throw malformed("a rows cursor names exactly one domain") }
        var positions: [Position] = []
        for _ in 0..<count {
            let name = try utf8(try u8())
            guard SpoolDomain.named(name) != nil else { throw malformed("unknown domain \"\(name)\"") }
            let after = Int64(bitPattern: try u64())
            let high = Int64(bitPattern: try u64())
            guard after >= 0, high >= after else { throw malformed("position \(after) is outside 0…\(high)") }
            positions.append(Position(domain: name, after: after, high: high))
        }
        let lastCID = Array(try take(try u16()))
        let emitted = try u64()
        guard i == body.count else { throw malformed("it has trailing bytes") }
        guard emitted <= UInt64(Int.max) else { throw malformed("its count is out of range") }
        return ExportCursor(kind: kind, jobId: jobId, positions: positions, lastCID: lastCID, emitted: Int(emitted))
    }

    private static func isBase64URL(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
    }

    /// FNV-1a 64 over a fixed prefix and the body: detects damage and casual edits (a cursor only
    /// ever points into the spool it is bound to, so it needs no secret).
    static func checksum(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for x in Array("tracespool-cursor".utf8) + bytes {
            h ^= UInt64(x)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }
}
