import Foundation

/// A nightly trace's window relative to the day it runs (`--now`, default today in UTC): whole
/// UTC days, inclusive, ending yesterday — today's data is still being written when the timer fires.
enum NightlyWindow {
    static let phrases = "\"yesterday\" or \"last N days\" (N in 1…730), or from:/to: dates"

    /// The (from, to) days of a phrase, or nil when it is not one: `last 7 days` on 2026-03-20 is
    /// 2026-03-13 … 2026-03-19.
    static func resolve(_ phrase: String, today: String) -> (String, String)? {
        let words = phrase.lowercased().split(separator: " ", omittingEmptySubsequences: true)
        let days: Int
        if words == ["yesterday"] {
            days = 1
        } else if words.count == 3, words[0] == "last", words[2] == "days" || words[2] == "day",
                  let n = Int(words[1]), (1...730).contains(n) {
            days = n
        } else {
            return nil
        }
        guard let now = parseDay(today) else { return nil }
        return (formatDay(now.addingTimeInterval(-Double(days) * 86_400)), formatDay(now.addingTimeInterval(-86_400)))
    }

    static func parseDay(_ s: String) -> Date? {
        guard s.count == 10, let d = formatter.date(from: s), formatDay(d) == s else { return nil }
        return d
    }

    static func formatDay(_ d: Date) -> String { formatter.string(from: d) }

    static func today() -> String { formatDay(Date()) }

    // One configured formatter: DateFormatter is Sendable (thread-safe once configured) here.
    private static let formatter: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        return f
    }()
}
