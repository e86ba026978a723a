import Foundation
import TracespoolJobs
import TracespoolPipeline
import Yams

/// One trace of a nightly config file, already validated the way `submit` validates its flags, so
/// a bad file is refused whole before anything is queued.
struct NightlyTrace: Sendable {
    let name: String
    /// The line of the trace's entry in the file (for messages about it later, too).
    let line: Int
    let report: Bool
    let request: TraceRequest
}

/// A config problem at a line of the file: `FILE:LINE: message`, exit 64.
struct NightlyConfigError: Error, CustomStringConvertible {
    let file: String
    let line: Int
    let message: String
    var description: String { "\(file):\(line): \(message)" }
}

/// The nightly config file (README "Nightly"): YAML composed with Yams into nodes rather than
/// decoded with Codable, because nodes keep their line (`Node.mark`) and Codable's errors do not.
/// Everything is strict: an unknown key, a wrong type or a duplicate is an error, never ignored.
enum NightlyConfig {
    static let traceKeys: [String] = [
        "name", "profile", "station", "window", "from", "to", "direction", "report", "domains",
        "lot_ids", "wafer_lots", "work_orders", "serials", "gd_work_orders", "gd_lot_ids", "seed_cids", "cids", "cid_limit",
    ]
    static let listKeys: [String: ResolveType] = [
        "lot_ids": .lotId, "wafer_lots": .waferLot, "work_orders": .workOrder, "serials": .serialNumber,
        "gd_work_orders": .gdWorkOrder, "gd_lot_ids": .gdLotId,
    ]

