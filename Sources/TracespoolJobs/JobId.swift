import Foundation

/// Job ids are made here, never taken from a client: `j` + UTC time + 6 random hex digits, e.g.
/// `j20261126-160133-3f9a2c`. Sortable by creation, safe as a file name.
public enum JobId {
    public static func make(now: Date = Date()) -> String {
        let f = UTCTime.fields(now)
        let random = String(UInt32.random(in: 0..<0x100_0000), radix: 16)
        let pad = String(repeating: "0", count: 6 - random.count) + random
        return "j" + UTCTime.pad(f.year, 4) + UTCTime.pad(f.month, 2) + UTCTime.pad(f.day, 2) + "-"
            + UTCTime.pad(f.hour, 2) + UTCTime.pad(f.minute, 2) + UTCTime.pad(f.second, 2) + "-" + pad
    }

    /// True for strings this module could have made — the only ids a path is ever built from.
    public static func isValid(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 23, u[0] == UInt8(ascii: "j"), u[9] == UInt8(ascii: "-"), u[16] == UInt8(ascii: "-") else { return false }
        for (i, b) in u.enumerated() where i != 0 && i != 9 && i != 16 {
            let digit = b >= 0x30 && b <= 0x39
            let hex = b >= 0x61 && b <= 0x66
            if i < 16 ? !digit : !(digit || hex) { return false }
        }
        return true
    }
}
