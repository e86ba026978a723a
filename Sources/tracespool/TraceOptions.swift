import ArgumentParser
import Foundation
import TracespoolJobs
import TracespoolPipeline

/// The flags that say what to trace, shared by `run` and `submit`.
struct TraceOptions: ParsableArguments {
    // Every flag is named explicitly: ArgumentParser's own spelling of a property can differ from
    // the documented one (`seedCIDs` would be `--seed-ci-ds`). Numbers parse unconditionally, so
    // `--cid-limit -1` is refused by validate() with a reason, not as "Missing value".
    @Option(name: .customLong("profile"), help: "query_tool, query_tool_reverse or mid_section_defect.")
    var profile = "query_tool"

    @Option(name: .customLong("cids"), help: "Trace exactly these container ids, comma-separated (repeatable): no seeds, no lineage.")
    var cids: [String] = []

    @Option(name: .customLong("cids-file"), help: "File of container ids for --cids, one per line or comma-separated ('-' reads stdin).")
    var cidsFile: String?

    @Option(name: .customLong("seed-cids"), help: "Seeds given as container ids (then lineage expands them).")
    var seedCIDs: [String] = []

    @Option(name: .customLong("lot-ids"), help: "Seeds: lot ids (CONTAINERNAME).") var lotIds: [String] = []
    @Option(name: .customLong("wafer-lots"), help: "Seeds: wafer lots (FIRSTNAME).") var waferLots: [String] = []
    @Option(name: .customLong("work-orders"), help: "Seeds: GA/GC work orders.") var workOrders: [String] = []
    @Option(name: .customLong("serials"), help: "Seeds: serial numbers (finished name, then lot id, then wafer lot).") var serials: [String] = []
    @Option(name: .customLong("gd-work-orders"), help: "Seeds: GD work orders.") var gdWorkOrders: [String] = []
    @Option(name: .customLong("gd-lot-ids"), help: "Seeds: GD lot ids.") var gdLotIds: [String] = []

    @Option(name: .customLong("station"), help: "MSD detection station group(s), comma-separated (default 測試).")
    var station: String?
    @Option(name: .customLong("from"), help: "MSD date mode: first day, YYYY-MM-DD (inclusive).") var from: String?
    @Option(name: .customLong("to"), help: "MSD date mode: last day, YYYY-MM-DD (inclusive, at most 730 days after --from).") var to: String?
    @Option(name: .customLong("direction"), help: "MSD lineage direction: backward (default) or forward.") var direction: String?

    @Option(name: .customLong("domains"), help: "Event domains, comma-separated (default: the profile's).")
    var domains: String?

    @Option(name: .customLong("cid-limit"), parsing: .unconditional,
            help: "Refuse query_tool traces over this many CIDs (else TRACE_EVENTS_CID_LIMIT, default 50000).")
    var cidLimit: Int?

    @Option(name: .customLong("cid-batch"), parsing: .unconditional, help: "CIDs per warehouse statement (else TRACE_CID_BATCH, default 1000).")
    var cidBatch: Int?

    @Option(name: .customLong("fetch-rows"), parsing: .unconditional, help: "Rows per in-memory block (else DB_SLOW_FETCHMANY_SIZE, default 2500; a block is also full at 512 KiB).")
    var fetchRows: Int?

    @Option(name: .customLong("statement-timeout-ms"), parsing: .unconditional,
            help: "Per-statement timeout in ms (else TRACESPOOL_STATEMENT_TIMEOUT_MS, default 60000).")
    var statementTimeoutMs: Int?

    func validate() throws {
        if let b = cidBatch, !(1...100_000).contains(b) { throw ValidationError("--cid-batch must be in 1...100000") }
        if let f = fetchRows, !(1...1_000_000).contains(f) { throw ValidationError("--fetch-rows must be in 1...1000000") }
        if let t = statementTimeoutMs, t < 0 { throw ValidationError("--statement-timeout-ms must be ≥ 0") }
        if let l = cidLimit, l < 1 { throw ValidationError("--cid-limit must be ≥ 1") }
    }

    /// The validated request and the events settings (environment, then flags). `spoolPath` is
    /// where standard input's CIDs are buffered; `body` runs while that buffer exists.
    func withRequest<R>(spoolPath: String, json: Bool, _ body: (TraceRequest, EventsConfig) throws -> R) throws -> R {
        let env = ProcessInfo.processInfo.environment
        func split(_ list: [String]) -> [String] { list.flatMap { $0.split(separator: ",").map(String.init) } }
        var input = TraceRequest.Input()
        input.profile = profile
        input.domains = domains.map { $0.split(separator: ",").map(String.init) }
        input.cids = split(cids)
        if let file = cidsFile {
            if file == "-" {
                input.cidsFile = try CIDFile.fromStandardInput(into: spoolPath)
            } else {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: file, isDirectory: &isDir) else {
                    throw ValidationError("--cids-file \(file): no such file")
                }
                if isDir.boolValue {
                    throw ValidationError("--cids-file \(file) is a folder: give a file of container ids (one per line or comma-separated)")
                }
                guard FileManager.default.isReadableFile(atPath: file) else {
                    throw ValidationError("cannot read --cids-file \(file): permission denied")
                }
                input.cidsFile = CIDFile(path: file)
            }
        }
        // Standard input was copied beside the spools; the request file holds the CIDs once submitted.
        defer { if cidsFile == "-", let f = input.cidsFile { try? FileManager.default.removeItem(atPath: f.path) } }
        input.seedCIDs = split(seedCIDs)
        input.values = [.lotId: split(lotIds), .waferLot: split(waferLots), .workOrder: split(workOrders),
                        .serialNumber: split(serials), .gdWorkOrder: split(gdWorkOrders), .gdLotId: split(gdLotIds)]
        input.stations = station.map { $0.split(separator: ",").map(String.init) }
        input.from = from
        input.to = to
        input.direction = direction
        let request: TraceRequest
        var config: EventsConfig
        do {
            if let l = cidLimit {
                input.cidLimit = l
            } else if let raw = env["TRACE_EVENTS_CID_LIMIT"] {
                guard let l = Int(raw), l >= 1 else { throw ValidationError("TRACE_EVENTS_CID_LIMIT=\(raw) is not a positive integer") }
                input.cidLimit = l
            }
            request = try TraceRequest.make(input)
            config = try EventsConfig.fromEnvironment(env)
        } catch let e as TraceRequest.Invalid {
            throw ValidationError(e.message)
        } catch let e as ConfigError {
            throw ValidationError(e.message)
        } catch let e as CIDLimitExceeded {
            if json { printJSON(["state": "failed", "error": ["code": "CID_LIMIT_EXCEEDED", "message": e.description,
                                                              "cid_count": e.cidCount, "limit": e.limit] as [String: Any]]) }
            FileHandle.standardError.write(Data("tracespool: CID_LIMIT_EXCEEDED: \(e.description)\n".utf8))
            throw ExitCode(ExitStatus.refused)
        }
        if let b = cidBatch { config.cidBatchSize = b }
        if let f = fetchRows { config.fetchRows = f }
        if let t = statementTimeoutMs { config.statementTimeoutMs = t }

        var tuned = request
        if cidBatch != nil || fetchRows != nil || statementTimeoutMs != nil {
            tuned.tuning = .init(cidBatchSize: cidBatch, fetchRows: fetchRows, statementTimeoutMs: statementTimeoutMs)
        }
        return try body(tuned, config)
    }
}
