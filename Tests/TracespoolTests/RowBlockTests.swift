import Testing
import TracespoolSpool

/// A row block between fetch and write is bounded by rows and by field bytes (README "Where the
/// memory goes"): wide rows fill it sooner instead of doubling its arena.
@Suite("Row blocks: bounded by rows and by bytes")
struct RowBlockTests {
    /// Appends one row of `columns` fields, each `width` bytes of `fill` (column 1 NULL when asked).
    static func append(_ block: RowBlock, width: Int, fill: UInt8, nullSecond: Bool = false) {
        let bytes = [UInt8](repeating: fill, count: width)
        bytes.withUnsafeBytes { raw in
            var fields = [UnsafeRawPointer?](repeating: raw.baseAddress, count: block.columnCount)
            var lengths = [Int](repeating: width, count: block.columnCount)
            if nullSecond { fields[1] = nil; lengths[1] = -1 }
            block.append(fields: fields, lengths: lengths)
        }
    }

    @Test("a block of narrow rows is full at its row capacity, one of wide rows at its byte budget")
    func fullByRowsOrBytes() {
        let narrow = RowBlock(columnCount: 2, capacity: 10, byteBudget: 4096)
        for _ in 0..<9 { Self.append(narrow, width: 3, fill: 0x41) }
        #expect(!narrow.isFull)
        Self.append(narrow, width: 3, fill: 0x41)
        #expect(narrow.isFull && narrow.count == 10)

        // 2 columns × 100 bytes a row: 20 rows are 4 000 bytes (not full), the 21st crosses 4 096.
        let wide = RowBlock(columnCount: 2, capacity: 10_000, byteBudget: 4096)
        for _ in 0..<20 { Self.append(wide, width: 100, fill: 0x42) }
        #expect(!wide.isFull)
        Self.append(wide, width: 100, fill: 0x42)
        #expect(wide.isFull, "full by bytes long before its 10 000-row capacity")
        #expect(wide.count == 21)
        wide.clear()
        #expect(!wide.isFull && wide.count == 0)
    }

    @Test("a single row wider than the arena's headroom still fits, byte for byte; NULL stays NULL")
    func oversizedRow() {
        let block = RowBlock(columnCount: 2, capacity: 100, byteBudget: 4096)
        Self.append(block, width: 10, fill: 0x43)
        Self.append(block, width: 200 * 1024, fill: 0x44, nullSecond: true)
        let (p, n) = block.field(1, 0)
        #expect(n == 200 * 1024)
        let bytes = UnsafeRawBufferPointer(start: p, count: n)
        #expect(bytes.allSatisfy { $0 == 0x44 })
        #expect(block.field(1, 1).1 == -1 && block.field(1, 1).0 == nil)
        // The row before the growth was moved with the arena, intact.
        let (q, m) = block.field(0, 1)
        #expect(m == 10 && UnsafeRawBufferPointer(start: q, count: m).allSatisfy { $0 == 0x43 })
        #expect(block.isFull, "past its byte budget after the wide row")
    }
}
