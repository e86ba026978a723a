import Crypto
import Foundation

/// The reference's query ids (README "Reference routes"), derived as it derives them: SHA-256 over
/// a JSON object with sorted keys (Python's `json.dumps(…, sort_keys=True)`: `", "` and `": "`
/// separators, non-ASCII as `\uXXXX`). Long CID lists are hashed as they are read.
enum ReferenceIDs {
    /// `trc-` + 16 hex of `{_v: 2, container_ids, domains, profile}` (events of query_tool*).
    static func eventsQueryId(profile: String, cids: [String], domains: [String]) -> String {
        var h = JSONHash()
        h.raw("{\"_v\": 2, \"container_ids\": ")
        h.list(Set(cids).sorted())
        h.raw(", \"domains\": ")
        h.list(Set(domains).sorted())
        h.raw(", \"profile\": ")
        h.string(profile)
        h.raw("}")
        return "trc-" + h.hex(16)
    }

    /// `trace-lineage-<profile with dashes>-` + 24 hex of `{container_ids, direction, profile}`;
    /// unlike the reference, the direction is part of the identity for every profile.
    static func lineageQueryId(profile: String, cids: [String], direction: String) -> String {
        var h = JSONHash()
        h.raw("{\"container_ids\": ")
        h.list(Set(cids).sorted())
        h.raw(", \"direction\": ")
        h.string(direction)
        h.raw(", \"profile\": ")
        h.string(profile)
        h.raw("}")
        return String(("trace-lineage-" + profile.replacingOccurrences(of: "_", with: "-") + "-" + h.hex(24)).prefix(128))
    }

    /// `msd-` + 16 hex of `{_v: 2, container_ids (sorted seeds), direction, end_date, profile,
    /// start_date, station}`; `seeds` yields the sorted seed CIDs.
    static func msdTraceQueryId(seeds: ((String) -> Void) throws -> Void, from: String?, to: String?, stations: [String],
                                direction: String) rethrows -> String {
        var h = JSONHash()
        h.raw("{\"_v\": 2, \"container_ids\": [")
        var first = true
        try seeds { cid in
            if !first { h.raw(", ") }
            first = false
            h.string(cid)
        }
        h.raw("], \"direction\": ")
        h.string(direction)
        h.raw(", \"end_date\": ")
        if let to { h.string(to) } else { h.raw("null") }
        h.raw(", \"profile\": \"mid_section_defect\", \"start_date\": ")
        if let from { h.string(from) } else { h.raw("null") }
        h.raw(", \"station\": ")
        h.string(stations.joined(separator: ","))
        h.raw("}")
        return "msd-" + h.hex(16)
    }

    /// `trace:seed:<profile>:` + 12 hex of the job's request key (the reference hashed its params).
    static func seedCacheKey(profile: String, requestKey: String) -> String {
        "trace:seed:\(profile):" + String(requestKey.prefix(12))
    }
}

/// SHA-256 of JSON text written piece by piece, escaped as Python's `json.dumps` does.
struct JSONHash {
    private var hash = SHA256()

    mutating func raw(_ s: String) { hash.update(data: Data(s.utf8)) }

    mutating func string(_ s: String) {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value > 0x7E {
                    for unit in String(u).utf16 { out += String(format: "\\u%04x", unit) }
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        raw(out + "\"")
    }

    mutating func list(_ items: [String]) {
        raw("[")
        for (i, s) in items.enumerated() {
            if i > 0 { raw(", ") }
            string(s)
        }
        raw("]")
    }

    func hex(_ n: Int) -> String {
        String(hash.finalize().map { String(format: "%02x", $0) }.joined().prefix(n))
    }
}
