import ArgumentParser
import Foundation
import TracespoolJobs
import TracespoolReaders
import TracespoolSpool

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a spooled trace as NDJSON or CSV, in CID-grouped order, in flat memory.",
        discussion: """
            JOB is a job id, looked up in the spool folder; SPOOL_FILE is any spool file (a copy from \
            another machine needs no catalog). A spool a job is still writing exports the batches \
            committed when the export starts.

            NDJSON records layout: the reference line protocol (meta, domain_start, records of \
            TRACE_STREAM_BATCH_SIZE rows, domain_end, aggregation, warning, quality_meta, complete). \
            NDJSON cid layout: one line per CID with all its domains. CSV: one domain per file — with \
            several domains, name one with --domain, or give -o FILE to write FILE's name plus \
            .<domain> per domain (trace.csv → trace.history.csv, trace.materials.csv); -o DIR writes \
            <job>.<domain>.csv / <job>.ndjson into an existing folder.

            Paging: --limit N ends after N rows (records, CSV: one domain, named with --domain) or N CIDs \
            (cid layout: every domain) and prints the next cursor (stderr, and in the NDJSON complete \
            line); --cursor C continues.

            -o never overwrites a spool, its -wal/-shm, or a catalog (usage error, nothing written).

            Output goes to stdout unless -o is given; a closed pipe ends the export quietly (exit 0). \
            Files are written beside their final name and renamed when complete.
            \(ExitStatus.helpText)
            """)

    @Argument(help: ArgumentHelp("A job id or a spool file path.", valueName: "JOB|SPOOL_FILE"))
    var source: String

    @Option(name: .customLong("format"), help: "ndjson or csv.")
    var format = "ndjson"

    @Option(name: .customLong("layout"), help: "NDJSON layout: records (the reference protocol) or cid (one line per CID).")
    var layout = "records"

    @Option(name: .customLong("domain"), help: "Domain(s) to export, comma-separated or repeated (default: all of the job's).")
    var domains: [String] = []

    @Flag(name: .customLong("bom"), help: "CSV: start with a UTF-8 byte order mark (for Excel).")
    var bom = false

    @Flag(name: .customLong("excel-safe"), help: "CSV: prefix text cells beginning with = + - @ (or tab/CR) with ' so spreadsheets do not evaluate them.")
    var excelSafe = false

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Output file, folder, or - for stdout (default).", valueName: "FILE"))
    var output: String?

    // A cursor is base64url and may start with "-": parsed unconditionally.
    @Option(name: .customLong("cursor"), parsing: .unconditional, help: "Continue a paged export from this cursor.")
    var cursor: String?

    @Option(name: .customLong("limit"), parsing: .unconditional, help: "Page size: rows (records, CSV: one domain) or CIDs (cid layout: every domain).")
    var limit: Int?

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Rows per NDJSON records line (else TRACE_STREAM_BATCH_SIZE, default 5000).")
    var batchSize: Int?

    @OptionGroup var spool: SpoolOptions

    func validate() throws {
        guard ExportFormat(rawValue: format) != nil else {
            throw ValidationError("--format must be ndjson or csv, got \"\(format)\"")
        }
        guard ExportLayout(rawValue: layout) != nil else {
            throw ValidationError("--layout must be records or cid, got \"\(layout)\"")
        }
        if format == "csv" && layout != "records" {
            throw ValidationError("--layout applies to NDJSON; CSV is one domain per file")
        }
        if let l = limit, l < 1 { throw ValidationError("--limit must be at least 1") }
        if let b = batchSize, !(1...1_000_000).contains(b) { throw ValidationError("--batch-size must be in 1...1000000") }
        if batchSize != nil && !(format == "ndjson" && layout == "records") {
            throw ValidationError("--batch-size applies to the NDJSON records layout (rows per records line)")
        }
        if format != "csv" && (bom || excelSafe) { throw ValidationError("--bom and --excel-safe apply to CSV") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        do {
            try export()
        } catch let e as ReaderError where e.kind == .brokenPipe {
            throw ExitCode(ExitStatus.ok)
        } catch let e as ReaderError {
            fail(e.code, e.message)
        } catch let e as SpoolError {
            fail(e.code, e.message)
        } catch let e as ExportFailure {
            fail(e.code, e.message)
        } catch let e as SpoolLocator.NotFound {
            fail(e.code, e.message)
        }
    }

    private func fail(_ code: String, _ message: String) -> Never {
        FileHandle.standardError.write(Data("tracespool: \(code): \(message)\n".utf8))
        Foundation.exit(ExitStatus.forCode(code))
    }

    private func export() throws {
        var options = ExportOptions()
        options.format = ExportFormat(rawValue: format)!
        options.layout = ExportLayout(rawValue: layout)!
        options.domains = domains.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.isEmpty }
        options.cursor = cursor
        options.limit = limit
        options.bom = bom
        options.excelSafe = excelSafe
        options.batchSize = try batchSize ?? ExportOptions.batchSize(from: ProcessInfo.processInfo.environment)

        let (path, jobId) = try SpoolLocator.resolve(source, spoolDir: spool.path)
        let reader = try SpoolReader(spool: try Spool.open(at: path, readOnly: true))
        if let jobId, let held = reader.jobId, held != jobId {
            throw SpoolError(.corrupt, "\(path) holds job \(held), not \(jobId)")
        }
        let stem = reader.jobId ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let ext = options.format == .csv ? "csv" : "ndjson"

        // Where each export goes: stdout, one file, or (CSV of several domains) one file per domain.
        var targets: [(options: ExportOptions, path: String?)] = []
        let toFile = output != nil && output != "-"
        var isFolder: ObjCBool = false
        let folder = toFile && FileManager.default.fileExists(atPath: output!, isDirectory: &isFolder) && isFolder.boolValue
        if options.format == .csv {
            let names = try csvDomains(reader, options)
            if names.count > 1 && !toFile {
                throw ReaderError(.badRequest,
                    "CSV holds one domain per file and this job has \(names.count) (\(names.joined(separator: ", "))): choose one with --domain, or write one file per domain with -o FILE")
            }
            if names.count > 1 && options.cursor == nil && options.limit == nil {
                for n in names {
                    var o = options
                    o.domains = [n]
                    targets.append((o, folder ? "\(output!)/\(stem).\(n).csv" : ExportCommand.perDomain(output!, n)))
                }
            } else {
                targets.append((options, !toFile ? nil : folder ? "\(output!)/\(stem).\(names.first ?? "export").csv" : output!))
            }
        } else {
            targets.append((options, !toFile ? nil : folder ? "\(output!)/\(stem).\(ext)" : output!))
        }
        // Check every target (and the whole request) before writing anything: no output may be
        // the spool being read, its sidecars, or a catalog.
        let protected = [path, "\(spool.path)/catalog.sqlite", OutputGuard.folder(of: path) + "/catalog.sqlite"]
        for t in targets {
            if let file = t.path { try OutputGuard.check(file, protected: protected) }
            _ = try ExportPlan.make(reader: reader, options: t.options)
        }

        for t in targets {
            let started = Date()
            let summary: ExportSummary
            if let file = t.path {
                let writer = try AtomicFile(path: file)
                let progress = ExportProgressLine(target: file)
                do {
                    let out = OutputBuffer(sink: FileDescriptorSink(fd: writer.fd, name: file))
                    summary = try Renderers.export(reader, t.options, into: out) { progress.update($0) }
                    try writer.commit()
                    progress.finish()
                    let seconds = Date().timeIntervalSince(started)
                    FileHandle.standardError.write(Data(String(
                        format: "tracespool: wrote %@ (%d rows%@, %d bytes, %.2f s)\n", file, summary.rows,
                        t.options.layout == .cid && t.options.format == .ndjson ? ", \(summary.cids) CIDs" : "",
                        out.totalBytes, seconds).utf8))
                } catch {
                    progress.finish()
                    writer.discard()
                    throw error
                }
            } else {
                ExportCommand.widenPipe(STDOUT_FILENO)
                let out = OutputBuffer(sink: FileDescriptorSink(fd: STDOUT_FILENO, name: "standard output"))
                summary = try Renderers.export(reader, t.options, into: out)
            }
            if let next = summary.nextCursor {
                FileHandle.standardError.write(Data("tracespool: next cursor: \(next)\n".utf8))
            }
        }
        let partial = reader.domains.filter { $0.status != "complete" }
        for d in partial {
            let what = d.status == "pending" ? "still being written (exported up to the last committed batch)"
                : "\(d.status): \(d.failedRanges.count) batch(es) failed"
            FileHandle.standardError.write(Data("tracespool: domain \(d.name) is \(what)\n".utf8))
        }
    }

    /// The CSV domains of this export: as asked, else the cursor's, else all of the job's.
    private func csvDomains(_ reader: SpoolReader, _ options: ExportOptions) throws -> [String] {
        if !options.domains.isEmpty { return try options.domains.map { try reader.domain(named: $0).name } }
        if let c = options.cursor { return try ExportCursor.decode(c).domains }
        return reader.domains.map(\.name)
    }

    /// When stdout is a pipe, asks Linux for a 1 MiB pipe buffer (default 64 KiB): the exporter
    /// then blocks — and switches to the consumer — a sixteenth as often. Best effort.
    static func widenPipe(_ fd: Int32) {
        #if os(Linux)
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFIFO else { return }
        let setPipeSize: Int32 = 1031  // F_SETPIPE_SZ
        _ = fcntl(fd, setPipeSize, 1 << 20)
        #endif
    }

    /// `trace.csv` + history → `trace.history.csv`; `trace` → `trace.history.csv`.
    static func perDomain(_ file: String, _ domain: String) -> String {
        let ns = file as NSString
        let ext = ns.pathExtension
        let base = ext.isEmpty ? file : ns.deletingPathExtension
        return "\(base).\(domain).\(ext.isEmpty ? "csv" : ext)"
    }
}

