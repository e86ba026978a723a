/// Splits one row of `COPY … TO STDOUT` text format into fields, in place, without allocating:
/// fields are tab-separated, `\N` is NULL, and backslash escapes (`\\`, `\t`, `\n`, `\r`, `\b`, `\f`,
/// `\v`, octal `\ooo`, hex `\xhh`) are decoded into a scratch buffer that lives as long as the
/// decoder. A field's bytes are valid until the next `decode`.
public final class CopyTextRow {
    /// Start and length of each field; length -1 means NULL.
    public private(set) var starts: UnsafeMutablePointer<UnsafeRawPointer?>
    public private(set) var lengths: UnsafeMutablePointer<Int>
    public let columnCount: Int
    private var scratch: UnsafeMutableRawPointer
    private var scratchCapacity: Int

    public init(columnCount: Int) {
        self.columnCount = columnCount
        starts = .allocate(capacity: columnCount)
        lengths = .allocate(capacity: columnCount)
        scratchCapacity = 64 * 1024
        scratch = .allocate(byteCount: scratchCapacity, alignment: 1)
    }

    deinit {
        starts.deallocate()
        lengths.deallocate()
        scratch.deallocate()
    }

    /// Decodes `line`; throws if it does not have exactly `columnCount` fields.
    public func decode(_ line: UnsafeRawBufferPointer) throws {
        guard let base = line.baseAddress else {
            throw SourceError(.badData, "empty COPY row")
        }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        let n = line.count
        // Escaped fields decode into scratch; it must hold the whole row in the worst case.
        if n > scratchCapacity {
            scratch.deallocate()
            scratchCapacity = n * 2
            scratch = .allocate(byteCount: scratchCapacity, alignment: 1)
        }
        var field = 0
        var i = 0
        var out = 0
        while true {
            let start = i
            var hasEscape = false
            while i < n {
                // Eight bytes at a time while none is a tab or a backslash (most fields).
                if n - i >= 8 {
                    let w = UnsafeRawPointer(bytes + i).loadUnaligned(as: UInt64.self)
                    if !CopyTextRow.hasByte(w, 0x09) && !CopyTextRow.hasByte(w, 0x5C) { i += 8; continue }
                }
                let b = bytes[i]
                if b == 0x09 { break }
                if b == 0x5C { hasEscape = true; i += 1 }
                i += 1
            }
            if i > n { i = n }
            guard field < columnCount else { throw SourceError(.badData, "COPY row has more than \(columnCount) fields") }
            let len = i - start
            if len == 2 && bytes[start] == 0x5C && bytes[start + 1] == 0x4E {  // \N
                starts[field] = nil
                lengths[field] = -1
            } else if !hasEscape {
                starts[field] = UnsafeRawPointer(bytes + start)
                lengths[field] = len
            } else {
                let dst = scratch.assumingMemoryBound(to: UInt8.self) + out
                let written = CopyTextRow.unescape(bytes + start, len, into: dst)
                starts[field] = UnsafeRawPointer(dst)
                lengths[field] = written
                out += written
            }
            field += 1
            if i >= n { break }
            i += 1  // skip the tab
        }
        guard field == columnCount else {
            throw SourceError(.badData, "COPY row has \(field) fields, expected \(columnCount)")
        }
    }

    /// Whether any of the eight bytes of `w` equals `b` (the zero-byte test on `w ^ b…b`, exact).
    @inline(__always)
    static func hasByte(_ w: UInt64, _ b: UInt8) -> Bool {
        let x = w ^ (0x0101_0101_0101_0101 &* UInt64(b))
        return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 != 0
    }

    private static func unescape(_ src: UnsafePointer<UInt8>, _ len: Int, into dst: UnsafeMutablePointer<UInt8>) -> Int {
        var i = 0, o = 0
        while i < len {
            let c = src[i]
            if c != 0x5C || i + 1 >= len { dst[o] = c; o += 1; i += 1; continue }
            let e = src[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): dst[o] = 0x0A
            case UInt8(ascii: "t"): dst[o] = 0x09
            case UInt8(ascii: "r"): dst[o] = 0x0D
            case UInt8(ascii: "b"): dst[o] = 0x08
            case UInt8(ascii: "f"): dst[o] = 0x0C
            case UInt8(ascii: "v"): dst[o] = 0x0B
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var v = Int(e - 0x30)
                var k = 0
                while k < 2 && i < len && src[i] >= 0x30 && src[i] <= 0x37 { v = v * 8 + Int(src[i] - 0x30); i += 1; k += 1 }
                dst[o] = UInt8(truncatingIfNeeded: v)
            case UInt8(ascii: "x"):
                var v = 0
                var k = 0
                while k < 2 && i < len, let d = hexValue(src[i]) { v = v * 16 + d; i += 1; k += 1 }
                dst[o] = UInt8(truncatingIfNeeded: v)
            default: dst[o] = e
            }
            o += 1
        }
        return o
    }

    private static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 0x30...0x39: return Int(c - 0x30)
        case 0x41...0x46: return Int(c - 0x41 + 10)
        case 0x61...0x66: return Int(c - 0x61 + 10)
        default: return nil
        }
    }
}