    static func load(path: String, today: String, defaultCIDLimit: Int) throws -> [NightlyTrace] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NightlyConfigError(file: path, line: 0, message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw NightlyConfigError(file: path, line: 1, message: "not UTF-8 text")
        }
        return try parse(text, file: path, today: today, defaultCIDLimit: defaultCIDLimit)
    }

    static func parse(_ text: String, file: String, today: String, defaultCIDLimit: Int) throws -> [NightlyTrace] {
        func fail(_ node: Node?, _ message: String) -> NightlyConfigError {
            NightlyConfigError(file: file, line: node?.mark?.line ?? 1, message: message)
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let e as YamlError {
            throw NightlyConfigError(file: file, line: yamlLine(e), message: "not valid YAML: \(yamlProblem(e))")
        }
        guard let root, let top = root.mapping else {
            throw fail(root, "expected a mapping with one key, traces: (a list of traces)")
        }
        var tracesNode: Node?
        for (k, v) in try pairs(top, fail) {
            guard k == "traces" else { throw fail(v.key, "unknown key \"\(k)\" (the only top-level key is traces)") }
            tracesNode = v.value
        }
        guard let tracesNode else { throw fail(root, "missing key traces: (a list of traces)") }
        guard let items = tracesNode.sequence, !items.isEmpty else {
            throw fail(tracesNode, "traces must be a non-empty list of traces (- name: …)")
        }
        var seen: [String: Int] = [:]
        var out: [NightlyTrace] = []
        for item in items {
            let t = try trace(item, fail: fail, today: today, defaultCIDLimit: defaultCIDLimit)
            if let first = seen[t.name] {
                throw NightlyConfigError(file: file, line: t.line, message: "duplicate trace name \"\(t.name)\" (first at line \(first))")
            }
            seen[t.name] = t.line
            out.append(t)
        }
        return out
    }

    private static func trace(_ item: Node, fail: (Node?, String) -> NightlyConfigError, today: String,
                              defaultCIDLimit: Int) throws -> NightlyTrace {
        guard let map = item.mapping else { throw fail(item, "a trace must be a mapping (name:, profile:, …)") }
        let fields = try pairs(map, fail)
        let line = item.mark?.line ?? 1
        func string(_ key: String) throws -> String? {
            guard let v = fields[key]?.value else { return nil }
            guard case .scalar(let s) = v, !s.string.isEmpty else { throw fail(v, "\(key) must be a non-empty string") }
            return s.string
        }
        func list(_ key: String) throws -> [String]? {
            guard let v = fields[key]?.value else { return nil }
            if case .scalar(let s) = v, !s.string.isEmpty { return [s.string] }
            guard let seq = v.sequence, !seq.isEmpty else { throw fail(v, "\(key) must be a string or a non-empty list of strings") }
            return try seq.map { e in
                guard case .scalar(let s) = e, !s.string.isEmpty else { throw fail(e, "\(key): every entry must be a non-empty string") }
                return s.string
            }
        }
        for (k, v) in fields where !traceKeys.contains(k) {
            throw fail(v.key, "unknown key \"\(k)\" in a trace; valid: \(traceKeys.joined(separator: ", "))")
        }
        guard let name = try string("name") else { throw fail(item, "a trace needs a name:") }
        // The name is part of a file name and a Prometheus label value: keep it plain.
        guard name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }),
              !name.hasPrefix(".") else {
            throw fail(fields["name"]?.value, "name \"\(name)\" must be 1…64 ASCII letters, digits, '-', '_' or '.' (not starting with '.')")
        }
        var report = true
        if let v = fields["report"]?.value {
            guard case .scalar = v, let b = v.bool else { throw fail(v, "report must be true or false") }
            report = b
        }
        var input = TraceRequest.Input()
        input.profile = try string("profile") ?? "query_tool"
        input.stations = try list("station")
        input.direction = try string("direction")
        input.domains = try list("domains")
        input.cids = try list("cids") ?? []
        input.seedCIDs = try list("seed_cids") ?? []
        for (key, type) in listKeys { input.values[type] = try list(key) ?? [] }
        input.cidLimit = defaultCIDLimit
        if let v = fields["cid_limit"]?.value {
            guard case .scalar = v, let n = v.int, n >= 1 else { throw fail(v, "cid_limit must be a whole number ≥ 1") }
            input.cidLimit = n
        }
        if let w = fields["window"]?.value {
            if fields["from"] != nil || fields["to"] != nil { throw fail(w, "give window: or from:/to:, not both") }
            guard case .scalar(let s) = w else { throw fail(w, "window must be a string (\(NightlyWindow.phrases))") }
            guard let days = NightlyWindow.resolve(s.string, today: today) else {
                throw fail(w, "bad window \"\(s.string)\": expected \(NightlyWindow.phrases)")
            }
            (input.from, input.to) = days
        } else {
            input.from = try string("from")
            input.to = try string("to")
        }
        do {
            let request = try TraceRequest.make(input)
            return NightlyTrace(name: name, line: line, report: report, request: request)
        } catch let e as TraceRequest.Invalid {
            throw fail(item, "trace \"\(name)\": \(e.message)")
        } catch let e as CIDLimitExceeded {
            // Explicit cids over the limit are refused before any job, like `submit`.
            throw fail(item, "trace \"\(name)\": \(e.description)")
        }
    }

    /// A mapping's entries by key, refusing non-string and duplicate keys (YAML allows neither to
    /// mean anything here, and libyaml would silently keep both).
    private static func pairs(_ m: Node.Mapping, _ fail: (Node?, String) -> NightlyConfigError) throws
        -> [String: (key: Node, value: Node)] {
        var out: [String: (key: Node, value: Node)] = [:]
        for (k, v) in m {
            guard case .scalar(let s) = k else { throw fail(k, "keys must be plain strings") }
            if let first = out[s.string] {
                throw fail(k, "duplicate key \"\(s.string)\" (first at line \(first.key.mark?.line ?? 0))")
            }
            out[s.string] = (k, v)
        }
        return out
    }

    private static func yamlLine(_ e: YamlError) -> Int {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return 1
        }
    }

    private static func yamlProblem(_ e: YamlError) -> String {
        switch e {
        case .scanner(let c, let p, _, _), .parser(let c, let p, _, _), .composer(let c, let p, _, _):
            return [c.map { "\($0.text)" }, p].compactMap { $0 }.joined(separator: ": ")
        case .reader(let p, _, _, _): return p
        default: return "\(e)"
        }
    }
}
