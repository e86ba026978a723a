import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TracespoolJobs
import TracespoolMSD
import TracespoolPipeline
import TracespoolSource
import TracespoolSpool

/// The reference's MSD routes, `/api/mid-section-defect/*` (`msd.md` §6.3; README "Reference
/// routes"): the analysis of a (window, station, direction) identity is answered from the job that
/// traced it — masks applied at read time — or, while there is none, by submitting one and answering
/// `genealogy_status: "pending"`; detail and export find the job by its `trace_query_id`.
enum ReferenceMSDAPI {
    static func register(_ router: Router<BasicRequestContext>, _ s: APIServices) {
        router.get("/api/mid-section-defect/analysis") { request, _ -> Response in
            let q = try Query(request, s)
            let params = try identity(q)
            var input = TraceRequest.Input()
            try params.seedInput(.midSectionDefect, into: &input)
            let trace = try ReferenceBody.make(input)
            let masks = masks(q)
            let text = try await SpoolWork.run { () throws -> String in
                let r = try s.runner.submit(trace, reusing: .answering)
                let job = try ReferenceJobs.job(s, r.id)
                guard job.state == .succeeded else {
                    if job.state == .failed { throw APIError(job.errorCode ?? "JOB_FAILED", job.errorMessage ?? "the MSD job failed") }
                    return APIEnvelope.serialise(pending(job, trace))
                }
                try s.requireSpoolHere(job)
                let m = try MSDSpool.open(at: s.runner.spoolPath(job.id), readOnly: true)
                let traceId = try traceQueryId(s, job, m, trace)
                guard var o = try JSONSerialization.jsonObject(with: Data(try MSDSummaryStore.summaryText(m, masks: masks).utf8))
                    as? [String: Any] else { throw APIError("SPOOL_CORRUPT", "job \(job.id)'s MSD summary is unreadable") }
                // The compat route's shape: no materials attribution or reason matrix (§6.3).
                for k in ["materials_attribution", "by_front_downstream_reason_matrix"] { o[k] = nil }
                o["trace_query_id"] = traceId
                o["job_id"] = job.id
                return APIEnvelope.serialise(o)
            }
            return APIEnvelope.success(dataJSON: text)
        }

        router.get("/api/mid-section-defect/analysis/detail") { request, _ -> Response in
            let q = try Query(request, s)
            let direction = try q.string("direction")
            let req = MSDDetailRequest(page: try q.int("page", default: 1, range: 1...1_000_000),
                                       pageSize: try q.int("page_size", default: 200, range: 1...500),
                                       sortBy: try q.string("sort_by") ?? "defect_rate", order: try q.string("order") ?? "desc",
                                       masks: masks(q))
            let text = try await SpoolWork.run { () throws -> String in
                let (m, traceId) = try spool(s, q)
                if let direction, direction != m.direction.rawValue {
                    throw ReferenceBody.invalid("direction", "trace_query_id \(traceId) is a \(m.direction.rawValue) analysis, not \(direction)")
                }
                // An unknown sort key falls back to defect_rate, as the reference's did.
                var r = req
                if (try? r.validate(direction: m.direction)) == nil { r.sortBy = "defect_rate" }
                try r.validate(direction: m.direction)
                guard var o = try JSONSerialization.jsonObject(with: Data(try MSDDetail.page(m, r).text.utf8)) as? [String: Any] else {
                    throw APIError("SPOOL_CORRUPT", "the detail page is unreadable")
                }
                o["trace_query_id"] = traceId
                return APIEnvelope.serialise(o)
            }
            return APIEnvelope.success(dataJSON: text)
        }

        router.get("/api/mid-section-defect/export") { request, _ -> Response in
            let q = try Query(request, s)
            let masks = masks(q)
            let (m, traceId) = try await SpoolWork.run { () throws -> (Handoff<MSDSpool>, String) in
                let (m, id) = try spool(s, q)
                return (Handoff(m), id)
            }
            return try ReadsAPI.msdCSV(s, m, masks: masks, disposition: "attachment; filename=defect_trace_\(traceId).csv")
        }

        router.get("/api/mid-section-defect/station-options") { _, _ -> Response in
            APIEnvelope.success(StationGroup.all.map { ["name": $0.key, "label": $0.key, "order": $0.order] as [String: Any] })
        }

        router.get("/api/mid-section-defect/loss-reasons") { _, _ -> Response in
            let reasons = try await SpoolWork.run { try s.lossReasons.current(conninfo: s.runner.conninfo) }
            return APIEnvelope.success(["loss_reasons": reasons])
        }
    }

    /// The analysis identity from a query string: `start_date`, `end_date`, `station`, `direction`.
    static func identity(_ q: Query) throws -> ReferenceBody {
        var o: [String: Any] = [:]
        for k in ["start_date", "end_date", "direction"] { if let v = try q.string(k) { o[k] = v } }
        let stations = q.list("station")
        if !stations.isEmpty { o["station"] = stations }
        return ReferenceBody(object: o)
    }

    /// The read-time masks; the reference's front end sends `pj_types[]=…` and `packages[]=…`.
    static func masks(_ q: Query) -> MSDMasks {
        MSDMasks(lossReasons: MSDMasks.split(q.list("loss_reasons")), pjTypes: MSDMasks.split(q.list("pj_types") + q.list("pj_types[]")),
                 packages: MSDMasks.split(q.list("packages") + q.list("packages[]")))
    }

