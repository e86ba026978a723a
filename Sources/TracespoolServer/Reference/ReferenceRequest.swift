import Foundation
import TracespoolJobs
import TracespoolPipeline

/// The reference dashboard's request bodies and MSD query strings (`{profile, params, …}`), read
/// into our `TraceRequest.Input` (README "Reference routes"). Its field names are kept; what it
/// sends that does not change the work (`cache_key`, masks, a `lineage` the client computed) is
/// accepted and ignored, as the reference did.
struct ReferenceBody {
    let object: [String: Any]

    /// A JSON object body, or 400 `INVALID_PARAMS`.
    init(_ data: Data) throws {
        guard let o = try? JSONSerialization.jsonObject(with: data, options: []) as? [String: Any] else {
            throw APIError("INVALID_PARAMS", "the body must be a JSON object")
        }
        object = o
    }

    init(object: [String: Any]) { self.object = object }

    /// `profile`, or 400 `INVALID_PROFILE`.
    func profile() throws -> Profile {
        guard let raw = object["profile"] as? String, let p = Profile(rawValue: raw) else {
            throw APIError("INVALID_PROFILE", "profile must be one of \(Profile.allCases.map(\.rawValue).joined(separator: ", "))",
                           extra: ["field": .string("profile")])
        }
        return p
    }

    /// `params` (an object; absent is empty).
    func params() throws -> ReferenceBody {
        guard let v = object["params"], !(v is NSNull) else { return ReferenceBody(object: [:]) }
        guard let o = v as? [String: Any] else { throw ReferenceBody.invalid("params", "params must be an object") }
        return ReferenceBody(object: o)
    }

    static func invalid(_ field: String, _ message: String) -> APIError {
        APIError("INVALID_PARAMS", message, extra: ["field": .string(field)])
    }

    func string(_ k: String) throws -> String? {
        guard let v = object[k], !(v is NSNull) else { return nil }
        guard let s = v as? String else { throw ReferenceBody.invalid(k, "\(k) must be a string") }
        return s
    }

    /// A list of strings, or one comma-separated string.
    func list(_ k: String) throws -> [String]? {
        guard let v = object[k], !(v is NSNull) else { return nil }
        if let s = v as? String { return s.split(separator: ",").map { String($0) } }
        guard let a = v as? [Any] else { throw ReferenceBody.invalid(k, "\(k) must be a list of strings") }
        return try a.map {
            guard let s = $0 as? String else { throw ReferenceBody.invalid(k, "\(k) must be a list of strings") }
            return s
        }
    }

    /// The seed part of `params` (`msd.md` §1.1, `trace-pipeline.md` §1.1) into `input`: MSD date
    /// mode (`date_range` or `start_date`/`end_date`, `station`, `direction`) or a resolve type
    /// (`resolve_type`, alias `input_type`) with its `values`.
    func seedInput(_ p: Profile, into input: inout TraceRequest.Input) throws {
        input.profile = p.rawValue
        if p == .midSectionDefect {
            if let s = try list("station") { input.stations = s }
            input.direction = try string("direction")
            let mode = try string("mode") ?? "date_range"
            guard mode == "date_range" || mode == "container" else {
                throw ReferenceBody.invalid("mode", "mode must be date_range or container")
            }
            if mode == "date_range" {
                if let range = try list("date_range") {
                    guard range.count == 2 else { throw ReferenceBody.invalid("date_range", "date_range must be [start_date, end_date]") }
                    (input.from, input.to) = (range[0], range[1])
                } else {
                    input.from = try string("start_date")
                    input.to = try string("end_date")
                }
                guard input.from != nil, input.to != nil else {
                    throw ReferenceBody.invalid("start_date", "date_range mode needs start_date and end_date (YYYY-MM-DD)")
                }
                return
            }
        }
        guard let typeName = try string("resolve_type") ?? string("input_type") else {
            throw ReferenceBody.invalid("resolve_type", "resolve_type is required: one of "
                + TraceRequest.allowed(p).map(\.rawValue).joined(separator: ", "))
        }
        guard let type = ResolveType(rawValue: typeName), TraceRequest.allowed(p).contains(type) else {
            throw ReferenceBody.invalid("resolve_type", "resolve_type \"\(typeName.prefix(40))\" is not one of "
                + TraceRequest.allowed(p).map(\.rawValue).joined(separator: ", ") + " for \(p.rawValue)")
        }
        let values = (try list("values") ?? []).map { $0.trimmed() }.filter { !$0.isEmpty }
        guard !values.isEmpty else { throw ReferenceBody.invalid("values", "values must list at least one value") }
        input.values[type] = values
    }

    /// Our request from the reference's input; its validation messages name the reference's fields.
    static func make(_ input: TraceRequest.Input) throws -> TraceRequest {
        do { return try TraceRequest.make(input) } catch let e as TraceRequest.Invalid {
            var text = e.message
            var field: String?
            for (flag, name) in [("--from", "start_date"), ("--to", "end_date"), ("--station", "station"), ("--direction", "direction"),
                                 ("--seed-cids", "container_ids"), ("--cids", "container_ids"), ("--lot-ids", "values"),
                                 ("--wafer-lots", "values"), ("--work-orders", "values"), ("--serials", "values"),
                                 ("--gd-work-orders", "values"), ("--gd-lot-ids", "values"), ("--profile", "profile")] {
                if field == nil && text.contains(flag) { field = name }
                text = text.replacingOccurrences(of: flag, with: name)
            }
            for (word, name) in [("domain", "domains"), ("station", "station"), ("direction", "direction"), ("window", "start_date"),
                                 ("profile", "profile")] where field == nil && text.contains(word) {
                field = name
            }
            throw APIError("INVALID_PARAMS", text, extra: field.map { ["field": .string($0)] } ?? [:])
        }
    }
}
