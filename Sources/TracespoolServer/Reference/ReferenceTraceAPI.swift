import Foundation
import Hummingbird
import NIOCore
import TracespoolJobs
import TracespoolMSD
import TracespoolPipeline
import TracespoolReaders
import TracespoolSpool

/// The reference dashboard's staged trace routes, `/api/trace/*` (README "Reference routes"):
/// seed-resolve, lineage and events become jobs of our queue — a staged job stops after its
/// stage — and their results are read from the job's spool. An identical request is answered by
/// the job that already has (or is making) the answer.
enum ReferenceTraceAPI {
    /// MSD date windows longer than this go async at seed-resolve (`BATCH_QUERY_TIME_THRESHOLD_DAYS`).
    static let asyncSeedDays = 10

    static func register(_ router: Router<BasicRequestContext>, _ s: APIServices) {
        router.post("/api/trace/seed-resolve") { request, _ -> Response in
            let body = try ReferenceBody(try await ReferenceJobs.body(request, s))
            let profile = try body.profile()
            guard body.object["params"] is [String: Any] else { throw ReferenceBody.invalid("params", "params must be an object") }
            var input = TraceRequest.Input()
            try body.params().seedInput(profile, into: &input)
            input.stopAfter = .seeds
            let trace = try ReferenceBody.make(input)
            let (id, _) = try await SpoolWork.run { try s.runner.submit(trace, reusing: .answering) }
            let days = trace.msd.flatMap { m -> Int? in
                guard let f = m.from.flatMap(DateText.parseDay), let t = m.to.flatMap(DateText.parseDay) else { return nil }
                return Int((t.timeIntervalSince(f) / 86_400).rounded())
            } ?? 0
            let job = days > asyncSeedDays ? nil : try await ReferenceJobs.wait(s, id, seconds: s.settings.referenceWaitSeconds)
            guard let job, job.state != .queued && job.state != .running else {
                return APIEnvelope.success(["stage": "seed-resolve", "async": true, "job_id": id,
                                            "status_url": "/api/trace/seed/job/\(id)"] as [String: Any], status: .accepted)
            }
            return try seedResult(s, job, trace)
        }

        router.get("/api/trace/seed/job/{id}") { _, context -> Response in
            try await status(s, context.parameters.get("id"), events: false)
        }

        router.get("/api/trace/seed/job/{id}/result") { _, context -> Response in
            let id = context.parameters.get("id")
            let job = try await SpoolWork.run { try ReferenceJobs.job(s, id) }
            guard job.state != .queued && job.state != .running else { throw ReferenceJobs.notComplete(job, events: false) }
            return try seedResult(s, job, try request(of: job))
        }

        router.post("/api/trace/lineage") { request, _ -> Response in
            let body = try ReferenceBody(try await ReferenceJobs.body(request, s))
            let profile = try body.profile()
            let params = try body.params()
            guard let cids = try body.list("container_ids"), cids.contains(where: { !$0.trimmed().isEmpty }) else {
                throw ReferenceBody.invalid("container_ids", "container_ids must list at least one seed CID")
            }
            var input = TraceRequest.Input()
            input.profile = profile.rawValue
            input.seedCIDs = cids
            input.stopAfter = .lineage
            // Only MSD chooses a direction; query_tool is forward and query_tool_reverse backward.
            if profile == .midSectionDefect { input.direction = try params.string("direction") }
            let trace = try ReferenceBody.make(input)
            let queryId = ReferenceIDs.lineageQueryId(profile: profile.rawValue, cids: trace.seedCIDs, direction: trace.direction)
            let (id, _) = try await SpoolWork.run { () throws -> (String, Bool) in
                let r = try s.runner.submit(trace, reusing: .answering)
                try s.store.setAlias(queryId, job: r.id)
                return r
            }
            if let job = try await SpoolWork.run({ try s.store.get(id: id) }), job.state == .succeeded {
                return try lineageResult(s, job, trace, queryId: queryId)
            }
            return APIEnvelope.success(["stage": "lineage", "async": true, "job_id": id, "query_id": queryId,
                                        "status_url": "/api/trace/lineage/job/\(id)"] as [String: Any], status: .accepted)
        }

        router.get("/api/trace/lineage/job/{id}") { _, context -> Response in
            try await status(s, context.parameters.get("id"), events: false)
        }

        router.get("/api/trace/lineage/job/{id}/result") { _, context -> Response in
            let id = context.parameters.get("id")
            let (job, queryId) = try await SpoolWork.run { () throws -> (JobRecord, String?) in
                let j = try ReferenceJobs.job(s, id)
                return (j, try s.store.aliases(job: j.id).first { $0.hasPrefix("trace-lineage-") })
            }
            guard job.state == .succeeded else { throw ReferenceJobs.notComplete(job, events: false) }
            // A job submitted through /api/v1 has no alias: its id is derived from its stored seeds.
            let trace = try request(of: job)
            let seeds = queryId == nil ? try RequestFile.load(json: job.requestJSON, path: s.runner.requestPath(job.id)).seedCIDs : []
            return try lineageResult(s, job, trace, queryId: queryId ?? ReferenceIDs.lineageQueryId(
                profile: trace.profile.rawValue, cids: seeds, direction: trace.direction))
        }

        router.post("/api/trace/events") { request, _ -> Response in
            let body = try ReferenceBody(try await ReferenceJobs.body(request, s))
            let profile = try body.profile()
            let params = try body.params()
            let cids = (try body.list("container_ids") ?? []).filter { !$0.trimmed().isEmpty }
            guard !cids.isEmpty else { throw ReferenceBody.invalid("container_ids", "container_ids must list at least one CID") }
            let domains = (try body.list("domains") ?? []).map { $0.trimmed() }.filter { !$0.isEmpty }
            guard !domains.isEmpty else { throw ReferenceBody.invalid("domains", "domains must name at least one domain") }
            var input = TraceRequest.Input()
            input.domains = domains
            var seeds: [String] = []
            if profile == .midSectionDefect {
                // The worker expands MSD seeds through lineage itself: date mode from the params
                // (the same job as seed-resolve's identity), container mode from the seeds.
                seeds = (try body.list("seed_container_ids") ?? cids).filter { !$0.trimmed().isEmpty }
                // Without a `mode`, dates in the params mean date mode.
                let dated = params.object["date_range"] != nil || params.object["start_date"] != nil
                if try params.string("mode") ?? (dated ? "date_range" : "container") == "date_range" {
                    try params.seedInput(profile, into: &input)
                } else {
                    input.profile = profile.rawValue
                    input.seedCIDs = seeds
                    if let st = try params.list("station") { input.stations = st }
                    input.direction = try params.string("direction")
                }
            } else {
                // query_tool*: the client expanded the lineage and sends every CID.
                input.profile = profile.rawValue
                input.cids = cids
            }
            let trace = try ReferenceBody.make(input)
            let queryId = profile == .midSectionDefect
                ? ReferenceIDs.msdTraceQueryId(seeds: { add in for c in Set(seeds.map { $0.trimmed() }).sorted() { add(c) } },
                                               from: trace.msd?.from, to: trace.msd?.to, stations: trace.msd?.stations ?? [],
                                               direction: trace.direction)
                : ReferenceIDs.eventsQueryId(profile: profile.rawValue, cids: trace.cids, domains: trace.domains)
            let job = try await SpoolWork.run { () throws -> JobRecord in
                let r = try s.runner.submit(trace, reusing: .answering)
                try s.store.setAlias(queryId, job: r.id)
                return try ReferenceJobs.job(s, r.id)
            }
            if profile == .midSectionDefect, job.state == .succeeded {
                let masks = try ReferenceMSDAPI.masks(params)
                let summary = try await SpoolWork.run { () throws -> String? in
                    let m = try MSDSpool.open(at: s.runner.spoolPath(job.id), readOnly: true)
                    return try MSDSummaryStore.isStored(m) ? try MSDSummaryStore.summaryText(m, masks: masks) : nil
                }
                if let stored = summary {
                    let summary = AggregationJSON.compact(stored, traceQueryId: queryId).map { String(decoding: $0, as: UTF8.self) } ?? stored
                    return APIEnvelope.success(dataJSON: "{\"stage\":\"events\",\"spool_hit\":true,\"trace_query_id\":"
                        + APIEnvelope.serialise(queryId) + ",\"job_id\":" + APIEnvelope.serialise(job.id)
                        + ",\"aggregation\":" + summary + ",\"results\":{}}")
                }
            }
            return APIEnvelope.success(["stage": "events", "async": true, "job_id": job.id, "query_id": queryId,
                                        "status_url": "/api/trace/job/\(job.id)", "stream_url": "/api/trace/job/\(job.id)/stream"]
                                       as [String: Any], status: .accepted)
        }

        router.get("/api/trace/job/{id}") { _, context -> Response in
            try await status(s, context.parameters.get("id"), events: true)
        }

        router.get("/api/trace/job/{id}/result") { request, context -> Response in
            let q = try Query(request, s)
            let id = context.parameters.get("id")
            let domain = try q.string("domain")
            let offset = try q.int("offset", default: 0, range: 0...Int(Int32.max))
            let limit = try q.int("limit", default: 0, range: 0...Int(Int32.max))
            let (path, ids) = try await SpoolWork.run { () throws -> (String, (String?, String?)) in
                let j = try ReferenceJobs.job(s, id)
                guard j.state == .succeeded else { throw ReferenceJobs.notComplete(j, events: true) }
                let path = s.runner.spoolPath(j.id)
                // Plan first: an unknown domain is a 400 before the 200 starts.
                if let domain { _ = try SpoolReader(spool: try Spool.open(at: path, readOnly: true)).domain(named: domain) }
                return (path, try queryIds(s, j))
            }
            return try ReferenceJobs.streamed(s) { out in
                let reader = try SpoolReader(spool: try Spool.open(at: path, readOnly: true))
                try ReferencePayloads.eventsResult(reader, domain: domain, offset: offset, limit: limit, queryId: ids.0,
                                                   traceQueryId: ids.1, into: out)
            }
        }

        router.get("/api/trace/job/{id}/stream") { _, context -> Response in
            let id = context.parameters.get("id")
            let (jid, ids) = try await SpoolWork.run { () throws -> (String, (String?, String?)) in
                let j = try ReferenceJobs.job(s, id)
                guard j.state == .succeeded else { throw ReferenceJobs.notComplete(j, events: true) }
                return (j.id, try queryIds(s, j))
            }
            var options = ExportOptions()
            options.batchSize = try ExportOptions.batchSize(from: ProcessInfo.processInfo.environment)
            options.queryId = ids.0
            options.traceQueryId = ids.1
            return try await ReadsAPI.stream(s, jid, options, contentType: "application/x-ndjson", attachment: nil)
        }

        router.post("/api/job/{id}/abandon") { request, context -> Response in
            // The body (`{prefix}`) named the reference's Redis namespace; the job id is enough here.
            _ = try await ReferenceJobs.body(request, s)
            let id = context.parameters.get("id")
            let (jid, answer) = try await SpoolWork.run { () throws -> (String, CancelAnswer) in
                let job = try ReferenceJobs.job(s, id)
                return (job.id, try s.store.cancel(id: job.id))
            }
            if answer == .requested { s.runner.stop(jid, .cancelRequested) }
            return APIEnvelope.success(["job_id": jid, "status": "abandoned", "cancel": answer == .cancelled ? "done" : "requested"]
                                       as [String: Any])
        }
    }

