/// A bounded block of rows on their way from the warehouse to the spool: field bytes packed in one
/// reused arena, with offsets and lengths (-1 = NULL). Filled by a fetch thread, bound straight
/// into SQLite by the writer thread, then cleared and reused — no allocation per row.
///
/// Bounded twice: by rows (`capacity`) and by field bytes (`byteBudget`), so a domain of wide rows
/// (long material or comment texts) fills a block sooner instead of doubling its arena. Only a
/// single row larger than the arena's headroom grows it.
public final class RowBlock: @unchecked Sendable {
    public let columnCount: Int
    public let capacity: Int
    public let byteBudget: Int
    /// Field bytes per block unless told otherwise: the arena is this plus a 64 KiB headroom.
    public static let defaultByteBudget = 512 * 1024
    public private(set) var count = 0
    private var arena: UnsafeMutableRawPointer
    private var arenaCapacity: Int
    private var used = 0
    // 32-bit offsets and lengths: a block's arena never reaches 2 GiB, and half the size keeps
    // the pool small (2 blocks × 2500 rows × 16 columns per domain).
    private let offsets: UnsafeMutablePointer<Int32>
    private let lengths: UnsafeMutablePointer<Int32>

    public init(columnCount: Int, capacity: Int, byteBudget: Int = RowBlock.defaultByteBudget) {
        self.columnCount = columnCount
        self.capacity = max(1, capacity)
        self.byteBudget = max(4096, byteBudget)
        arenaCapacity = self.byteBudget + 64 * 1024
        arena = .allocate(byteCount: arenaCapacity, alignment: 8)
        offsets = .allocate(capacity: self.capacity * columnCount)
        lengths = .allocate(capacity: self.capacity * columnCount)
    }

    deinit {
        arena.deallocate()
        offsets.deallocate()
        lengths.deallocate()
    }

    /// Full by rows, or by bytes: the fetcher hands it off and takes the next one.
    public var isFull: Bool { count == capacity || used >= byteBudget }

    public func clear() {
        count = 0
        used = 0
    }

    /// Appends one row given as (pointer, length) pairs; a nil pointer or negative length is NULL.
    @inline(__always)
    public func append(fields: UnsafePointer<UnsafeRawPointer?>, lengths fieldLengths: UnsafePointer<Int>) {
        precondition(count < capacity, "RowBlock overflow")
        var need = 0
        for i in 0..<columnCount where fieldLengths[i] > 0 { need += fieldLengths[i] }
        if used + need > arenaCapacity { grow(to: used + need) }
        let base = count * columnCount
        for i in 0..<columnCount {
            let len = fieldLengths[i]
            if let p = fields[i], len >= 0 {
                (arena + used).copyMemory(from: p, byteCount: len)
                offsets[base + i] = Int32(used)
                lengths[base + i] = Int32(len)
                used += len
            } else {
                offsets[base + i] = 0
                lengths[base + i] = -1
            }
        }
        count += 1
    }

    /// Field bytes of row `r`, column `c`: nil for NULL.
    @inline(__always)
    public func field(_ r: Int, _ c: Int) -> (UnsafeRawPointer?, Int) {
        let k = r * columnCount + c
        let len = Int(lengths[k])
        return len < 0 ? (nil, -1) : (UnsafeRawPointer(arena + Int(offsets[k])), len)
    }

    private func grow(to minimum: Int) {
        var cap = arenaCapacity * 2
        while cap < minimum { cap *= 2 }
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 8)
        bigger.copyMemory(from: arena, byteCount: used)
        arena.deallocate()
        arena = bigger
        arenaCapacity = cap
    }
}
