/// Validated container ids. A CID is 1–16 printable characters without blanks inside, quotes,
/// backslashes, commas or braces — so a batch can go into a `bpchar[]` array literal safely.
/// Input is trimmed, deduplicated and sorted: batches then cover disjoint `[first, last]` ranges.
public enum CIDList {
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let value: String
        public let reason: String
        public var description: String { "invalid container id \"\(value)\": \(reason)" }
    }

    public static func validate(_ raw: String) throws -> String {
        let v = raw.trimmed()
        if v.isEmpty { throw Invalid(value: raw, reason: "empty") }
        if v.utf8.count > 16 { throw Invalid(value: raw, reason: "longer than 16 characters") }
        for b in v.utf8 {
            if b < 0x21 || b == 0x7F || b >= 0x80 {
                throw Invalid(value: raw, reason: "only printable ASCII without blanks is allowed")
            }
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b == UInt8(ascii: ",")
                || b == UInt8(ascii: "{") || b == UInt8(ascii: "}") || b == UInt8(ascii: "'") {
                throw Invalid(value: raw, reason: "quotes, backslashes, commas and braces are not allowed")
            }
        }
        return v
    }

    /// Trimmed, validated, deduplicated and sorted; `duplicates` counts the repeats dropped.
    public static func normalize(_ raw: [String]) throws -> (cids: [String], duplicates: Int) {
        var out = try raw.map(validate)
        out.sort()
        var unique: [String] = []
        unique.reserveCapacity(out.count)
        for c in out where unique.last != c { unique.append(c) }
        return (unique, out.count - unique.count)
    }

    /// The PostgreSQL array literal `{a,b,c}` for a validated batch (elements need no quoting).
    public static func arrayLiteral<C: Collection>(_ cids: C) -> String where C.Element == String {
        "{" + cids.joined(separator: ",") + "}"
    }
}
