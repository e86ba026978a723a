import Foundation

/// Text and number helpers shared by every report part. Every value that comes from a spool (lot
/// names, loss reasons, machine names …) goes through `escape` before it reaches the page: the
/// report is opened from mail attachments, so a crafted name must never become markup.
public enum HTML {
    /// Escapes text for element content and quoted attribute values alike (`&<>"'`). C0 control
    /// characters other than tab, LF and CR are parse errors in HTML and cannot appear in SVG text:
    /// they become U+FFFD so the page stays well-formed whatever the spool holds.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(u)
            case _ where u.value < 0x20 || u.value == 0x7F: out += "\u{FFFD}"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// A number as the summary JSON prints it (`45`, `0.5707`): what `data-value` carries, so a
    /// test (or a person with a text editor) compares the page with `msd summary` digit for digit.
    public static func raw(_ v: Double) -> String {
        guard v.isFinite else { return "" }
        if v == v.rounded() && abs(v) < 9.0e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// A quantity for people: thousands grouped with commas (`7,808,209`); fractions kept as the
    /// summary has them. Not locale-dependent: the same report reads the same on every machine.
    public static func qty(_ v: Double) -> String {
        guard v.isFinite else { return "—" }
        if v == v.rounded() && abs(v) < 9.0e15 { return group(Int64(v)) }
        let whole = v < 0 ? (-v).rounded(.down) : v.rounded(.down)
        let frac = String(raw(abs(v)).drop { $0 != "." })
        return (v < 0 ? "-" : "") + group(Int64(whole)) + frac
    }

    static func group(_ n: Int64) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// A percentage already scaled to 0…100 (`0.5707%`).
    public static func pct(_ v: Double) -> String { v.isFinite ? raw(v) + "%" : "—" }

    /// Coordinates in SVG: two decimals are far below a pixel and keep the file small.
    static func px(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(format: "%.2f", r)
    }

    /// East Asian wide characters count two columns: label truncation and widths use this, so a
    /// Chinese loss reason is cut as early as a Latin one twice its length.
    static func columns(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { $0 + (isWide($1) ? 2 : 1) }
    }

    static func isWide(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        return (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v)
    }

    /// `s` cut to at most `max` columns with a trailing `…` when it was longer.
    static func truncate(_ s: String, columns max: Int) -> String {
        guard columns(s) > max else { return s }
        var out = "", used = 0
        for ch in s {
            let w = ch.unicodeScalars.reduce(0) { $0 + (isWide($1) ? 2 : 1) }
            if used + w > max - 1 { break }
            out.append(ch)
            used += w
        }
        return out + "…"
    }
}

/// Typed reads of a parsed JSON object (`JSONSerialization` output): the report is built from the
/// same JSON `msd summary` prints, so every number on the page is one the JSON has.
enum J {
    static func num(_ v: Any?) -> Double? {
        (v as? NSNumber)?.doubleValue
    }

    static func str(_ v: Any?) -> String? {
        switch v {
        case let s as String: return s
        case let n as NSNumber: return HTML.raw(n.doubleValue)
        default: return nil
        }
    }

    static func obj(_ v: Any?) -> [String: Any] { v as? [String: Any] ?? [:] }
    static func arr(_ v: Any?) -> [[String: Any]] { v as? [[String: Any]] ?? [] }
    static func strings(_ v: Any?) -> [String] { (v as? [Any] ?? []).compactMap { str($0) } }
}
