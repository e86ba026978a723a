import Foundation

/// A small JSON value with ordered object keys, written by hand: deterministic key order, Chinese
/// text unescaped, quantities printed as integers when they are whole. Not a hot path.
public indirect enum JSON: Sendable {
    case null
    case bool(Bool)
    /// A quantity: printed without a fraction when whole (`45`, `12.5`).
    case number(Double)
    /// A rate or percentage: always printed as a float (`3.0`, `1.9565`).
    case double(Double)
    case string(String)
    case array([JSON])
    /// An array whose `count` elements are made one at a time as it is written, so a long list
    /// (`materials_attribution` has one item per material lot: thousands over a 150-day window)
    /// never exists as a tree beside its text: only the rows it is made from and the text do.
    case lazyArray(Int, @Sendable (Int) -> JSON)
    case object([(String, JSON)])

    public static func optional(_ s: String?) -> JSON { s.map(JSON.string) ?? .null }
    public static func int(_ i: Int) -> JSON { .number(Double(i)) }

    /// Compact UTF-8 text.
    public var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    public func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d):
            if !d.isFinite { out += "null" } else if d == d.rounded(), abs(d) < 9.0e15 {
                out += String(Int64(d))
            } else { out += "\(d)" }
        case .double(let d):
            out += d.isFinite ? "\(d)" : "null"
        case .string(let s): JSON.quote(s, into: &out)
        case .array(let items):
            out += "["
            for (i, v) in items.enumerated() {
                if i > 0 { out += "," }
                v.write(to: &out)
            }
            out += "]"
        case .lazyArray(let count, let element):
            out += "["
            for i in 0..<count {
                if i > 0 { out += "," }
                element(i).write(to: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (i, (k, v)) in fields.enumerated() {
                if i > 0 { out += "," }
                JSON.quote(k, into: &out)
                out += ":"
                v.write(to: &out)
            }
            out += "}"
        }
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }

    /// Field lookup on objects (first match), for readers of stored summaries.
    public subscript(key: String) -> JSON? {
        if case .object(let fields) = self { return fields.first { $0.0 == key }?.1 }
        return nil
    }
}

/// Rounding used for every published figure: half away from zero on the binary double, like
/// SQLite's `ROUND` (the reference used DuckDB's ROUND, also half away from zero).
enum MSDRound {
    static func places(_ v: Double, _ n: Int) -> Double {
        let p = pow(10.0, Double(n))
        return (v * p).rounded(.toNearestOrAwayFromZero) / p
    }

    /// round(q / i × 100, 4); 0.0 when i = 0.
    static func pct4(_ q: Double, _ i: Double) -> Double { i == 0 ? 0.0 : places(q / i * 100, 4) }
    /// round(q / i × 100, 2); 0.0 when i = 0.
    static func pct2(_ q: Double, _ i: Double) -> Double { i == 0 ? 0.0 : places(q / i * 100, 2) }
    /// round(q / i, 6) as a fraction; 0.0 when i = 0.
    static func frac6(_ q: Double, _ i: Double) -> Double { i == 0 ? 0.0 : places(q / i, 6) }
}
