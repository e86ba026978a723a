import CSV
import Foundation
import Testing
import TracespoolReaders
import TracespoolSpool

/// Every spooled row comes back exactly once, in grouped order, with its values intact — read back
/// by Foundation's JSON parser and by an independent RFC 4180 parser (CSV.swift).
@Suite("Readers round trips")
struct ReadersRoundTripTests {
    /// 23 CIDs (unsorted on input), three domains, tricky values everywhere, a few CIDs with no rows
    /// in a domain, one CID with many rows.
    static func crafted(_ folder: TempFolder, name: String = "crafted.sqlite", failed: [String: Set<Int>] = [:],
                        finish: Bool = true, meta: [String: String] = [:]) throws -> CraftedSpool {
        let cids = (0..<23).map { String(format: "C%04d", ($0 * 7919) % 10_000) } + ["C9999-长"]
        return try ReadersFixture.make(at: folder.path + "/" + name, domains: ["history", "materials", "holds"], cids: cids,
                                       batchCIDs: 4, failed: failed, finish: finish, meta: meta) { d, cid in
            let h = abs(cid.hashValue) % 1000
            let count: Int
            switch d.name {
            case "history": count = cid == "C0000" ? 1200 : 1 + cid.utf8.reduce(0) { $0 + Int($1) } % 5
            case "materials": count = cid.hasSuffix("1") || cid.hasSuffix("3") ? 0 : 2
            default: count = cid.hasPrefix("C0") ? 1 : 0
            }
            return (0..<count).map { k in
                let t = ReadersFixture.tricky
                let n = ReadersFixture.numbers
                return ReadersFixture.row(d, cid: cid, text: { t[(k * 5 + $0 + h) % t.count] },
                                          number: n[(k + h) % n.count], name: k % 3 == 2 ? nil : "LOT-\(cid)")
            }
        }
    }

    @Test("NDJSON records: the reference protocol line for line, every row once, in grouped order")
    func ndjsonRecords() throws {
        let folder = TempFolder()
        let s = try Self.crafted(folder)
        // A tiny buffer makes every value cross flush boundaries; batch 500 splits history's rows.
        let (text, summary) = try ReadersFixture.export(s.path, capacity: 64) { $0.batchSize = 500 }
        let lines = try ReadersFixture.lines(text)
        let types = lines.map { $0["type"] as? String ?? "?" }
        #expect(types.first == "meta" && types.last == "complete")
        #expect(Array(types.suffix(2)) == ["quality_meta", "complete"])
        #expect(!types.contains("warning") && !types.contains("aggregation"))

        let meta = lines[0]
        #expect(meta["job_id"] as? String == s.jobId)
        #expect(meta["query_id"] as? String == s.jobId && meta["trace_query_id"] as? String == s.jobId)
        #expect(meta["profile"] as? String == "query_tool")
        #expect(meta["domains"] as? [String] == ["history", "materials", "holds"])

        var i = 1
        var total = 0
        for d in s.domains {
            let expected = s.rows[d.name]!
            let start = lines[i]
            #expect(start["type"] as? String == "domain_start" && start["domain"] as? String == d.name)
            #expect(start["total"] as? Int == expected.count)
            let q = try #require(start["quality_meta"] as? [String: Any])
            #expect(q["status"] as? String == "complete" && q["scope"] as? String == "domain")
            #expect(q["observed_rows"] as? Int == expected.count && (q["reasons"] as? [Any])?.isEmpty == true)
            i += 1
            var got: [[String: Any]] = []
            var batch = 0
            while lines[i]["type"] as? String == "records" {
                let r = lines[i]
                #expect(r["domain"] as? String == d.name)
                #expect(r["batch"] as? Int == batch)
                let data = try #require(r["data"] as? [[String: Any]])
                #expect(r["count"] as? Int == data.count)
                #expect(data.count <= 500 && !data.isEmpty)
                got += data
                batch += 1
                i += 1
            }
            #expect(batch == (expected.count + 499) / 500)
            #expect(got.count == expected.count)
            for (k, row) in expected.enumerated() where k < got.count {
                #expect(ReadersFixture.rowMatches(got[k], row, d), "\(d.name) row \(k) differs: \(got[k])")
            }
            #expect(lines[i]["type"] as? String == "domain_end" && lines[i]["domain"] as? String == d.name)
            #expect(lines[i]["count"] as? Int == expected.count)
            total += expected.count
            i += 1
        }
        let quality = lines[i]
        let qm = try #require(quality["quality_meta"] as? [String: Any])
        #expect(qm["status"] as? String == "complete" && qm["scope"] as? String == "query")
        #expect((quality["domain_quality_meta"] as? [String: Any])?.keys.sorted() == ["history", "holds", "materials"])
        #expect(lines[i + 1]["total_records"] as? Int == total)
        #expect(lines[i + 1]["next_cursor"] == nil)
        #expect(summary.rows == total && total > 1200)
        // UTF-8 unescaped, control characters escaped, numbers unquoted.
        #expect(text.contains("中文測試 批次 (未填寫)"))
        #expect(text.contains("\\u0001ctrl\\u001f") && text.contains("line1\\nline2") && text.contains("cr\\r\\nlf"))
        #expect(text.contains(":9007199254740991,") || text.contains(":9007199254740991}"))
        #expect(text.contains(":1e-07,") || text.contains(":1e-07}"))
    }

