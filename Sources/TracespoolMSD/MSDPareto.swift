/// One factor's totals and the Pareto construction of `msd.md` §3.4 with tracespool's
/// deterministic tie-break (defect qty desc, then name, then id).
struct MSDFactor {
    var name: String
    /// Tie-break after the name (an equipment id, a material lot …).
    var id: String = ""
    var lots: Int
    var input: Double
    var defect: Double

    var rate: Double { MSDRound.pct4(defect, input) }
}

enum MSDPareto {
    static let otherName = "其他"

    static func ranked(_ rows: [MSDFactor]) -> [MSDFactor] {
        rows.sorted {
            if $0.defect != $1.defect { return $0.defect > $1.defect }
            if $0.name != $1.name { return $0.name < $1.name }
            return $0.id < $1.id
        }
    }

    /// Top `n` (backward charts: no 其他 row).
    static func top(_ rows: [MSDFactor], _ n: Int = 10) -> [MSDFactor] { Array(ranked(rows).prefix(n)) }

    /// What a top-`n` backward chart leaves out (`charts_rest`, a tracespool addition beside the
    /// reference's `charts`): the number of rows ranked beyond `n` and their sums, so a reader can
    /// fold the whole rest into one bar. `lot_count` sums the rows' lots (a lot that touched two
    /// left-out machines counts twice, as in the forward charts' 其他 row).
    static func rest(_ rows: [MSDFactor], _ n: Int = 10, input: Bool = true) -> JSON {
        let r = ranked(rows).dropFirst(n)
        var f: [(String, JSON)] = [("rows", .int(r.count)), ("lot_count", .int(r.reduce(0) { $0 + $1.lots })),
                                   ("defect_qty", .number(r.reduce(0) { $0 + $1.defect }))]
        if input { f.append(("input_qty", .number(r.reduce(0) { $0 + $1.input }))) }
        return .object(f)
    }

    /// Top `n` plus one 其他 row summing the rest (forward charts), emitted only when its defect or
    /// input is positive. Its lot count sums the folded rows (lots may count twice there).
    static func topWithOther(_ rows: [MSDFactor], _ n: Int = 10) -> [MSDFactor] {
        let r = ranked(rows)
        guard r.count > n else { return r }
        let rest = r[n...]
        let other = MSDFactor(name: otherName, lots: rest.reduce(0) { $0 + $1.lots },
                              input: rest.reduce(0) { $0 + $1.input }, defect: rest.reduce(0) { $0 + $1.defect })
        return Array(r.prefix(n)) + (other.defect > 0 || other.input > 0 ? [other] : [])
    }

    /// cumulative_pct of each emitted row: running Σ defect / Σ emitted defect × 100, 2 dp; the
    /// last row is 100 whenever the emitted total is positive.
    static func cumulative(_ rows: [MSDFactor]) -> [Double] {
        let total = rows.reduce(0) { $0 + $1.defect }
        var running = 0.0
        return rows.map {
            running += $0.defect
            return MSDRound.pct2(running, total)
        }
    }

    /// Chart items: {name, lot_count, defect_qty, input_qty, defect_rate, cumulative_pct}.
    static func items(_ rows: [MSDFactor], lotCount: Bool = true, input: Bool = true) -> JSON {
        let cum = cumulative(rows)
        return .array(rows.enumerated().map { i, r in
            var f: [(String, JSON)] = [("name", .string(r.name))]
            if lotCount { f.append(("lot_count", .int(r.lots))) }
            f.append(("defect_qty", .number(r.defect)))
            if input {
                f.append(("input_qty", .number(r.input)))
                f.append(("defect_rate", .double(r.rate)))
            }
            f.append(("cumulative_pct", .double(cum[i])))
            return .object(f)
        })
    }
}
