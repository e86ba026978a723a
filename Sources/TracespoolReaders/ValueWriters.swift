import TracespoolSpool

/// JSON values written straight into the output buffer: strings escaped per RFC 8259 with
/// non-ASCII left as UTF-8 (invalid UTF-8 becomes U+FFFD so the line stays valid JSON), numbers as
/// numbers, NULL as `null`. Runs of plain bytes are copied in one go; nothing is allocated per value.
final class JSONWriter {
    let out: OutputBuffer
    /// Byte classes: 0 plain ASCII, 1 must be escaped, 2 UTF-8 lead byte, 3 never valid in UTF-8.
    private let classes: UnsafeMutablePointer<UInt8>

    init(_ out: OutputBuffer) {
        self.out = out
        classes = .allocate(capacity: 256)
        for b in 0..<256 {
            let c: UInt8
            switch b {
            case 0..<0x20, 0x22, 0x5C: c = 1
            case 0x20..<0x80: c = 0
            case 0xC2...0xF4: c = 2
            default: c = 3
            }
            classes[b] = c
        }
    }

    deinit { classes.deallocate() }

    @inline(__always)
    func string(_ text: UnsafeRawBufferPointer) throws {
        guard let base = text.baseAddress else { try out.literal("\"\""); return }
        try string(base.assumingMemoryBound(to: UInt8.self), text.count)
    }

    func string(_ p: UnsafePointer<UInt8>, _ n: Int) throws {
        try out.byte(0x22)
        var run = 0
        var i = 0
        while i < n {
            // Eight plain ASCII bytes at a time (no control byte, quote, backslash or high bit).
            if n - i >= 8 {
                let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                if !JSONWriter.needsLook(w) { i += 8; continue }
            }
            let c = classes[Int(p[i])]
            if c == 0 { i += 1; continue }
            if c == 2 {
                let len = JSONWriter.validSequence(p + i, n - i)
                if len > 0 { i += len; continue }
            }
            if i > run { try out.bytes(p + run, i - run) }
            if c == 1 { try escape(p[i]) } else { try out.literal("\u{FFFD}") }
            i += 1
            run = i
        }
        if n > run { try out.bytes(p + run, n - run) }
        try out.byte(0x22)
    }

