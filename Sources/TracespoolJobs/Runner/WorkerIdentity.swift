import Foundation

/// A worker id unique to one process start: host, pid, start time and a random part, e.g.
/// `build-7:41822:20261203T061502Z:9c41e2`. A restarted process (even with a recycled pid) is
/// another worker, so a lease can never be mistaken for its predecessor's.
public enum WorkerIdentity {
    public static let current: String = {
        let host = NodeIdentity.hostName()
        let started = UTCTime.iso(Date()).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
        let random = String(UInt32.random(in: 0..<0x100_0000), radix: 16)
        return "\(host):\(getpid()):\(started):\(String(repeating: "0", count: 6 - random.count) + random)"
    }()
}
