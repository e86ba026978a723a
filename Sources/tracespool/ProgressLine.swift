import Foundation
import TracespoolJobs
import TracespoolPipeline

/// Progress on stderr: a live bar redrawn in place on a terminal (throttled to 10 per second) for
/// every stage — seeds, detection, lineage, events, resources: batches done / planned, rows, rate,
/// elapsed; plain lines (one per finished stage or domain) otherwise, so logs of a nightly job stay
/// readable.
final class ProgressLine: @unchecked Sendable {
    private let isTerminal: Bool
    private var lastDraw = Date.distantPast
    private var drawn = false
    private var stage = ""
    private var stageStarted = Date()

    init(isTerminal: Bool = isatty(STDERR_FILENO) == 1) { self.isTerminal = isTerminal }

    /// Elapsed time of the current stage (restarted when the stage's name changes).
    private func elapsed(_ name: String, _ now: Date) -> Double {
        if name != stage { stage = name; stageStarted = now }
        return now.timeIntervalSince(stageStarted)
    }

    static func bar(_ done: Int, _ total: Int, width: Int = 24) -> String {
        let filled = total == 0 ? width : min(width, width * done / max(1, total))
        return String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
    }

    static func seconds(_ s: Double) -> String {
        s < 60 ? String(format: "%.1f s", s) : String(format: "%d min %02d s", Int(s) / 60, Int(s) % 60)
    }

    private func draw(_ text: String, force: Bool, _ now: Date) {
        guard force || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        FileHandle.standardError.write(Data(("\r" + text + "\u{1B}[K").utf8))
        drawn = true
    }

    /// A stage other than events (seeds, detection, lineage, resources): live on a terminal only;
    /// its summary line comes from `note`.
    func update(_ p: StageProgress) {
        let now = Date()
        let name = p.stage.isEmpty ? p.pass : p.stage
        let t = elapsed(name, now)
        guard isTerminal else { return }
        let rate = Double(p.rows) / max(0.001, t)
        draw("\(ProgressLine.bar(p.batchesDone, p.batchesTotal)) \(name) \(p.batchesDone)/\(Wording.count(p.batchesTotal, "batch", "batches")) · "
             + "\(Wording.count(p.rows, "row")) · \(Int(rate)) rows/s · \(ProgressLine.seconds(t))"
             + (p.failedBatches > 0 ? " · \(p.failedBatches) failed" : ""),
             force: p.batchesDone == 0 || p.batchesDone == p.batchesTotal, now)
    }

    func update(_ p: EventsProgress) {
        let now = Date()
        let t = elapsed("events", now)
        let domainDone = p.batchesDone == p.batchesTotal
        if isTerminal {
            let rate = Double(p.totalRows) / max(0.001, t)
            draw("\(ProgressLine.bar(p.batchesDone, p.batchesTotal)) \(p.domain) [\(p.domainIndex + 1)/\(p.domainCount)] "
                 + "\(p.batchesDone)/\(Wording.count(p.batchesTotal, "batch", "batches")) · \(Wording.count(p.totalRows, "row")) · "
                 + "\(Int(rate)) rows/s · \(ProgressLine.seconds(t))" + (p.failedBatches > 0 ? " · \(p.failedBatches) failed" : ""),
                 force: domainDone, now)
        } else if domainDone {
            let line = "tracespool: \(p.domain): \(Wording.count(p.domainRows, "row")) in \(Wording.count(p.batchesTotal, "batch", "batches"))"
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

/// The first Ctrl-C or SIGTERM asks the job to stop (the statement in flight is cancelled); a
/// second one exits at once — every committed batch stays, so the job is still resumable.
/// Both signals are handled on one serial queue, so the count needs no lock.
final class InterruptHandler: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private var count = 0
    private static let queue = DispatchQueue(label: "tracespool.signals")

    init(message: String = "stopping (Ctrl-C again to quit now)", _ onInterrupt: @escaping @Sendable () -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: InterruptHandler.queue)
            source.setEventHandler { [unowned self] in
                count += 1
                if count > 1 { exit(130) }
                FileHandle.standardError.write(Data("\ntracespool: \(message)\n".utf8))
                onInterrupt()
            }
            source.resume()
            sources.append(source)
        }
    }

    func release() {
        sources.forEach { $0.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
