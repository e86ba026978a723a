import Foundation

/// UTC calendar fields from the C library. Foundation's Calendar, TimeZone and date formatters
/// load ICU (≈ 6 MiB of resident data) on first use; job ids and catalog times need none of it.
public enum UTCTime {
    struct Fields {
        let year, month, day, hour, minute, second: Int
    }

    static func fields(_ date: Date) -> Fields {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        return Fields(year: Int(tm.tm_year) + 1900, month: Int(tm.tm_mon) + 1, day: Int(tm.tm_mday),
                      hour: Int(tm.tm_hour), minute: Int(tm.tm_min), second: Int(tm.tm_sec))
    }

    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// `2026-11-26T16:01:35Z`
    public static func iso(_ date: Date) -> String {
        let f = fields(date)
        return "\(pad(f.year, 4))-\(pad(f.month, 2))-\(pad(f.day, 2))T\(pad(f.hour, 2)):\(pad(f.minute, 2)):\(pad(f.second, 2))Z"
    }
}
