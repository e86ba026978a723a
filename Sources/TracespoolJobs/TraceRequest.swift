import Foundation
import TracespoolPipeline
import TracespoolSource
import TracespoolSpool

/// What a job was asked to do, validated. Stored normalised in the catalog and the spool's meta,
/// its lists in the job's request file (`RequestFile`).
public struct TraceRequest: Codable, Sendable, Equatable {
    public var profile: Profile
    public var domains: [String]
    /// Explicit trace CIDs (`--cids`): the events stage runs over exactly these — no seeds, no
    /// lineage (the reference's events-stage contract). Trimmed, validated, unique, sorted.
    public var cids: [String]
    /// More explicit trace CIDs, streamed from a file (`--cids-file`).
    public var cidsFile: CIDFile?
    /// Repeats dropped from the input (inline lists; file repeats are counted when loaded).
    public var duplicateCIDs: Int
    /// Seeds given as CIDs (`--seed-cids`): resolved through lineage like any other seed.
    public var seedCIDs: [String]
    /// Seeds given as values of a resolve type (lot ids, work orders, …), trimmed and deduplicated.
    public var resolveType: ResolveType?
    public var values: [String]
    /// `forward` or `backward` (query_tool: forward; query_tool_reverse: backward; MSD: chosen).
    public var direction: String
    public var msd: MSDParameters?
    /// Per-job overrides of the events settings (`--cid-batch`, `--fetch-rows`,
    /// `--statement-timeout-ms`): stored with the request, so the worker that runs it uses them.
    public var tuning: Tuning?

    public struct Tuning: Codable, Sendable, Equatable {
        public var cidBatchSize: Int?
        public var fetchRows: Int?
        public var statementTimeoutMs: Int?
        public init(cidBatchSize: Int?, fetchRows: Int?, statementTimeoutMs: Int?) {
            self.cidBatchSize = cidBatchSize
            self.fetchRows = fetchRows
            self.statementTimeoutMs = statementTimeoutMs
        }

        public func applied(to base: EventsConfig) -> EventsConfig {
            var c = base
            if let b = cidBatchSize { c.cidBatchSize = b }
            if let f = fetchRows { c.fetchRows = f }
            if let t = statementTimeoutMs { c.statementTimeoutMs = t }
            return c
        }
    }

    /// A job of the reference's staged routes ends after this stage (`seeds`: seed-resolve,
    /// `lineage`: lineage) and fetches no events; nil runs the whole trace.
    public var stopAfter: TraceStage? = nil

    /// Set once the lists are in the job's request file (`RequestFile`): their sizes.
    public var storedLists: StoredLists?
    /// True when the trace is an explicit CID list (no seeds, no lineage).
    public var hasExplicitCIDs: Bool { !cids.isEmpty || cidsFile != nil || (storedLists?.cids ?? 0) > 0 }

    /// Admission limit for query_tool / query_tool_reverse (`TRACE_EVENTS_CID_LIMIT`).
    public var cidLimit: Int

    public struct MSDParameters: Codable, Sendable, Equatable {
        public var stations: [String]
        /// `YYYY-MM-DD`, inclusive; nil in container mode.
        public var from: String?
        public var to: String?
        public var mode: String { from == nil ? "container" : "date_range" }
    }

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    /// Raw user input, as the CLI (or later the API) received it.
    public struct Input: Sendable {
        public var profile = "query_tool"
        public var domains: [String]?
        public var cids: [String] = []
        public var cidsFile: CIDFile?
        public var seedCIDs: [String] = []
        public var values: [ResolveType: [String]] = [:]
        public var stations: [String]?
        public var from: String?
        public var to: String?
        public var direction: String?
        public var cidLimit = 50_000
        public var stopAfter: TraceStage?
        public init() {}
    }

    public static let maxWindowDays = 730

