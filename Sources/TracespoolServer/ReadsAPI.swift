import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TracespoolJobs
import TracespoolMSD
import TracespoolReaders
import TracespoolReports
import TracespoolSpool

/// The read routes of a job (README "HTTP API"): keyset pages of rows, the NDJSON stream, CSV, the
/// lineage document and the MSD summary, detail and CSV. Each opens the job's spool read-only on
/// a pool thread; readers never write.
enum ReadsAPI {
    static func register(_ router: Router<BasicRequestContext>, _ s: APIServices) {
        router.get("/api/v1/jobs/{id}/rows") { request, context -> Response in
            let q = try Query(request, s)
            let id = context.parameters.get("id")
            let limit = try q.int("limit", default: 1000, range: 1...10_000)
            let cursor = try q.string("cursor")
            let wanted = try q.string("domain")
            let page = try await SpoolWork.run { () throws -> [ByteBuffer] in
                let (job, path) = try s.readable(id, allowRunning: true)
                // A finished job's reader is kept for its next page; a running job's is not (its
                // snapshots would go stale).
                let (reader, identity) = job.state == .succeeded
                    ? try s.readers.checkOut(path: path)
                    : (try SpoolReader(spool: try Spool.open(at: path, readOnly: true)), nil)
                let names = reader.domains.map(\.name)
                guard let domain = wanted ?? (names.count == 1 ? names[0] : nil) else {
                    throw JobSubmission.invalid("domain", "this job has \(names.count) domains (\(names.joined(separator: ", "))): name one with domain=")
                }
                guard names.contains(domain) else {
                    throw JobSubmission.invalid("domain", "this job has no domain \"\(domain.prefix(40))\"; its domains: \(names.joined(separator: ", "))")
                }
                // The envelope around the page, written into the response's own buffer.
                let sink = ByteBufferSink()
                sink.text("{\"success\":true,\"data\":{\"domain\":\(APIEnvelope.serialise(domain)),\"rows\":")
                let out = OutputBuffer(sink: sink)
                let next = try RowsPage.render(reader, domain: domain, limit: limit, cursor: cursor, into: out)
                try out.flush()
                let nextURL = next.map { "/api/v1/jobs/\(job.id)/rows?domain=\(domain)&limit=\(limit)&cursor=\($0)" }
                sink.text(",\"next_cursor\":\(APIEnvelope.serialise(next as Any? ?? NSNull())),"
                    + "\"next_url\":\(APIEnvelope.serialise(nextURL as Any? ?? NSNull()))},\"meta\":\(APIEnvelope.meta())}")
                s.readers.checkIn(reader, identity: identity)
                return sink.buffers
            }
            return APIEnvelope.json(page, status: .ok)
        }

        router.get("/api/v1/jobs/{id}/stream") { request, context -> Response in
            let q = try Query(request, s)
            var options = ExportOptions()
            guard let layout = ExportLayout(rawValue: try q.string("layout") ?? "records") else {
                throw JobSubmission.invalid("layout", "layout must be records or cid")
            }
            options.layout = layout
            options.domains = q.list("domain")
            options.batchSize = try ExportOptions.batchSize(from: ProcessInfo.processInfo.environment)
            return try await stream(s, context.parameters.get("id"), options, contentType: "application/x-ndjson", attachment: nil)
        }

        router.get("/api/v1/jobs/{id}/export.csv") { request, context -> Response in
            let q = try Query(request, s)
            var options = ExportOptions()
            options.format = .csv
            options.domains = q.list("domain")
            options.bom = try q.bool("bom", default: false)
            options.excelSafe = try q.bool("excel_safe", default: false)
            return try await stream(s, context.parameters.get("id"), options, contentType: "text/csv; charset=utf-8", attachment: "csv")
        }

        router.get("/api/v1/jobs/{id}/lineage") { request, context -> Response in
            _ = try Query(request, s)
            let id = context.parameters.get("id")
            let json = try await SpoolWork.run { () throws -> String in
                let (_, path) = try s.readable(id)
                let sink = MemorySink()
                let out = OutputBuffer(sink: sink)
                try LineageDocument.write(try Spool.open(at: path, readOnly: true), into: out)
                try out.flush()
                return String(decoding: sink.data, as: UTF8.self)
            }
            return APIEnvelope.success(dataJSON: json)
        }

        router.get("/api/v1/jobs/{id}/msd/summary") { request, context -> Response in
            let q = try Query(request, s)
            let masks = masks(q)
            let id = context.parameters.get("id")
            let text = try await SpoolWork.run { try MSDSummaryStore.summaryText(try msdSpool(s, id), masks: masks) }
            return APIEnvelope.success(dataJSON: text)
        }

        router.get("/api/v1/jobs/{id}/msd/detail") { request, context -> Response in
            let q = try Query(request, s)
            let req = MSDDetailRequest(page: try q.int("page", default: 1, range: 1...1_000_000),
                                       pageSize: try q.int("page_size", default: 200, range: 1...500),
                                       sortBy: try q.string("sort_by") ?? "defect_rate", order: try q.string("order") ?? "desc",
                                       masks: masks(q))
            let id = context.parameters.get("id")
            let text = try await SpoolWork.run { () throws -> String in
                let m = try msdSpool(s, id)
                try req.validate(direction: m.direction)
                return try MSDDetail.page(m, req).text
            }
            return APIEnvelope.success(dataJSON: text)
        }

        router.get("/api/v1/jobs/{id}/report.html") { request, context -> Response in
            let q = try Query(request, s)
            let masks = masks(q)
            let top = try q.int("top", default: 10, range: 1...100)
            let id = context.parameters.get("id")
            let html = try await SpoolWork.run { () throws -> String in
                try MSDReportSource.html(try msdSpool(s, id), masks: masks, top: top, command: "GET \(request.uri.path)")
            }
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
        }

        router.get("/api/v1/jobs/{id}/msd/export.csv") { request, context -> Response in
            let q = try Query(request, s)
            let masks = masks(q)
            let id = context.parameters.get("id")
            let (m, jid) = try await SpoolWork.run { () throws -> (Handoff<MSDSpool>, String) in
                let m = try msdSpool(s, id)
                return (Handoff(m), try m.spool.meta("job_id") ?? "msd")
            }
            return try msdCSV(s, m, masks: masks, disposition: "attachment; filename=\"\(jid).msd-detail.csv\"")
        }
    }

