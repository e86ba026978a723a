import Testing
import TracespoolSource

/// The COPY text decoder scans eight bytes at a time for tabs and backslashes; these rows put tabs,
/// escapes and NULLs at every offset around those eight-byte steps, against a byte-at-a-time
/// reference decoder written here from the COPY text format's rules.
@Suite("COPY text rows: decoding and array literals")
struct CopyTextDecodeTests {
    /// Reference: split on tabs, `\N` is NULL, backslash escapes per the COPY text format.
    static func reference(_ line: [UInt8]) -> [[UInt8]?] {
        var fields: [[UInt8]?] = []
        var cur: [UInt8] = []
        var raw: [UInt8] = []
        var i = 0
        func finish() { fields.append(raw == [0x5C, 0x4E] ? nil : cur); cur = []; raw = [] }
        while i < line.count {
            let c = line[i]
            if c == 0x09 { finish(); i += 1; continue }
            raw.append(c)
            if c == 0x5C, i + 1 < line.count {
                let e = line[i + 1]
                raw.append(e)
                i += 2
                switch e {
                case UInt8(ascii: "n"): cur.append(0x0A)
                case UInt8(ascii: "t"): cur.append(0x09)
                case UInt8(ascii: "\\"): cur.append(0x5C)
                default: cur.append(e)
                }
                continue
            }
            cur.append(c)
            i += 1
        }
        finish()
        return fields
    }

    @Test("fields of every length 0–20 with tabs, escapes and NULLs at every offset decode as byte-at-a-time does")
    func everyOffset() throws {
        for width in 0...20 {
            for at in 0...max(0, width - 1) {
                var a = [UInt8](repeating: UInt8(ascii: "x"), count: width)
                if width > 0 { a[at] = UInt8(ascii: "y") }
                var escaped = a
                if width > 1 { escaped.insert(contentsOf: [0x5C, UInt8(ascii: "t")], at: at) }  // \t inside the field
                var line: [UInt8] = []
                line += a
                line.append(0x09)
                line += escaped
                line.append(0x09)
                line += [0x5C, 0x4E]  // \N
                line.append(0x09)
                line += [UInt8](repeating: UInt8(ascii: "z"), count: at) + [0x5C, 0x5C] + [UInt8](repeating: UInt8(ascii: "z"), count: width)
                let row = CopyTextRow(columnCount: 4)
                try line.withUnsafeBytes { try row.decode($0) }
                let want = Self.reference(line)
                #expect(want.count == 4)
                for k in 0..<4 {
                    let got: [UInt8]? = row.lengths[k] < 0 ? nil
                        : Array(UnsafeRawBufferPointer(start: row.starts[k], count: row.lengths[k]))
                    #expect(got == want[k], "width \(width) at \(at) field \(k)")
                }
            }
        }
    }

    @Test("a row with too few or too many fields is bad data, not a shifted row")
    func fieldCount() {
        let row = CopyTextRow(columnCount: 3)
        for text in ["a\tb", "a\tb\tc\td", "aaaaaaaaaaaaaaaa\tbbbbbbbbbbbbbbbbb"] {
            #expect(throws: SourceError.self) { try Array(text.utf8).withUnsafeBytes { try row.decode($0) } }
        }
    }

    @Test("array literals quote every element and escape quotes and backslashes; non-ASCII passes through")
    func arrayLiteral() {
        #expect(PGArrayLiteral.text([String]()) == "{}")
        #expect(PGArrayLiteral.text(["a\"b", "c\\d", "測試", "", "x,y}"]) == #"{"a\"b","c\\d","測試","","x,y}"}"#)
    }
}