    @Test("NDJSON CID layout: one line per CID with all its domains, grouped order, every row once")
    func ndjsonCIDLayout() throws {
        let folder = TempFolder()
        let s = try Self.crafted(folder)
        let (text, summary) = try ReadersFixture.export(s.path, capacity: 100) { $0.layout = .cid }
        let lines = try ReadersFixture.lines(text)
        #expect(lines.first?["type"] as? String == "meta" && lines.first?["layout"] as? String == "cid")
        let cidLines = lines.filter { $0["type"] as? String == "cid" }
        // Every CID with a row somewhere, in byte order, once.
        let withRows = s.cids.filter { c in s.domains.contains { !(s.rowsForCID[$0.name]![c] ?? []).isEmpty } }
        #expect(cidLines.map { $0["cid"] as? String ?? "" } == withRows)
        var perDomain: [String: [[String: Any]]] = [:]
        for line in cidLines {
            let cid = line["cid"] as? String ?? ""
            let domains = try #require(line["domains"] as? [String: [[String: Any]]])
            #expect(domains.keys.sorted() == ["history", "holds", "materials"])
            for d in s.domains {
                let rows = domains[d.name] ?? []
                let expected = s.rowsForCID[d.name]![cid] ?? []
                #expect(rows.count == expected.count, "\(cid) \(d.name)")
                #expect(rows.allSatisfy { $0["CONTAINERID"] as? String == cid })
                perDomain[d.name, default: []] += rows
            }
            // name: CONTAINERNAME of the CID's first row that has one.
            let firstName = s.domains.lazy.compactMap { d -> String?? in
                guard let c = d.columns.firstIndex(where: { $0.name == "CONTAINERNAME" }),
                      let first = s.rowsForCID[d.name]![cid]?.first, let v = first[c] else { return nil }
                return .some(v)
            }.first ?? nil
            if let firstName { #expect(line["name"] as? String == firstName) } else { #expect(line["name"] is NSNull) }
        }
        for d in s.domains {
            let got = perDomain[d.name] ?? []
            let expected = s.rows[d.name]!
            #expect(got.count == expected.count)
            for (k, row) in expected.enumerated() where k < got.count {
                #expect(ReadersFixture.rowMatches(got[k], row, d), "\(d.name) row \(k)")
            }
        }
        let complete = try #require(lines.last)
        #expect(complete["type"] as? String == "complete")
        #expect(complete["total_records"] as? Int == s.rows.values.reduce(0) { $0 + $1.count })
        #expect(complete["total_cids"] as? Int == withRows.count && summary.cids == withRows.count)
    }

    @Test("CSV: header, RFC 4180 quoting read back by CSV.swift, BOM, NULL as empty, excel-safe")
    func csvRoundTrip() throws {
        let folder = TempFolder()
        let s = try Self.crafted(folder)
        for d in s.domains {
            for (bom, excelSafe) in [(false, false), (true, false), (false, true)] {
                let (text, summary) = try ReadersFixture.export(s.path, capacity: 64) {
                    $0.format = .csv
                    $0.domains = [d.name]
                    $0.bom = bom
                    $0.excelSafe = excelSafe
                }
                #expect(text.utf8.starts(with: [0xEF, 0xBB, 0xBF]) == bom)
                #expect(text.utf8.dropFirst(bom ? 3 : 0).starts(with: Array("\(d.columns[0].name),".utf8)))
                let reader = try CSVReader(stream: InputStream(data: Data(text.utf8)), hasHeaderRow: true)
                #expect(reader.headerRow == d.columns.map(\.name))
                let expected = s.rows[d.name]!
                var k = 0
                while let fields = reader.next() {
                    guard k < expected.count else { k += 1; continue }
                    #expect(fields.count == d.columns.count)
                    for (c, col) in d.columns.enumerated() where c < fields.count {
                        var input = expected[k][c]
                        if excelSafe, col.type != .numeric || ReadersFixture.numeric(input ?? "") == nil,
                           let v = input, let f = v.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(f) {
                            input = "'" + v
                        }
                        #expect(ReadersFixture.csvMatches(fields[c], input, col.type),
                                "\(d.name) row \(k) \(col.name): got \(fields[c].debugDescription), want \(String(describing: input).debugDescription)")
                    }
                    k += 1
                }
                #expect(reader.error == nil)
                #expect(k == expected.count && summary.rows == expected.count)
            }
        }
    }

