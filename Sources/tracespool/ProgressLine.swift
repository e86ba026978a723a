import Foundation
import TracespoolPipeline

/// Progress on stderr: a live bar redrawn in place on a terminal (throttled to 10 per second),
/// plain lines (one per finished domain) otherwise, so logs of a nightly job stay readable.
final class ProgressLine: @unchecked Sendable {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let started = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    func update(_ p: EventsProgress) {
        let now = Date()
        let domainDone = p.batchesDone == p.batchesTotal
        if isTerminal {
            guard domainDone || now.timeIntervalSince(lastDraw) > 0.1 else { return }
            lastDraw = now
            let width = 24
            let filled = p.batchesTotal == 0 ? width : width * p.batchesDone / p.batchesTotal
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let rate = Double(p.totalRows) / max(0.001, now.timeIntervalSince(started))
            let text = "\r\(bar) \(p.domain) [\(p.domainIndex + 1)/\(p.domainCount)] \(p.batchesDone)/\(p.batchesTotal) batches · "
                + "\(p.totalRows) rows · \(Int(rate)) rows/s" + (p.failedBatches > 0 ? " · \(p.failedBatches) failed" : "") + "\u{1B}[K"
            FileHandle.standardError.write(Data(text.utf8))
            drawn = true
        } else if domainDone {
            let line = "tracespool: \(p.domain): \(p.domainRows) rows in \(p.batchesTotal) batches"
                + (p.failedBatches > 0 ? ", \(p.failedBatches) failed" : "") + "\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// A finished stage, on its own line.
    func note(_ text: String) {
        finish()
        FileHandle.standardError.write(Data("tracespool: \(text)\n".utf8))
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
    }
}

/// First Ctrl-C asks the job to stop between batches; a second one exits at once.
final class InterruptHandler: @unchecked Sendable {
    private let source: DispatchSourceSignal
    private var count = 0

    init(_ onInterrupt: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [unowned self] in
            count += 1
            if count > 1 { exit(130) }
            FileHandle.standardError.write(Data("\ntracespool: stopping after the current batch (Ctrl-C again to quit now)\n".utf8))
            onInterrupt()
        }
        source.resume()
    }

    func release() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
