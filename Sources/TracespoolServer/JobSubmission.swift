import Foundation
import TracespoolJobs
import TracespoolPipeline

/// `POST /api/v1/jobs`: the body's snake_case fields are the run flags (README "HTTP API"). Every
/// field is checked by name and type; an unknown field is refused (400 `INVALID_PARAMS` naming it),
/// and the request's own validation speaks of fields, not of CLI flags.
enum JobSubmission {
    static let listFields: [String: ResolveType] = [
        "lot_ids": .lotId, "wafer_lots": .waferLot, "work_orders": .workOrder, "serials": .serialNumber,
        "gd_work_orders": .gdWorkOrder, "gd_lot_ids": .gdLotId,
    ]
    static let known: Set<String> = Set(listFields.keys).union(["profile", "seed_cids", "cids", "station", "from", "to", "direction",
                                                                 "domains", "cid_limit", "new"])

    static func invalid(_ field: String?, _ message: String) -> APIError {
        APIError("INVALID_PARAMS", message, extra: field.map { ["field": .string($0)] } ?? [:])
    }

    /// The validated request and whether `new` was asked.
    static func parse(_ body: Data) throws -> (TraceRequest, Bool) {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: body, options: []) } catch {
            throw invalid(nil, "the body is not JSON: give an object such as {\"profile\":\"query_tool\",\"lot_ids\":[\"GA…\"]}")
        }
        guard let o = object as? [String: Any] else { throw invalid(nil, "the body must be a JSON object") }
        for k in o.keys.sorted() where !known.contains(k) {
            throw invalid(k, "unknown field \"\(String(k.prefix(60)))\"; fields: \(known.sorted().joined(separator: ", "))")
        }
        func list(_ k: String) throws -> [String] {
            guard let v = o[k] else { return [] }
            if let s = v as? String { return s.split(separator: ",").map(String.init) }
            if let a = v as? [Any] {
                return try a.map {
                    guard let s = $0 as? String else { throw invalid(k, "\(k) must be a list of strings") }
                    return s
                }
            }
            throw invalid(k, "\(k) must be a list of strings (or one comma-separated string)")
        }
        func string(_ k: String) throws -> String? {
            guard let v = o[k], !(v is NSNull) else { return nil }
            guard let s = v as? String else { throw invalid(k, "\(k) must be a string") }
            return s
        }
        var input = TraceRequest.Input()
        input.profile = try string("profile") ?? "query_tool"
        if o["domains"] != nil { input.domains = try list("domains") }
        input.cids = try list("cids")
        input.seedCIDs = try list("seed_cids")
        for (k, t) in listFields { input.values[t] = try list(k) }
        if o["station"] != nil { input.stations = try list("station") }
        input.from = try string("from")
        input.to = try string("to")
        input.direction = try string("direction")
        if let v = o["cid_limit"] {
            guard let n = v as? Int, !(v is Bool), n >= 1 else { throw invalid("cid_limit", "cid_limit must be an integer ≥ 1") }
            input.cidLimit = n
        }
        var new = false
        if let v = o["new"] {
            guard let b = v as? Bool else { throw invalid("new", "new must be true or false") }
            new = b
        }
        do {
            return (try TraceRequest.make(input), new)
        } catch let e as TraceRequest.Invalid {
            let (field, message) = fieldWording(e.message)
            throw invalid(field, message)
        }
    }

    /// The request's messages name CLI flags; the API names the fields.
    static func fieldWording(_ message: String) -> (String?, String) {
        let flags = [("--lot-ids", "lot_ids"), ("--wafer-lots", "wafer_lots"), ("--work-orders", "work_orders"), ("--serials", "serials"),
                     ("--gd-work-orders", "gd_work_orders"), ("--gd-lot-ids", "gd_lot_ids"), ("--seed-cids", "seed_cids"),
                     ("--cids-file", "cids"), ("--cids", "cids"), ("--station", "station"), ("--from", "from"), ("--to", "to"),
                     ("--direction", "direction"), ("--profile", "profile"), ("--cid-limit", "cid_limit")]
        var text = message
        var first: (String, String.Index)?
        for (flag, field) in flags {
            if let r = text.range(of: flag), first == nil || r.lowerBound < first!.1 { first = (field, r.lowerBound) }
            text = text.replacingOccurrences(of: flag, with: field)
        }
        var field = first?.0
        if field == nil {
            if message.contains("domain") { field = "domains" } else if message.contains("profile") { field = "profile" }
            else if message.contains("station") { field = "station" } else if message.contains("direction") { field = "direction" }
        }
        return (field, text)
    }
}