    func string(_ s: String) throws {
        var s = s
        try s.withUTF8 { try string($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
    }

    private func escape(_ b: UInt8) throws {
        switch b {
        case 0x22: try out.literal("\\\"")
        case 0x5C: try out.literal("\\\\")
        case 0x0A: try out.literal("\\n")
        case 0x0D: try out.literal("\\r")
        case 0x09: try out.literal("\\t")
        case 0x08: try out.literal("\\b")
        case 0x0C: try out.literal("\\f")
        default:
            let hex: StaticString = "0123456789abcdef"
            try out.reserve(6)
            out.reservedByte(0x5C)
            out.reservedByte(0x75)
            out.reservedByte(0x30)
            out.reservedByte(0x30)
            out.reservedByte(hex.utf8Start[Int(b >> 4)])
            out.reservedByte(hex.utf8Start[Int(b & 0xF)])
        }
    }

    @inline(__always)
    static func hasByte(_ w: UInt64, _ b: UInt8) -> Bool {
        let x = w ^ (0x0101_0101_0101_0101 &* UInt64(b))
        return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 != 0
    }

    /// Whether any of the 8 bytes of `w` is a control byte, `"`, `\` or non-ASCII.
    @inline(__always)
    static func needsLook(_ w: UInt64) -> Bool {
        if w & 0x8080_8080_8080_8080 != 0 { return true }
        if (w &- 0x2020_2020_2020_2020) & ~w & 0x8080_8080_8080_8080 != 0 { return true }
        return hasByte(w, 0x22) || hasByte(w, 0x5C)
    }

    /// Length of the well-formed UTF-8 sequence at `p` (lead byte C2…F4), or 0 when ill-formed
    /// (overlong, surrogate, beyond U+10FFFF, truncated).
    @inline(__always)
    static func validSequence(_ p: UnsafePointer<UInt8>, _ left: Int) -> Int {
        let b0 = p[0]
        if b0 < 0xE0 {
            return left >= 2 && p[1] & 0xC0 == 0x80 ? 2 : 0
        }
        if b0 < 0xF0 {
            guard left >= 3 else { return 0 }
            let lo: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
            let hi: UInt8 = b0 == 0xED ? 0x9F : 0xBF
            return p[1] >= lo && p[1] <= hi && p[2] & 0xC0 == 0x80 ? 3 : 0
        }
        guard left >= 4 else { return 0 }
        let lo: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
        let hi: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
        return p[1] >= lo && p[1] <= hi && p[2] & 0xC0 == 0x80 && p[3] & 0xC0 == 0x80 ? 4 : 0
    }

    /// Column `i` of the current row as a JSON value, by its storage class: INTEGER as digits, REAL
    /// in shortest round-trip form (±∞ as the strings "Infinity"/"-Infinity"), TEXT as a string,
    /// NULL as null.
    @inline(__always)
    func value(_ row: SQLiteStatement, _ i: Int) throws {
        switch row.cell(i) {
        case .null: try out.literal("null")
        case .integer(let v): try out.integer(v)
        case .real(let d):
            if d.isFinite { try out.real(d) } else { try out.literal(d > 0 ? "\"Infinity\"" : "\"-Infinity\"") }
        case .text(let t): try string(t)
        }
    }
}

/// CSV fields per RFC 4180: a field is quoted when it holds a comma, a quote, CR or LF, or begins
/// or ends with a space or tab (so no reader trims it); quotes are doubled. NULL is an empty field,
/// an empty string is `""`. With `excelSafe`, a text cell beginning with = + - @ (or tab / CR, per
/// OWASP) gets a leading `'` so a spreadsheet shows it instead of evaluating it; numbers are left
/// alone.
final class CSVWriter {
    let out: OutputBuffer
    let excelSafe: Bool
    /// 1 for bytes that force quoting (, " CR LF); 2 for the quote itself.
    private let special: UnsafeMutablePointer<UInt8>
    private let formulaLead: UnsafeMutablePointer<Bool>

    init(_ out: OutputBuffer, excelSafe: Bool) {
        self.out = out
        self.excelSafe = excelSafe
        special = .allocate(capacity: 256)
        special.initialize(repeating: 0, count: 256)
        special[0x2C] = 1
        special[0x0D] = 1
        special[0x0A] = 1
        special[0x22] = 2
        formulaLead = .allocate(capacity: 256)
        formulaLead.initialize(repeating: false, count: 256)
        for b: UInt8 in [0x3D, 0x2B, 0x2D, 0x40, 0x09, 0x0D] { formulaLead[Int(b)] = true }
    }

    deinit {
        special.deallocate()
        formulaLead.deallocate()
    }

    func text(_ p: UnsafePointer<UInt8>, _ n: Int) throws {
        if n == 0 { try out.literal("\"\""); return }
        var quote = p[0] == 0x20 || p[0] == 0x09 || p[n - 1] == 0x20 || p[n - 1] == 0x09
        var quotes = false
        var i = 0
        while i < n {
            // Eight bytes at a time while none of them is , " CR or LF.
            if n - i >= 8 {
                let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                if !(JSONWriter.hasByte(w, 0x2C) || JSONWriter.hasByte(w, 0x22) || JSONWriter.hasByte(w, 0x0A)
                     || JSONWriter.hasByte(w, 0x0D)) {
                    i += 8
                    continue
                }
            }
            let s = special[Int(p[i])]
            if s != 0 {
                quote = true
                if s == 2 { quotes = true; break }
            }
            i += 1
        }
        let neutralise = excelSafe && formulaLead[Int(p[0])]
        if !quote {
            if neutralise { try out.byte(0x27) }
            try out.bytes(p, n)
            return
        }
        try out.byte(0x22)
        if neutralise { try out.byte(0x27) }
        if quotes {
            var run = 0
            for i in 0..<n where p[i] == 0x22 {
                try out.bytes(p + run, i + 1 - run)  // through the quote …
                run = i                              // … and the quote again
            }
            try out.bytes(p + run, n - run)
        } else {
            try out.bytes(p, n)
        }
        try out.byte(0x22)
    }

    func text(_ s: String) throws {
        var s = s
        try s.withUTF8 { buffer in
            if let b = buffer.baseAddress { try text(b, buffer.count) } else { try out.literal("\"\"") }
        }
    }

    @inline(__always)
    func value(_ row: SQLiteStatement, _ i: Int) throws {
        switch row.cell(i) {
        case .null: return
        case .integer(let v): try out.integer(v)
        case .real(let d):
            if d.isFinite { try out.real(d) } else { try out.literal(d > 0 ? "Infinity" : "-Infinity") }
        case .text(let t):
            if let b = t.baseAddress {
                try text(b.assumingMemoryBound(to: UInt8.self), t.count)
            } else {
                try out.literal("\"\"")
            }
        }
    }
}
