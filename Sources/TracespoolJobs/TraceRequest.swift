import TracespoolSource
import TracespoolSpool

/// What a job was asked to do, validated. Stored verbatim in the spool's meta and the catalog.
public struct TraceRequest: Codable, Sendable, Equatable {
    public var profile: Profile
    public var domains: [String]
    /// Explicit container ids: trimmed, validated, unique, sorted.
    public var cids: [String]
    /// Repeats dropped from the input.
    public var duplicateCIDs: Int

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    /// Validates raw user input. Unknown domains, no CIDs, malformed CIDs are refused here,
    /// before any connection or file is made.
    public static func make(profile: String, domains: [String]?, cids rawCIDs: [String]) throws -> TraceRequest {
        guard let p = Profile(rawValue: profile) else {
            throw Invalid(message: "unknown profile \"\(profile)\"; valid: \(Profile.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var chosen: [String] = []
        for d in domains ?? p.defaultDomains {
            let name = d.trimmingSpaces()
            guard SpoolDomain.named(name) != nil else {
                throw Invalid(message: "unknown domain \"\(name)\"; valid: \(SpoolDomain.names.joined(separator: ", "))")
            }
            if !chosen.contains(name) { chosen.append(name) }
        }
        if chosen.isEmpty { throw Invalid(message: "no domains given") }
        let nonEmpty = rawCIDs.filter { !$0.trimmingSpaces().isEmpty }
        if nonEmpty.isEmpty { throw Invalid(message: "no container ids given (--cids or --cids-file)") }
        let normalized: (cids: [String], duplicates: Int)
        do {
            normalized = try CIDList.normalize(nonEmpty)
        } catch let e as CIDList.Invalid {
            throw Invalid(message: e.description)
        }
        return TraceRequest(profile: p, domains: chosen, cids: normalized.cids, duplicateCIDs: normalized.duplicates)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