    @Test("CSV quoting rules byte for byte: quotes only when needed, CRLF rows, empty string vs NULL")
    func csvBytes() throws {
        let folder = TempFolder()
        let s = try ReadersFixture.make(at: folder.path + "/q.sqlite", domains: ["downstream_rejects"], cids: ["A"]) { d, cid in
            // CONTAINERID, WORKCENTERNAME, WORKCENTER_GROUP, LOSSREASONNAME, EQUIPMENTNAME, REJECT_TOTAL_QTY, TXNDATE
            [[cid, "plain", "a,b", "say \"hi\"", " pad", "7", nil],
             [cid, "", "=1+1", "-2", "two\r\nlines", "abc", "2026-01-01 00:00:00"]]
        }
        let (text, _) = try ReadersFixture.export(s.path) { $0.format = .csv }
        #expect(text == "CONTAINERID,WORKCENTERNAME,WORKCENTER_GROUP,LOSSREASONNAME,EQUIPMENTNAME,REJECT_TOTAL_QTY,TXNDATE\r\n"
            + "A,plain,\"a,b\",\"say \"\"hi\"\"\",\" pad\",7,\r\n"
            + "A,\"\",=1+1,-2,\"two\r\nlines\",abc,2026-01-01 00:00:00\r\n")
        let (safe, _) = try ReadersFixture.export(s.path) { $0.format = .csv; $0.excelSafe = true }
        #expect(safe.hasSuffix("A,\"\",'=1+1,'-2,\"two\r\nlines\",abc,2026-01-01 00:00:00\r\n"))
    }

    @Test("values: numbers as numbers (INTEGER digits, REAL shortest round trip), invalid UTF-8 replaced, long strings whole")
    func valueRendering() throws {
        let folder = TempFolder()
        let long = String(repeating: "測試,\"x\"\n", count: 150_000)  // ~1.9 MB in one cell
        let path = folder.path + "/v.sqlite"
        let s = try ReadersFixture.make(at: path, domains: ["downstream_rejects"], cids: ["A"]) { d, cid in
            [[cid, long, nil, nil, nil, "0.1", nil], [cid, "x", nil, nil, nil, "-0.000123", nil],
             [cid, "y", nil, nil, nil, "123456789012", nil], [cid, "z", nil, nil, nil, "2.5e-300", nil]]
        }
        // Invalid UTF-8 written raw, as a warehouse with a broken encoding could deliver it.
        let spool = try Spool.open(at: path, readOnly: false)
        let d = SpoolDomain.named("downstream_rejects")!
        let block = RowBlock(columnCount: d.columns.count, capacity: 1)
        ReadersFixture.append([Array("A".utf8), [0x61, 0xFF, 0x62, 0xE6, 0xB8], nil, nil, nil, nil, nil], to: block)
        // A later batch: its rows follow batch 0's in grouped order (seq is keyed by batch).
        try spool.database.transaction { try DomainTableWriter(spool: spool, domain: d).write(block, batch: 1) }
        try spool.database.execute("UPDATE domains SET rows = rows + 1")
        let (text, _) = try ReadersFixture.export(path, capacity: 4096)
        let lines = try ReadersFixture.lines(text)
        let data = lines.filter { $0["type"] as? String == "records" }.flatMap { $0["data"] as? [[String: Any]] ?? [] }
        #expect(data.count == 5)
        #expect(data[0]["WORKCENTERNAME"] as? String == long)
        #expect(text.contains("\"REJECT_TOTAL_QTY\":0.1,") && text.contains("\"REJECT_TOTAL_QTY\":-0.000123,"))
        #expect(text.contains("\"REJECT_TOTAL_QTY\":123456789012,") && text.contains("\"REJECT_TOTAL_QTY\":2.5e-300,"))
        #expect(data[4]["WORKCENTERNAME"] as? String == "a\u{FFFD}b\u{FFFD}\u{FFFD}")
        _ = s
    }

    @Test("empty domains: domain_start total 0 and domain_end count 0, no records line; CSV header only")
    func emptyDomains() throws {
        let folder = TempFolder()
        let s = try ReadersFixture.make(at: folder.path + "/e.sqlite", domains: ["history", "jobs"], cids: ["A", "B"]) { d, cid in
            d.name == "jobs" ? [] : [ReadersFixture.row(d, cid: cid, text: { _ in "t" }, number: "1", name: "N")]
        }
        let lines = try ReadersFixture.lines(try ReadersFixture.export(s.path).text)
        let jobs = lines.filter { $0["domain"] as? String == "jobs" }
        #expect(jobs.map { $0["type"] as? String ?? "" } == ["domain_start", "domain_end"])
        #expect(jobs[0]["total"] as? Int == 0 && jobs[1]["count"] as? Int == 0)
        #expect(lines.last?["total_records"] as? Int == 2)
        let (csv, summary) = try ReadersFixture.export(s.path) { $0.format = .csv; $0.domains = ["jobs"] }
        #expect(csv == SpoolDomain.named("jobs")!.columns.map(\.name).joined(separator: ",") + "\r\n")
        #expect(summary.rows == 0)
        // A spool with no rows at all.
        let none = try ReadersFixture.make(at: folder.path + "/none.sqlite", domains: ["holds"], cids: ["A"]) { _, _ in [] }
        let cidLines = try ReadersFixture.lines(try ReadersFixture.export(none.path) { $0.layout = .cid }.text)
        #expect(cidLines.map { $0["type"] as? String ?? "" } == ["meta", "quality_meta", "complete"])
    }

    @Test("partial and failed domains: warning EVENTS_PARTIAL_FAILURE and §5.4 quality_meta with failed_ranges")
    func partialDomains() throws {
        let folder = TempFolder()
        // 24 CIDs in batches of 4: history loses batches 1 and 4; holds loses every batch.
        let s = try Self.crafted(folder, failed: ["history": [1, 4], "holds": Set(0..<6)])
        let lines = try ReadersFixture.lines(try ReadersFixture.export(s.path).text)
        let types = lines.map { $0["type"] as? String ?? "" }
        #expect(Array(types.suffix(3)) == ["warning", "quality_meta", "complete"])
        let warning = lines[types.count - 3]
        #expect(warning["code"] as? String == "EVENTS_PARTIAL_FAILURE")
        #expect(warning["failed_domains"] as? [String] == ["holds"])
        #expect(warning["partial_domains"] as? [String] == ["history"])

        let sortedCIDs = (0..<23).map { String(format: "C%04d", ($0 * 7919) % 10_000) } + ["C9999-长"]
        let all = sortedCIDs.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let q = lines[types.count - 2]
        let query = try #require(q["quality_meta"] as? [String: Any])
        #expect(query["status"] as? String == "partial")
        #expect(query["reasons"] as? [String] == ["chunk_failure", "domain_fetch_failed", "domain_failure"])
        #expect(query["failed_domains"] as? [String] == ["holds"])
        let dq = try #require(q["domain_quality_meta"] as? [String: [String: Any]])
        let history = try #require(dq["history"])
        #expect(history["status"] as? String == "partial")
        #expect(history["reasons"] as? [String] == ["chunk_failure"])
        #expect(history["has_partial_failure"] as? Bool == true && history["failed_chunk_count"] as? Int == 2)
        let ranges = try #require(history["failed_ranges"] as? [[String: String]])
        #expect(ranges == [["start": all[4], "end": all[7]], ["start": all[16], "end": all[19]]])
        #expect(history["observed_rows"] as? Int == s.rows["history"]!.count)
        let holds = try #require(dq["holds"])
        #expect(holds["status"] as? String == "failed" && holds["reasons"] as? [String] == ["domain_fetch_failed"])
        #expect((holds["failed_ranges"] as? [Any])?.count == 6 && holds["observed_rows"] as? Int == 0)
        #expect(dq["materials"]?["status"] as? String == "complete")
        // domain_start carries the same domain quality.
        let start = try #require(lines.first { $0["type"] as? String == "domain_start" && $0["domain"] as? String == "history" })
        #expect((start["quality_meta"] as? [String: Any])?["failed_chunk_count"] as? Int == 2)
        // Rows of the failed ranges are absent, the rest all there.
        let got = lines.filter { $0["type"] as? String == "records" && $0["domain"] as? String == "history" }
            .flatMap { $0["data"] as? [[String: Any]] ?? [] }
        #expect(got.count == s.rows["history"]!.count)
        #expect(!got.contains { ($0["CONTAINERID"] as? String).map { all[4...7].contains($0) || all[16...19].contains($0) } ?? true })
    }

    @Test("aggregation: a stored MSD summary passes through as one line; none without it")
    func aggregation() throws {
        let folder = TempFolder()
        let summary = "{\n  \"kpi\": {\"total_input\": 43200, \"rate\": 0.125},\n  \"label\": \"測試 \\\"x\\\" a  b\"\n}"
        let s = try ReadersFixture.make(at: folder.path + "/a.sqlite", domains: ["upstream_history"], cids: ["A"],
                                        meta: ["msd_summary": summary, "query_id": "msd-0123456789abcdef"]) { d, cid in
            [ReadersFixture.row(d, cid: cid, text: { _ in "t" }, number: "1", name: nil)]
        }
        let lines = try ReadersFixture.lines(try ReadersFixture.export(s.path).text)
        #expect(lines.map { $0["type"] as? String ?? "" }.suffix(3) == ["aggregation", "quality_meta", "complete"])
        let agg = try #require(lines.first { $0["type"] as? String == "aggregation" }?["data"] as? [String: Any])
        #expect((agg["kpi"] as? [String: Any])?["total_input"] as? Int == 43200)
        #expect(agg["label"] as? String == "測試 \"x\" a  b")
        #expect(lines[0]["query_id"] as? String == "msd-0123456789abcdef")
    }
}
