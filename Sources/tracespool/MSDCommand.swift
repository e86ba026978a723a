import ArgumentParser
import Foundation
import TracespoolMSD
import TracespoolSpool

/// `tracespool msd summary|detail|export|prepare JOB` — mid-section-defect aggregation over a job's
/// spool (SQL in the spool; masks at read time, so one spool serves every filter).
struct MSDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "msd",
        abstract: "Mid-section-defect summary, detail pages, CSV export and HTML report of an MSD job.",
        discussion: """
            JOB is a job id (looked up in the spool folder) or a spool file path. `run` of an MSD job \
            stores the unmasked summary, so reading it is instant; masked summaries are computed on \
            demand. Readers never write: a spool without current MSD helper tables (older version) \
            answers MSD_NOT_PREPARED (exit 65); `msd prepare` builds them.
            Masks: --loss-reasons (numerator only: the population never shrinks), --pj-types and \
            --packages (population, trimmed); comma-separated or repeated; values that match nothing \
            give empty results.
            \(ExitStatus.helpText)
            """,
        subcommands: [MSDSummaryCommand.self, MSDDetailCommand.self, MSDExportCommand.self, MSDReportCommand.self, MSDPrepareCommand.self])
}

struct MSDJobOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("A job id or a spool file path.", valueName: "JOB|SPOOL_FILE"))
    var job: String

    @OptionGroup var spool: SpoolOptions
}

struct MSDMaskOptions: ParsableArguments {
    @Option(name: .customLong("loss-reasons"), help: "Loss reasons to count (numerator-only mask), comma-separated or repeated.")
    var lossReasons: [String] = []

    @Option(name: .customLong("pj-types"), help: "PJ_TYPE values (population mask).")
    var pjTypes: [String] = []

    @Option(name: .customLong("packages"), help: "PRODUCTLINENAME values (population mask).")
    var packages: [String] = []

    var masks: MSDMasks {
        MSDMasks(lossReasons: MSDMasks.split(lossReasons), pjTypes: MSDMasks.split(pjTypes), packages: MSDMasks.split(packages))
    }
}

enum MSDCLI {
    /// Opens the job's spool for MSD reads; failures end the process with their exit code.
    static func open(_ o: MSDJobOptions) -> MSDSpool {
        attempt {
            let (path, _) = try SpoolLocator.resolve(o.job, spoolDir: o.spool.path)
            let m = try MSDReader.open(path: path)
            // Every MSD output of a partial job says so (JSON `quality`, --table, CSV); so does stderr.
            if let note = try MSDQuality.incompleteNote(m) {
                FileHandle.standardError.write(Data("tracespool: warning: this job's quality is \(note)\n".utf8))
            }
            return m
        }
    }

    /// Runs `body`, mapping tracespool errors to `tracespool: CODE: message` and the exit code.
    static func attempt<T>(_ body: () throws -> T) -> T {
        do {
            return try body()
        } catch let e as MSDError {
            fail(e.code, e.message)
        } catch let e as SpoolError {
            fail(e.code, e.message)
        } catch let e as SpoolLocator.NotFound {
            fail(e.code, e.message)
        } catch let e as ExportFailure {
            fail(e.code, e.message)
        } catch is BrokenPipe {
            Foundation.exit(ExitStatus.ok)
        } catch {
            fail("INTERNAL_ERROR", "\(error)")
        }
    }

    struct BrokenPipe: Error {}

    /// Writes all of `data` to standard output; a reader that went away is `BrokenPipe`.
    static func writeStdout(_ data: Data) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard var p = raw.baseAddress else { return }
            var left = raw.count
            while left > 0 {
                let n = write(STDOUT_FILENO, p, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == EPIPE { throw BrokenPipe() }
                    throw ExportFailure(code: "READER_OUTPUT_FAILED", message: "cannot write standard output: \(String(cString: strerror(errno)))")
                }
                left -= n
                p += n
            }
        }
    }

    static func fail(_ code: String, _ message: String) -> Never {
        FileHandle.standardError.write(Data("tracespool: \(code): \(message)\n".utf8))
        Foundation.exit(ExitStatus.forCode(code))
    }

    static func emit(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// With TRACESPOOL_MSD_TIMING=1, the seconds an operation took inside the process (after the
    /// spool is open) go to stderr as `msd <op> seconds=…` (scripts/bench/msd reads them).
    static func timed<T>(_ op: String, _ body: () -> T) -> T {
        let start = Date()
        let r = body()
        if ProcessInfo.processInfo.environment["TRACESPOOL_MSD_TIMING"] == "1" {
            FileHandle.standardError.write(Data(String(format: "msd %@ seconds=%.6f\n", op, Date().timeIntervalSince(start)).utf8))
        }
        return r
    }
}

