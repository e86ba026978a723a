import Foundation

/// `tracespool_last_success_timestamp_seconds{trace="NAME"}` as a Prometheus textfile for
/// node_exporter's textfile collector (no server runs at night to be scraped). Only traces that
/// succeeded move forward; the others keep the time of their last success, so an alert on
/// `time() - tracespool_last_success_timestamp_seconds > 2 * 86400` fires for exactly the trace that
/// stopped succeeding.
enum NightlyMetricsFile {
    static let metric = "tracespool_last_success_timestamp_seconds"

    /// The values already in the file, by trace name (lines this file wrote; others are dropped).
    static func read(_ path: String) -> [String: Int] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var out: [String: Int] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix(metric + "{trace=\"") {
            let rest = line.dropFirst(metric.count + 8)
            guard let q = rest.firstIndex(of: "\""), let v = Int(rest[q...].split(separator: " ").last ?? "") else { continue }
            out[String(rest[..<q])] = v
        }
        return out
    }

    /// Merges `succeeded` (trace → unix seconds) into the file, written under a temporary name and
    /// renamed, so the collector never reads half a file.
    static func update(_ path: String, succeeded: [String: Int]) throws {
        var values = read(path)
        for (k, v) in succeeded { values[k] = v }
        var text = "# HELP \(metric) Unix time of the last successful run of a nightly trace (tracespool nightly).\n"
        text += "# TYPE \(metric) gauge\n"
        // Names are checked to be plain ASCII (NightlyConfig), so they need no label escaping.
        for k in values.keys.sorted() { text += "\(metric){trace=\"\(k)\"} \(values[k]!)\n" }
        let tmp = path + ".\(getpid()).tmp"
        try Data(text.utf8).write(to: URL(fileURLWithPath: tmp))
        if rename(tmp, path) != 0 {
            try? FileManager.default.removeItem(atPath: tmp)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}
