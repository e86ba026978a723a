import Foundation

/// Where rendered bytes go: a file descriptor for the CLI, a socket or a test's memory later.
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// Writes to a file descriptor with `write(2)`, resuming after partial writes and EINTR. A closed
/// pipe (EPIPE; SIGPIPE must be ignored by the process) is `ReaderError.brokenPipe`; any other
/// failure (disk full, I/O error) is `ReaderError.outputFailed` naming the output.
public final class FileDescriptorSink: ByteSink {
    public let fd: Int32
    public let name: String

    public init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Foundation.write(fd, p, left)
            if n < 0 {
                let e = errno
                if e == EINTR || e == EAGAIN { continue }
                if e == EPIPE || e == ECONNRESET { throw ReaderError(.brokenPipe, "\(name) was closed by the reader") }
                throw ReaderError(.outputFailed, "cannot write \(name): \(String(cString: strerror(e)))")
            }
            p += n
            left -= n
        }
    }
}

/// Collects everything in memory — for tests and small responses only.
public final class MemorySink: ByteSink {
    public private(set) var data = Data()
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws { data.append(contentsOf: bytes) }
}

/// The one reused output buffer (64 KiB by default) every renderer writes into. Values are copied
/// straight from SQLite's column memory into it; it goes to the sink when full — nothing is
/// allocated per row.
public final class OutputBuffer {
    public static let defaultCapacity = 64 * 1024

    @usableFromInline let base: UnsafeMutablePointer<UInt8>
    @usableFromInline let capacity: Int
    /// The fill level (and flushed count) live behind a pointer: a stored `var` of a class would
    /// pay a dynamic exclusivity check on every write.
    @usableFromInline let fill: UnsafeMutablePointer<Int>
    @usableFromInline var used: Int {
        @inline(__always) get { fill.pointee }
        @inline(__always) set { fill.pointee = newValue }
    }
    public let sink: ByteSink
    /// Bytes handed to the sink so far (not counting what is still buffered).
    public var flushedBytes: Int { fill[1] }

    public init(sink: ByteSink, capacity: Int = OutputBuffer.defaultCapacity) {
        precondition(capacity >= 64)
        self.sink = sink
        self.capacity = capacity
        base = .allocate(capacity: capacity)
        fill = .allocate(capacity: 2)  // [buffered, flushed]
        fill.initialize(repeating: 0, count: 2)
    }

    deinit {
        base.deallocate()
        fill.deallocate()
    }

    /// Everything written so far, buffered or not.
    public var totalBytes: Int { flushedBytes + used }

    public func flush() throws {
        guard used > 0 else { return }
        let n = used
        used = 0
        fill[1] += n
        try sink.write(UnsafeRawBufferPointer(start: base, count: n))
    }

    /// Makes room for `n` contiguous bytes (`n` ≤ capacity).
    @inlinable @inline(__always)
    public func reserve(_ n: Int) throws {
        if capacity - used < n { try flush() }
    }

    @inlinable @inline(__always)
    public func byte(_ b: UInt8) throws {
        if used == capacity { try flush() }
        base[used] = b
        used += 1
    }

    /// Appends a byte the caller already reserved room for.
    @inlinable @inline(__always)
    public func reservedByte(_ b: UInt8) {
        base[used] = b
        used += 1
    }

    @inlinable
    public func bytes(_ p: UnsafeRawPointer, _ count: Int) throws {
        // Short runs (keys, punctuation, small values) are copied inline, not through memmove.
        if count <= 16 && capacity - used >= count {
            let src = p.assumingMemoryBound(to: UInt8.self)
            let dst = base + used
            for k in 0..<count { dst[k] = src[k] }
            used += count
            return
        }
        var p = p
        var left = count
        while left > 0 {
            if used == capacity { try flush() }
            let n = min(left, capacity - used)
            (base + used).update(from: p.assumingMemoryBound(to: UInt8.self), count: n)
            used += n
            left -= n
            p += n
        }
    }

    @inlinable
    public func bytes(_ b: UnsafeRawBufferPointer) throws {
        if let p = b.baseAddress { try bytes(p, b.count) }
    }

    public func bytes(_ array: [UInt8]) throws {
        try array.withUnsafeBytes { try bytes($0) }
    }

    /// ASCII/UTF-8 text known at compile time (punctuation and keys of the protocol).
    @inlinable
    public func literal(_ s: StaticString) throws {
        try bytes(UnsafeRawPointer(s.utf8Start), s.utf8CodeUnitCount)
    }

    /// A decimal integer.
    @inlinable
    public func integer(_ value: Int64) throws {
        try reserve(20)
        if value == 0 { reservedByte(0x30); return }
        var magnitude = value.magnitude
        if value < 0 { reservedByte(0x2D) }
        var digits = 0
        var probe = magnitude
        while probe > 0 { digits += 1; probe /= 10 }
        var i = used + digits - 1
        while magnitude > 0 {
            base[i] = UInt8(truncatingIfNeeded: 0x30 + magnitude % 10)
            magnitude /= 10
            i -= 1
        }
        used += digits
    }

    @inlinable
    public func integer(_ value: Int) throws { try integer(Int64(value)) }

    /// A finite REAL in its shortest round-trip form: integral values below 2^53 as digits, the
    /// rest through Swift's shortest-digits printer (`1.25`, `0.1`, `1e-05`, `1.5e+300` — all valid
    /// JSON numbers), which hands its bytes to `RealText` without making a String.
    public func real(_ value: Double) throws {
        if value.rounded(.towardZero) == value, abs(value) < 9_007_199_254_740_992 {
            try integer(Int64(value))
            return
        }
        try reserve(RealText.maxLength)
        var text = RealText(out: self)
        value.write(to: &text)
    }
}

/// Receives a Double's printed digits. The standard library passes them as an ASCII buffer
/// (`_writeASCII`, no String made); `write(_:)` is the general path if it ever does not.
struct RealText: TextOutputStream {
    /// The longest a Double prints: `-2.2250738585072014e-308`.
    static let maxLength = 32
    let out: OutputBuffer

    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        for b in buffer.prefix(RealText.maxLength) { out.reservedByte(b) }
    }

    mutating func write(_ string: String) {
        for b in string.utf8.prefix(RealText.maxLength) { out.reservedByte(b) }
    }
}