    /// A job's status object, the reference's way (`ReferenceJobs.status`).
    static func status(_ s: APIServices, _ id: String?, events: Bool) async throws -> Response {
        let o = try await SpoolWork.run { APIEnvelope.serialise(try ReferenceJobs.status(s, try ReferenceJobs.job(s, id), events: events)) }
        return APIEnvelope.success(dataJSON: o)
    }

    static func request(of job: JobRecord) throws -> TraceRequest {
        do { return try JSONDecoder().decode(TraceRequest.self, from: Data(job.requestJSON.utf8)) } catch {
            throw APIError("SPOOL_CORRUPT", "job \(job.id)'s stored request is unreadable")
        }
    }

    /// The reference ids recorded for a job: (`query_id`, `trace_query_id`).
    static func queryIds(_ s: APIServices, _ j: JobRecord) throws -> (String?, String?) {
        let aliases = try s.store.aliases(job: j.id)
        let msd = aliases.first { $0.hasPrefix("msd-") }
        return (msd ?? aliases.first { $0.hasPrefix("trc-") }, msd)
    }

    /// seed-resolve's answer from a finished seed job: its seeds; a job that found none is 200 with
    /// every value not found (query_tool*) or 404 `NO_DETECTION_RECORDS` (MSD), as the reference.
    static func seedResult(_ s: APIServices, _ job: JobRecord, _ trace: TraceRequest) throws -> Response {
        let msd = trace.profile == .midSectionDefect
        let cacheKey = ReferenceIDs.seedCacheKey(profile: trace.profile.rawValue, requestKey: job.requestKey)
        switch job.state {
        case .succeeded: break
        case .failed where job.errorCode == "NO_SEEDS":
            let values = (try? RequestFile.load(json: job.requestJSON, path: s.runner.requestPath(job.id)).values) ?? []
            return APIEnvelope.success(["stage": "seed-resolve", "seed_count": 0, "cache_key": cacheKey, "seeds": [] as [Any],
                                        "not_found": values] as [String: Any])
        case .failed:
            throw APIError(job.errorCode ?? "SEED_RESOLVE_FAILED", job.errorMessage ?? "seed-resolve failed")
        default:
            throw ReferenceJobs.notComplete(job, events: false)
        }
        let path = s.runner.spoolPath(job.id)
        let objects = !msd || trace.msd?.mode == "container"
        return try ReferenceJobs.streamed(s) { out in
            let spool = try Spool.open(at: path, readOnly: true)
            let notFound = try spool.meta("result.not_found").map { $0.split(separator: "\n").map(String.init) } ?? []
            try ReferencePayloads.seeds(spool, msd: msd, withObjects: objects, cacheKey: cacheKey, notFound: notFound, into: out)
        }
    }

    /// The lineage payload (§3.3): the compact form for MSD, the whole graph otherwise.
    static func lineageResult(_ s: APIServices, _ job: JobRecord, _ trace: TraceRequest, queryId: String) throws -> Response {
        let path = s.runner.spoolPath(job.id)
        let compact = trace.profile == .midSectionDefect
        return try ReferenceJobs.streamed(s) { out in
            let spool = try Spool.open(at: path, readOnly: true)
            if compact {
                try ReferencePayloads.compactLineage(spool, queryId: queryId, into: out)
            } else {
                try LineageDocument.write(spool, into: out)
            }
        }
    }
}