struct MSDSummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print the SUMMARY object (JSON) — KPI, Pareto charts, trends, attribution — or a table with --table.")

    @OptionGroup var job: MSDJobOptions
    @OptionGroup var mask: MSDMaskOptions

    @Flag(name: .customLong("table"), help: "Human-readable view: KPI and the top rows of each chart.")
    var table = false

    @Option(name: .customLong("top"), parsing: .unconditional, help: "Rows per chart in --table (default 5).")
    var top: Int?

    @Flag(name: .customLong("recompute"), help: ArgumentHelp("Compute the unmasked summary from the helper tables instead of reading the stored one.", visibility: .hidden))
    var recompute = false

    func validate() throws {
        if let top, !(1...50).contains(top) { throw ValidationError("--top must be in 1...50") }
        if top != nil && !table { throw ValidationError("--top applies to --table (the JSON summary holds every row)") }
    }

    func run() throws {
        let m = MSDCLI.open(job)
        let text = MSDCLI.timed("summary") {
            MSDCLI.attempt {
                recompute ? try MSDSummaryStore.compute(m, masks: mask.masks).text : try MSDSummaryStore.summaryText(m, masks: mask.masks)
            }
        }
        MSDCLI.emit(table ? MSDCLI.attempt { try MSDSummaryTable.render(summaryText: text, topRows: top ?? 5) } : text)
    }
}

struct MSDDetailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detail",
        abstract: "Print one page of the LOT detail (JSON).",
        discussion: """
            Sort keys — backward: defect_rate, defect_qty, input_qty, ancestor_count, \
            upstream_machine_count; forward: defect_rate (downstream reject rate), defect_qty (downstream \
            rejects), input_qty. Ties: lot name, lot id, loss reason.
            """)

    @OptionGroup var job: MSDJobOptions
    @OptionGroup var mask: MSDMaskOptions

    @Option(name: .customLong("page"), parsing: .unconditional, help: "Page number, from 1.")
    var page = 1

    @Option(name: .customLong("page-size"), parsing: .unconditional, help: "Rows per page, 1...500.")
    var pageSize = 200

    @Option(name: .customLong("sort-by"), help: "Sort key (see below).")
    var sortBy = "defect_rate"

    @Option(name: .customLong("order"), help: "asc or desc.")
    var order = "desc"

    func run() throws {
        let m = MSDCLI.open(job)
        let req = MSDDetailRequest(page: page, pageSize: pageSize, sortBy: sortBy, order: order, masks: mask.masks)
        // Check the request before any work (MSD_INVALID_ARGUMENT, exit 64).
        MSDCLI.attempt { try req.validate(direction: m.direction) }
        MSDCLI.emit(MSDCLI.timed("detail") { MSDCLI.attempt { try MSDDetail.page(m, req).text } })
    }
}

struct MSDExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the LOT detail as CSV (UTF-8 with BOM, the reference's Chinese headers, masks applied).")

    @OptionGroup var job: MSDJobOptions
    @OptionGroup var mask: MSDMaskOptions

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Output file, or - for stdout (default).", valueName: "FILE"))
    var output: String?

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let file = output.flatMap { $0 == "-" ? nil : $0 }
        if let file { MSDCLI.checkOutput(file, source: job.job, spoolDir: job.spool.path) }
        let m = MSDCLI.open(job)
        if let file {
            let n = MSDCLI.writeFile(file) { h in try MSDExport.csv(m, masks: mask.masks) { try h.write(contentsOf: $0) } }
            FileHandle.standardError.write(Data("tracespool: wrote \(file) (\(n) rows)\n".utf8))
        } else {
            // A closed pipe (`| head`) ends the export quietly with exit 0, like `export`.
            MSDCLI.attempt { _ = try MSDExport.csv(m, masks: mask.masks) { try MSDCLI.writeStdout($0) } }
        }
    }
}

extension MSDCLI {
    /// `-o FILE` (msd export, msd report, report): never over the spool being read, its sidecars,
    /// or a catalog — checked before anything is read or written; nor over them via `FILE.part`.
    static func checkOutput(_ file: String, source: String, spoolDir: String) {
        attempt {
            let (path, _) = try SpoolLocator.resolve(source, spoolDir: spoolDir)
            try OutputGuard.check(file, protected: [path, "\(spoolDir)/catalog.sqlite", OutputGuard.folder(of: path) + "/catalog.sqlite"])
            try OutputGuard.check(file + ".part", protected: [])
        }
    }

    /// Writes `file` under `file.part` and renames it into place when `body` has written it all, so
    /// a failed or interrupted write never leaves a truncated file under the real name.
    static func writeFile<T>(_ file: String, _ body: (FileHandle) throws -> T) -> T {
        let tmp = file + ".part"
        guard FileManager.default.createFile(atPath: tmp, contents: nil), let h = FileHandle(forWritingAtPath: tmp) else {
            fail("SPOOL_UNWRITABLE", "cannot write \(tmp)")
        }
        return attempt {
            defer { try? h.close() }
            do {
                let n = try body(h)
                _ = try? FileManager.default.removeItem(atPath: file)
                try FileManager.default.moveItem(atPath: tmp, toPath: file)
                return n
            } catch {
                try? FileManager.default.removeItem(atPath: tmp)
                throw error
            }
        }
    }
}

struct MSDPrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Build the MSD helper tables and store the unmasked summary (what `run` does at the end of an MSD job).")

    @OptionGroup var job: MSDJobOptions

    func run() throws {
        let started = Date()
        let m = MSDCLI.attempt {
            let (path, _) = try SpoolLocator.resolve(job.job, spoolDir: job.spool.path)
            return try MSDSpool.open(at: path, readOnly: false)
        }
        _ = MSDCLI.timed("prepare") { MSDCLI.attempt { try MSDSummaryStore.computeAndStore(m) } }
        FileHandle.standardError.write(Data(String(format: "tracespool: MSD summary stored (%.3f s)\n", Date().timeIntervalSince(started)).utf8))
    }
}
