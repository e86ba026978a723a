/// PostgreSQL array literals (`{"a","b"}`) for any text values: every element double-quoted with
/// `"` and `\` escaped, so quotes, commas, braces or SQL fragments in user input stay data. The
/// literal itself is then bound as a parameter, or escaped by libpq where COPY takes none.
public enum PGArrayLiteral {
    public static func text<S: Sequence>(_ values: S) -> String where S.Element == String {
        var out = "{"
        var first = true
        for v in values {
            if !first { out += "," }
            first = false
            out += "\""
            for ch in v.unicodeScalars {
                if ch == "\"" || ch == "\\" { out += "\\" }
                out.unicodeScalars.append(ch)
            }
            out += "\""
        }
        return out + "}"
    }
}
