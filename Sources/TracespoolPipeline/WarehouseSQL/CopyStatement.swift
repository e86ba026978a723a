import TracespoolSource

/// Turns a parameterised SELECT into `COPY (select) TO STDOUT`: COPY takes no bind parameters, so
/// each `$n` becomes a literal escaped by libpq (`PQescapeLiteral`). This is the only place a value
/// enters SQL text.
///
/// Substitution is one left-to-right pass over the statement's own text: a marker is `$` followed
/// by all of its digits (so `$1` never eats the prefix of `$10`), markers inside the statement's
/// own quoted strings and `--` comments are left alone, and an inserted literal is copied to the output and never
/// looked at again — a value containing `$1`, quotes or backslashes stays inside its literal.
public enum CopyStatement {
    public struct UnknownParameter: Error, CustomStringConvertible {
        public let index: Int
        public let count: Int
        public var description: String { "statement uses $\(index) but only \(count) parameter(s) were given" }
    }

    public static func make(select: String, literals: [String?], on connection: PGConnection) throws -> String {
        let escaped = try literals.map { try $0.map { try connection.escapeLiteral($0) } ?? "NULL" }
        return "COPY (\n\(try substitute(select, escaped))\n) TO STDOUT"
    }

    /// Replaces every `$n` outside quoted strings of `sql` by `escaped[n-1]` (already SQL literals).
    public static func substitute(_ sql: String, _ escaped: [String]) throws -> String {
        let text = Array(sql.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.count + escaped.reduce(0) { $0 + $1.utf8.count })
        var i = 0
        var quote: UInt8? = nil  // inside '…' or "…" of the statement itself
        while i < text.count {
            let b = text[i]
            if let q = quote {
                out.append(b)
                if b == q { quote = nil }  // a doubled quote closes and reopens: same result
                i += 1
                continue
            }
            if b == UInt8(ascii: "-"), i + 1 < text.count, text[i + 1] == UInt8(ascii: "-") {
                // A `--` comment runs to the end of the line; an apostrophe in it opens nothing.
                while i < text.count, text[i] != UInt8(ascii: "\n") { out.append(text[i]); i += 1 }
                continue
            }
            if b == UInt8(ascii: "'") || b == UInt8(ascii: "\"") {
                quote = b
                out.append(b)
                i += 1
                continue
            }
            if b == UInt8(ascii: "$"), i + 1 < text.count, isDigit(text[i + 1]) {
                var j = i + 1
                var n = 0
                while j < text.count, isDigit(text[j]) {
                    n = n * 10 + Int(text[j] - UInt8(ascii: "0"))
                    j += 1
                }
                guard n >= 1, n <= escaped.count else { throw UnknownParameter(index: n, count: escaped.count) }
                out.append(contentsOf: escaped[n - 1].utf8)
                i = j
                continue
            }
            out.append(b)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
}