    /// The MSD detail as CSV (`MSDExport`), streamed with backpressure and counted against the
    /// stream cap; `m` was opened on a pool thread and is rendered on the stream's own.
    static func msdCSV(_ s: APIServices, _ m: Handoff<MSDSpool>, masks: MSDMasks, disposition: String) throws -> Response {
        try s.streams.enter()
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = disposition
        headers[.cacheControl] = "no-cache"
        let body = StreamingBody.make(onEnd: { s.streams.leave() }, failureTail: { _ in nil }) { out, _ in
            _ = try MSDExport.csv(m.value, masks: masks) { data in
                try data.withUnsafeBytes { try out.bytes($0) }
            }
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    static func masks(_ q: Query) -> MSDMasks {
        MSDMasks(lossReasons: MSDMasks.split(q.list("loss_reasons")), pjTypes: MSDMasks.split(q.list("pj_types")),
                 packages: MSDMasks.split(q.list("packages")))
    }

    /// The MSD tables of a finished MSD job, read-only: a spool whose summary was never stored (or
    /// is outdated) is 409 `MSD_NOT_PREPARED` — building it is the job's work, not a reader's.
    static func msdSpool(_ s: APIServices, _ id: String?) throws -> MSDSpool {
        let (_, path) = try s.readable(id)
        let m = try MSDSpool.open(at: path, readOnly: true)
        guard try MSDSummaryStore.isStored(m) else {
            throw APIError("MSD_NOT_PREPARED", "this spool has no current MSD tables: run `tracespool msd prepare` on it")
        }
        return m
    }

    /// An export streamed with backpressure (NDJSON or CSV), counted against the stream cap. The
    /// NDJSON records stream of a running job follows it domain by domain (`FollowingRecordsExport`);
    /// every other read needs a finished job.
    static func stream(_ s: APIServices, _ id: String?, _ options: ExportOptions, contentType: String, attachment: String?) async throws -> Response {
        let follow = options.format == .ndjson && options.layout == .records
        // Plan first, so a bad domain or cursor is a 400 before the 200 starts.
        let (jid, path, running, firstDomain) = try await SpoolWork.run { () throws -> (String, String, Bool, String?) in
            let (job, path) = try s.readable(id, allowRunning: follow)
            let reader = try openFollowing(job, path)
            if options.format == .csv {
                let names = options.domains.isEmpty ? reader.domains.map(\.name) : options.domains
                if names.count != 1 {
                    throw JobSubmission.invalid("domain", "CSV holds one domain: name one with domain= (this job has "
                        + reader.domains.map(\.name).joined(separator: ", ") + ")")
                }
            }
            _ = try ExportPlan.make(reader: reader, options: options)
            return (job.id, path, job.state == .running, options.domains.first ?? reader.domains.first?.name)
        }
        try s.streams.enter()
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        if attachment != nil {
            headers[.contentDisposition] = "attachment; filename=\"\(jid).\(firstDomain ?? "rows").csv\""
        }
        let ndjson = options.format == .ndjson
        let body = StreamingBody.make(onEnd: { s.streams.leave() }, failureTail: { e in
            ndjson ? "{\"type\":\"error\",\"error\":{\"code\":\(APIEnvelope.serialise(e.code)),\"message\":\(APIEnvelope.serialise(e.message))}}\n" : nil
        }, lineAligned: ndjson && options.layout == .cid) { out, clientGone in
            let open = { try SpoolReader(spool: try Spool.open(at: path, readOnly: true)) }
            if running {
                // The follower lives only inside this call, on this thread.
                try withoutActuallyEscaping(clientGone) { clientGone in
                    let follower = try JobFollower(s, jid, path, clientGone: clientGone)
                    try FollowingRecordsExport.render(open: open, options: options, into: out,
                        progress: { name in try follower.progress(domain: name) },
                        pause: { try follower.pause() },
                        waitForJob: { try follower.waitForEnd() })
                }
            } else {
                _ = try Renderers.export(try open(), options, into: out)
            }
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}

/// The spool of a job to read: a running job's file may still be being laid out by its worker
/// (schema before tables), so its opening is retried for a bounded moment.
func openFollowing(_ job: JobRecord, _ path: String) throws -> SpoolReader {
    var tries = 0
    while true {
        do { return try SpoolReader(spool: try Spool.open(at: path, readOnly: true)) } catch where job.state == .running && tries < 100 {
            tries += 1
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}

/// Follows a running job for one stream, on the stream's own thread (its SQLite connection is
/// used by that thread alone): where the job stands in a domain (the spool's `domains` status,
/// else the committed prefix of the ledger's batches) and whether the job still runs, looked at
/// every 200 ms. A job that ends without succeeding ends the stream with its error; a client that
/// went away ends it quietly.
final class JobFollower {
    static let interval = 0.2
    private let s: APIServices
    private let id: String
    private let clientGone: () -> Bool
    private let spool: Spool
    private let status: SQLiteStatement
    private let committed: SQLiteStatement

    init(_ s: APIServices, _ id: String, _ path: String, clientGone: @escaping () -> Bool) throws {
        self.s = s
        self.id = id
        self.clientGone = clientGone
        spool = try Spool.open(at: path, readOnly: true)
        status = try spool.database.prepare(ReaderQueries.domainStatus)
        committed = try spool.database.prepare(ReaderQueries.committedBatches)
    }

    /// `finished` once the events stage recorded the domain's status (or the job succeeded);
    /// else how far its rows are final. Throws when the job ended otherwise or the client left.
    func progress(domain: String) throws -> DomainProgress {
        if try checkJob() { return .finished }
        status.bind(1, domain)
        defer { status.reset() }
        if try status.step(), let st = status.text(0), st != "pending" { return .finished }
        committed.bind(1, domain)
        defer { committed.reset() }
        guard try committed.step(), (committed.int(0) ?? 0) > 0 else { return .writing(committedThrough: 0) }
        // No pending batch left: every row is final, the status is about to be recorded.
        guard let firstPending = committed.int(1) else { return .writing(committedThrough: Int64.max) }
        return .writing(committedThrough: Int64(firstPending) << 32)
    }

    func pause() throws {
        if clientGone() { throw ReaderError(.brokenPipe, "the client went away") }
        Thread.sleep(forTimeInterval: Self.interval)
    }

    /// Blocks until the job has ended (returns when it succeeded).
    func waitForEnd() throws {
        while try !checkJob() { try pause() }
    }

    /// True when the job succeeded, false while it runs; throws when it ended otherwise.
    private func checkJob() throws -> Bool {
        if clientGone() { throw ReaderError(.brokenPipe, "the client went away") }
        guard let job = try s.store.get(id: id) else { throw APIError("JOB_NOT_FOUND", "job \(id) was removed") }
        if job.state == .running && !job.leaseExpired() { return false }
        if job.state == .succeeded { return true }
        throw APIError("JOB_NOT_COMPLETE", "job \(id) ended \(job.state.rawValue)"
            + (job.errorCode.map { " (\($0): \(job.errorMessage ?? ""))" } ?? "") + (job.leaseExpired() ? ": its worker is gone" : ""),
            extra: ["state": .string(job.state.rawValue)])
    }
}

/// A spool connection handed from the pool thread that opened (and planned with) it to the one
/// thread that renders from it: one thread at a time uses it, the first being done before the
/// second starts — which is what a `NOMUTEX` SQLite handle needs.
final class Handoff<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