struct ExportFailure: Error {
    let code: String
    let message: String
}

/// A file written under a temporary name beside its final one and renamed into place when
/// complete, so a failed or interrupted export never leaves a truncated file under the real name.
final class AtomicFile {
    let path: String
    let temporary: String
    let fd: Int32

    init(path: String) throws {
        self.path = path
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            if isDir.boolValue { throw ReaderError(.outputFailed, "cannot write \(path): it is a folder") }
            if !FileManager.default.isWritableFile(atPath: path) {
                throw ReaderError(.outputFailed, "cannot write \(path): the file is read-only")
            }
        }
        let ns = path as NSString
        temporary = (ns.deletingLastPathComponent.isEmpty ? "" : ns.deletingLastPathComponent + "/")
            + ".\(ns.lastPathComponent).partial-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let why = String(cString: strerror(errno))
            throw ReaderError(.outputFailed, "cannot write \(path): \(why)")
        }
        self.fd = fd
    }

    func commit() throws {
        let closed = close(fd)
        guard closed == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporary)
            throw ReaderError(.outputFailed, "cannot write \(path): \(why)")
        }
        guard rename(temporary, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporary)
            throw ReaderError(.outputFailed, "cannot write \(path): \(why)")
        }
    }

    func discard() {
        close(fd)
        unlink(temporary)
    }
}

/// Export progress on stderr, redrawn in place on a terminal (at most 10 times a second).
final class ExportProgressLine {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let target: String
    private let started = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(target: String) { self.target = target }

    func update(_ p: ExportProgress) {
        guard isTerminal else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        let rate = Double(p.rows) / max(0.001, now.timeIntervalSince(started))
        let what = p.domain.map { "\($0) " } ?? (p.cids > 0 ? "\(p.cids) CIDs · " : "")
        FileHandle.standardError.write(Data("\rexporting \(target): \(what)\(p.rows) rows · \(Int(rate)) rows/s\u{1B}[K".utf8))
        drawn = true
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drawn = false
    }
}
