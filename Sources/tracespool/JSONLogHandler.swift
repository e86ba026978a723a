import Foundation
import Logging
import TracespoolJobs

/// `TRACESPOOL_LOG_FORMAT=json`: one JSON object per log event on stderr — `ts`, `level`,
/// `label`, `message` and the event's metadata as fields (`job`, `stage`, `domain`, `batch`,
/// `rows`, `seconds`, `code`, …) — for journald and log shippers. One `write(2)` per line, so lines
/// of concurrent threads never interleave.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let explicit = event.metadata
        var fields: [String: Any] = [:]
        for (k, v) in metadata.merging(metadataProvider?.get() ?? [:], uniquingKeysWith: { _, b in b })
            .merging(explicit ?? [:], uniquingKeysWith: { _, b in b }) {
            fields[k] = JSONLogHandler.value(v)
        }
        fields["ts"] = UTCTime.iso(Date())
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = event.message.description
        fields["source"] = event.source
        if let error = event.error { fields["error"] = "\(error)" }
        var data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        data.append(0x0A)
        data.withUnsafeBytes { raw in _ = write(STDERR_FILENO, raw.baseAddress, raw.count) }
    }

    /// Numbers stay numbers, so `rows` and `seconds` can be summed by a log query.
    static func value(_ v: Logger.Metadata.Value) -> Any {
        switch v {
        case .string(let s): return Int(s).map { $0 as Any } ?? Double(s).map { $0 as Any } ?? s
        case .stringConvertible(let c): return "\(c)"
        case .array(let a): return a.map(value)
        case .dictionary(let d): return d.mapValues(value)
        }
    }
}