    static func masks(_ params: ReferenceBody) throws -> MSDMasks {
        MSDMasks(lossReasons: try params.list("loss_reasons") ?? [], pjTypes: try params.list("pj_types") ?? [],
                 packages: try params.list("packages") ?? [])
    }

    /// The reference's answer while the genealogy is built: `pending`, every field of the ready
    /// answer present with nothing in it (zero KPIs, empty charts), so a front end renders its
    /// empty state. `trace_query_id` is null: it hashes the seeds, which the job has not found yet.
    static func pending(_ job: JobRecord, _ trace: TraceRequest) -> [String: Any] {
        let forward = trace.direction == "forward"
        // Counts and quantities 0, rates 0.0, the top reason null.
        let kpi = Dictionary(uniqueKeysWithValues: MSDSummaryKeys.kpi(forward: forward).map { key -> (String, Any) in
            (key, key == "top_loss_reason" ? NSNull() : key.hasSuffix("_rate") ? 0.0 as Any : 0)
        })
        let charts = Dictionary(uniqueKeysWithValues: MSDSummaryKeys.charts(forward: forward).map { ($0, [Any]()) })
        var o: [String: Any] = ["kpi": kpi, "charts": charts,
                                "daily_trend": [Any](), "available_loss_reasons": [Any](),
                                "genealogy_status": "pending", "detail_total_count": 0, "attribution": [Any](),
                                "trace_query_id": NSNull(), "job_id": job.id, "status_url": "/api/trace/job/\(job.id)"]
        if forward {
            o["by_detection_loss_reason"] = [Any]()
            o["loss_reason_workcenter_crosstab"] = ["loss_reasons": [Any](), "workcenter_groups": [Any](), "cells": [Any]()]
            o["downstream_trend"] = [Any]()
            o["amplification"] = NSNull()
        }
        return o
    }

    /// The job's `msd-…` id (`msd.md` §2.6: its sorted seeds and identity), recorded as its alias
    /// the first time it is asked for.
    static func traceQueryId(_ s: APIServices, _ job: JobRecord, _ m: MSDSpool, _ trace: TraceRequest) throws -> String {
        if let known = try s.store.aliases(job: job.id).first(where: { $0.hasPrefix("msd-") }) { return known }
        let seeds = try m.spool.database.prepare("SELECT CID FROM seeds ORDER BY CID")
        let id = try ReferenceIDs.msdTraceQueryId(seeds: { add in while try seeds.step() { add(seeds.text(0) ?? "") } },
                                                  from: trace.msd?.from, to: trace.msd?.to, stations: trace.msd?.stations ?? [],
                                                  direction: trace.direction)
        try s.store.setAlias(id, job: job.id)
        return id
    }

    /// The MSD spool a `trace_query_id` names: 410 `CACHE_EXPIRED` when its job or spool is gone.
    static func spool(_ s: APIServices, _ q: Query) throws -> (MSDSpool, String) {
        guard let traceId = try q.string("trace_query_id"), !traceId.isEmpty else {
            throw ReferenceBody.invalid("trace_query_id", "trace_query_id is required (the analysis answer names it)")
        }
        let expired = APIError("CACHE_EXPIRED", "快取資料已過期，請稍後再試 (no finished job holds \(traceId.prefix(40)))")
        guard traceId.utf8.count <= 64, let id = try s.store.job(alias: traceId), let job = try s.store.get(id: id),
              job.state == .succeeded else { throw expired }
        try s.requireSpoolHere(job)
        guard FileManager.default.fileExists(atPath: s.runner.spoolPath(id)) else { throw expired }
        let m = try MSDSpool.open(at: s.runner.spoolPath(id), readOnly: true)
        guard try MSDSummaryStore.isStored(m) else { throw expired }
        return (m, traceId)
    }
}

/// The loss-reason dropdown (`msd.md` §4): `DISTINCT TRIM(LOSSREASONNAME)` of the last 365 days of
/// rejects, read from the warehouse at most once a day per server (~200 short strings).
final class LossReasonCache: @unchecked Sendable {
    private let lock = NSLock()
    private var cached: (at: Date, reasons: [String])?
    static let ttl: TimeInterval = 86_400

    func current(conninfo: String) throws -> [String] {
        if let c = lock.withLock({ cached }), Date().timeIntervalSince(c.at) < LossReasonCache.ttl { return c.reasons }
        let connection = try PGConnection(conninfo: conninfo)
        defer { connection.close() }
        let result = try connection.query(ReferenceSQL.lossReasons)
        var reasons: [String] = []
        for r in 0..<result.rowCount { if let v = result.string(r, 0) { reasons.append(v) } }
        lock.withLock { cached = (Date(), reasons) }
        return reasons
    }
}

/// Warehouse SQL of the reference routes.
enum ReferenceSQL {
    static let lossReasons = """
        SELECT DISTINCT trim(lossreasonname) AS reason
        FROM dwh.dw_mes_lotrejecthistory
        WHERE txndate >= now() - interval '365 days'
          AND lossreasonname IS NOT NULL AND trim(lossreasonname) <> ''
        ORDER BY 1
        """
}