    /// Validates raw input. Everything wrong is refused here, before any connection or file is made.
    public static func make(_ input: Input) throws -> TraceRequest {
        guard let p = Profile(rawValue: input.profile) else {
            throw Invalid(message: "unknown profile \"\(input.profile)\"; valid: \(Profile.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        // Direction
        var direction: String
        switch p {
        case .queryTool: direction = "forward"
        case .queryToolReverse: direction = "backward"
        case .midSectionDefect: direction = "backward"
        }
        if let d = input.direction?.trimmed().lowercased(), !d.isEmpty {
            guard p == .midSectionDefect else {
                throw Invalid(message: "--direction applies to mid_section_defect only (\(p.rawValue) always traces \(direction))")
            }
            guard d == "backward" || d == "forward" else {
                throw Invalid(message: "unknown direction \"\(d)\"; valid: backward, forward")
            }
            direction = d
        }

        // Flags that do nothing for this profile or this kind of trace are refused, never ignored.
        if p != .midSectionDefect && (input.from != nil || input.to != nil) {
            throw Invalid(message: "--from/--to apply to mid_section_defect only (its date mode); \(p.rawValue) traces from "
                + "\(allowed(p).map(flag).joined(separator: ", ")), --seed-cids or --cids")
        }
        let explicit = input.cids.contains { !$0.trimmed().isEmpty } || input.cidsFile != nil
        if explicit, let d = input.direction, !d.trimmed().isEmpty {
            throw Invalid(message: "--direction does not apply to --cids/--cids-file: an explicit CID list has no lineage to walk")
        }
        if explicit && input.stations != nil {
            throw Invalid(message: "--station does not apply to --cids/--cids-file: an explicit CID list has no detection step")
        }

        // Seed sources: exactly one.
        let givenTypes = ResolveType.allCases.filter { !(input.values[$0] ?? []).filter { !$0.trimmed().isEmpty }.isEmpty }
        let fileCount = try input.cidsFile?.count() ?? 0
        let hasCIDs = input.cids.contains { !$0.trimmed().isEmpty } || fileCount > 0
        let hasSeedCIDs = input.seedCIDs.contains { !$0.trimmed().isEmpty }
        let isDateMode = p == .midSectionDefect && (input.from != nil || input.to != nil)
        let sources = givenTypes.count + (hasCIDs ? 1 : 0) + (hasSeedCIDs ? 1 : 0) + (isDateMode ? 1 : 0)
        if sources == 0, let file = input.cidsFile {
            throw Invalid(message: "--cids-file \(file.path) holds no container ids")
        }
        if sources == 0 {
            throw Invalid(message: p == .midSectionDefect
                ? "no seeds given: use --from/--to (date mode) or --lot-ids, --work-orders, --wafer-lots, --gd-lot-ids, --gd-work-orders, --serials, --seed-cids, --cids (container mode)"
                : "no container ids given (--cids or --cids-file) and no seeds (\(allowed(p).map(flag).joined(separator: ", ")), --seed-cids)")
        }
        if sources > 1 {
            throw Invalid(message: "give one kind of seed at a time (got \(sources))")
        }
        if let t = givenTypes.first, !allowed(p).contains(t) {
            throw Invalid(message: "\(flag(t)) is not a seed type of \(p.rawValue); valid: \(allowed(p).map(flag).joined(separator: ", ")), --seed-cids, --cids"
                + (t == .serialNumber || t == .gdWorkOrder || t == .gdLotId ? " (use --profile query_tool_reverse)" : ""))
        }

        // Values
        // Deduplicated through a set: a list search per value made 50 000 lot ids take minutes
        // (quadratic; found by scripts/reliability, a 200 000-id submit).
        var values: [String] = []
        var seen = Set<String>()
        if let t = givenTypes.first {
            for raw in input.values[t] ?? [] {
                let v = raw.trimmed()
                if v.isEmpty || seen.contains(v) { continue }
                try checkValue(v, type: t, profile: p)
                values.append(v)
                seen.insert(v)
            }
        }

        // CIDs
        func normalized(_ raw: [String]) throws -> (cids: [String], duplicates: Int) {
            let nonEmpty = raw.filter { !$0.trimmed().isEmpty }
            if nonEmpty.isEmpty { return ([], 0) }
            do { return try CIDList.normalize(nonEmpty) } catch let e as CIDList.Invalid { throw Invalid(message: e.description) }
        }
        let cids = try normalized(input.cids)
        let seedCIDs = try normalized(input.seedCIDs)

        // MSD parameters
        var msd: MSDParameters?
        if p == .midSectionDefect {
            let stations = try checkStations(input.stations ?? ["測試"])
            if isDateMode {
                guard let fromText = input.from, let toText = input.to else {
                    throw Invalid(message: "date mode needs both --from and --to (YYYY-MM-DD)")
                }
                guard let from = DateText.parseDay(fromText.trimmed()) else {
                    throw Invalid(message: "--from \"\(fromText)\" is not a date (YYYY-MM-DD)")
                }
                guard let to = DateText.parseDay(toText.trimmed()) else {
                    throw Invalid(message: "--to \"\(toText)\" is not a date (YYYY-MM-DD)")
                }
                if from > to { throw Invalid(message: "--from \(fromText) is after --to \(toText)") }
                let days = Int((to.timeIntervalSince(from) / 86_400).rounded())
                if days > maxWindowDays {
                    throw Invalid(message: "the window spans \(days) days; at most \(maxWindowDays) are allowed")
                }
                msd = MSDParameters(stations: stations, from: DateText.day(from), to: DateText.day(to))
            } else {
                msd = MSDParameters(stations: stations, from: nil, to: nil)
            }
        } else if input.stations != nil {
            throw Invalid(message: "--station applies to mid_section_defect only")
        }

        // Domains
        let defaults: [String]
        switch (p, direction) {
        case (.midSectionDefect, "forward"): defaults = ["upstream_history", "downstream_rejects"]
        default: defaults = p.defaultDomains
        }
        var chosen: [String] = []
        for d in input.domains ?? defaults {
            let name = d.trimmed()
            guard SpoolDomain.named(name) != nil else {
                throw Invalid(message: "unknown domain \"\(name)\"; valid: \(SpoolDomain.names.joined(separator: ", "))")
            }
            if !chosen.contains(name) { chosen.append(name) }
        }
        if chosen.isEmpty && input.stopAfter == nil { throw Invalid(message: "no domains given") }
        if input.stopAfter != nil && explicit {
            throw Invalid(message: "an explicit CID list has no seeds or lineage to stop after")
        }

        // Admission at submission: a request that itself lists too many CIDs.
        if p != .midSectionDefect && cids.cids.count > input.cidLimit {
            throw CIDLimitExceeded(cidCount: cids.cids.count, limit: input.cidLimit)
        }

        return TraceRequest(
            profile: p, domains: chosen, cids: cids.cids, cidsFile: fileCount > 0 ? input.cidsFile : nil,
            duplicateCIDs: cids.duplicates + seedCIDs.duplicates,
            seedCIDs: seedCIDs.cids, resolveType: givenTypes.first, values: values, direction: direction, msd: msd,
            stopAfter: input.stopAfter, cidLimit: input.cidLimit)
    }

    /// The resolve types a profile accepts (`trace-pipeline.md` §1.1).
    public static func allowed(_ p: Profile) -> [ResolveType] {
        switch p {
        case .queryTool: return [.lotId, .waferLot, .workOrder]
        case .queryToolReverse: return [.serialNumber, .gdWorkOrder, .gdLotId]
        case .midSectionDefect: return [.lotId, .workOrder, .waferLot, .gdLotId, .gdWorkOrder, .serialNumber]
        }
    }

    public static func flag(_ t: ResolveType) -> String {
        switch t {
        case .lotId: return "--lot-ids"
        case .waferLot: return "--wafer-lots"
        case .workOrder: return "--work-orders"
        case .serialNumber: return "--serials"
        case .gdWorkOrder: return "--gd-work-orders"
        case .gdLotId: return "--gd-lot-ids"
        }
    }

    static func checkValue(_ v: String, type: ResolveType, profile: Profile) throws {
        if let star = v.firstIndex(of: "*") {
            let prefix = v[..<star]
            if prefix.count < 2 {
                throw Invalid(message: "wildcard \"\(v)\" needs at least two characters before '*'")
            }
        }
        let upper = v.uppercased()
        switch type {
        case .workOrder:
            if upper.hasPrefix("GD") {
                throw Invalid(message: "\"\(v)\" is a GD (rework) work order: trace it with --profile query_tool_reverse --gd-work-orders")
            }
            if profile == .queryTool && !(upper.hasPrefix("GA") || upper.hasPrefix("GC")) {
                throw Invalid(message: "work order \"\(v)\" must start with GA or GC")
            }
        case .gdWorkOrder, .gdLotId:
            if !upper.hasPrefix("GD") {
                throw Invalid(message: "\(flag(type)) value \"\(v)\" must start with GD")
            }
        default: break
        }
    }

    static func checkStations(_ raw: [String]) throws -> [String] {
        var out: [String] = []
        for s in raw.map({ $0.trimmed() }) where !s.isEmpty {
            guard StationGroup.named(s) != nil else {
                throw Invalid(message: "unknown station \"\(s)\"; valid: \(StationGroup.all.map(\.key).joined(separator: ", "))")
            }
            if !out.contains(s) { out.append(s) }
        }
        if out.isEmpty { throw Invalid(message: "no station given") }
        return out.sorted { StationGroup.named($0)!.order < StationGroup.named($1)!.order }
    }
}

/// The stage a staged job ends after (`TraceRequest.stopAfter`).
public enum TraceStage: String, Codable, Sendable {
    case seeds
    case lineage
}

/// Admission control refused the trace: more CIDs than the limit.
public struct CIDLimitExceeded: Error, CustomStringConvertible, Sendable {
    public let cidCount: Int
    public let limit: Int
    public var description: String { "container_ids count (\(cidCount)) exceeds limit (\(limit))" }
}
