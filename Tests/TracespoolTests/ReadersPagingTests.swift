import Foundation
import Testing
import TracespoolReaders
import TracespoolSpool

/// Keyset pages: following `next_cursor` page by page gives exactly the full export.
@Suite("Readers keyset pages")
struct ReadersPagingTests {
    static func rows(_ text: String, domain: String) throws -> [[String: Any]] {
        try ReadersFixture.lines(text).filter { $0["type"] as? String == "records" && $0["domain"] as? String == domain }
            .flatMap { $0["data"] as? [[String: Any]] ?? [] }
    }

    static func same(_ a: [[String: Any]], _ b: [[String: Any]]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { NSDictionary(dictionary: $0).isEqual(to: $1) }
    }

    @Test("records and CSV pages concatenated equal the full export, for several page sizes", arguments: [1, 2, 7, 100, 1199, 5000])
    func rowPages(pageSize: Int) throws {
        let folder = TempFolder()
        let s = try ReadersRoundTripTests.crafted(folder)
        for d in ["history", "materials"] {
            let full = try Self.rows(try ReadersFixture.export(s.path) { $0.domains = [d] }.text, domain: d)
            var paged: [[String: Any]] = []
            var cursor: String?
            var pages = 0
            repeat {
                let (text, summary) = try ReadersFixture.export(s.path) {
                    $0.domains = [d]
                    $0.limit = pageSize
                    $0.cursor = cursor
                    $0.batchSize = 3
                }
                let rows = try Self.rows(text, domain: d)
                #expect(rows.count <= pageSize && (rows.count > 0 || full.isEmpty))
                let complete = try #require(try ReadersFixture.lines(text).last)
                #expect(complete["next_cursor"] as? String == summary.nextCursor)
                paged += rows
                cursor = summary.nextCursor
                pages += 1
            } while cursor != nil && pages < 5000
            #expect(pages == max(1, (full.count + pageSize - 1) / pageSize))
            #expect(Self.same(paged, full), "\(d) pages of \(pageSize)")

            // CSV pages: the same rows, one header per page.
            let fullCSV = try ReadersFixture.export(s.path) { $0.format = .csv; $0.domains = [d] }.text
            let header = fullCSV.prefix { $0 != "\r\n" }
            var body = ""
            cursor = nil
            repeat {
                let (text, summary) = try ReadersFixture.export(s.path) {
                    $0.format = .csv
                    $0.domains = [d]
                    $0.limit = pageSize
                    $0.cursor = cursor
                }
                #expect(text.hasPrefix(header + "\r\n"))
                body += text.dropFirst(header.count + 1)
                cursor = summary.nextCursor
            } while cursor != nil
            #expect(String(header) + "\r\n" + body == fullCSV)
        }
    }

    @Test("CID pages concatenated equal the full CID layout, for several page sizes", arguments: [1, 3, 10, 24])
    func cidPages(pageSize: Int) throws {
        let folder = TempFolder()
        let s = try ReadersRoundTripTests.crafted(folder)
        let cidLines = { (text: String) in try ReadersFixture.lines(text).filter { $0["type"] as? String == "cid" } }
        let full = try cidLines(try ReadersFixture.export(s.path) { $0.layout = .cid }.text)
        var paged: [[String: Any]] = []
        var cursor: String?
        repeat {
            let (text, summary) = try ReadersFixture.export(s.path) {
                $0.layout = .cid
                $0.limit = pageSize
                $0.cursor = cursor
            }
            let page = try cidLines(text)
            #expect(page.count <= pageSize)
            paged += page
            cursor = summary.nextCursor
        } while cursor != nil
        #expect(Self.same(paged, full))
        #expect(full.count == 24)
    }

    @Test("a cursor is opaque base64url, round-trips, and is bound to job, layout and domain")
    func cursorForm() throws {
        let folder = TempFolder()
        let s = try ReadersRoundTripTests.crafted(folder)
        let (_, summary) = try ReadersFixture.export(s.path) { $0.domains = ["history"]; $0.limit = 10 }
        let text = try #require(summary.nextCursor)
        #expect(text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F })
        let c = try ExportCursor.decode(text)
        #expect(c.kind == .rows && c.jobId == s.jobId && c.domains == ["history"] && c.emitted == 10)
        #expect(c.encoded() == text)

        func code(_ body: () throws -> Void) -> String? {
            do { try body(); return nil } catch let e as ReaderError { return e.code } catch { return "\(error)" }
        }
        // Malformed: garbage, a flipped character, a cut cursor, wrong alphabet, empty.
        var flipped = Array(text.utf8)
        flipped[flipped.count / 2] = flipped[flipped.count / 2] == 0x41 ? 0x42 : 0x41
        for bad in ["not a cursor!", String(decoding: flipped, as: UTF8.self), String(text.dropLast(4)), "", "AAAA",
                    text + "AA", String(repeating: "A", count: 5000)] {
            #expect(code { _ = try ExportCursor.decode(bad) } == "READER_CURSOR_MALFORMED", "\(bad.prefix(40))")
            #expect(code { _ = try ReadersFixture.export(s.path) { $0.cursor = bad } } == "READER_CURSOR_MALFORMED")
        }
        // A newer version with a valid checksum is refused as such.
        #expect(code { _ = try ExportCursor.decode(Self.reversioned(text, 2)) } == "READER_CURSOR_MALFORMED")

        // Foreign: another domain, another layout, another job.
        #expect(code { _ = try ReadersFixture.export(s.path) { $0.domains = ["materials"]; $0.cursor = text } } == "READER_CURSOR_FOREIGN")
        #expect(code { _ = try ReadersFixture.export(s.path) { $0.layout = .cid; $0.cursor = text } } == "READER_CURSOR_FOREIGN")
        let other = try ReadersRoundTripTests.crafted(folder, name: "other.sqlite")
        let otherJob = folder.path + "/other-job.sqlite"
        _ = try ReadersFixture.make(at: otherJob, jobId: "j20260202-000000-000001", domains: ["history"], cids: ["A"]) { d, cid in
            [ReadersFixture.row(d, cid: cid, text: { _ in "t" }, number: "1", name: nil)]
        }
        #expect(code { _ = try ReadersFixture.export(otherJob) { $0.cursor = text } } == "READER_CURSOR_FOREIGN")
        // Same job id, same domain, but positions past this spool's end: made on another spool.
        let far = ExportCursor(kind: .rows, jobId: s.jobId, positions: [.init(domain: "history", after: 5, high: 1 << 60)], emitted: 5)
        #expect(code { _ = try ReadersFixture.export(other.path) { $0.cursor = far.encoded() } } == "READER_CURSOR_FOREIGN")
        // The CSV export takes the rows cursor of the NDJSON records export (same rows).
        #expect(code { _ = try ReadersFixture.export(s.path) { $0.format = .csv; $0.cursor = text } } == nil)
    }

    /// Re-encodes a cursor with another version byte and a correct checksum.
    static func reversioned(_ text: String, _ version: UInt8) -> String {
        var b64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        b64 += String(repeating: "=", count: (4 - b64.count % 4) % 4)
        var bytes = [UInt8](Data(base64Encoded: b64)!)
        bytes[0] = version
        bytes.removeLast(8)
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for x in Array("tracespool-cursor".utf8) + bytes { h ^= UInt64(x); h = h &* 0x0000_0100_0000_01B3 }
        for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(h >> UInt64(s) & 0xFF)) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
