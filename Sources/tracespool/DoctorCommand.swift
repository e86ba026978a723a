import ArgumentParser
import Foundation
import TracespoolJobs
import TracespoolPipeline
import TracespoolSource

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check a warehouse read-only: dwh tables, columns and privileges, indexes (and what a missing one costs), server.",
        discussion: """
            Connects in one REPEATABLE READ READ ONLY transaction (default_transaction_read_only = on) and writes nothing.
            Missing recommended or minimal indexes only make traces slower: their cost is the planner's estimate of one
            sample batch (EXPLAIN, nothing runs), or with --measure a timed run of it (EXPLAIN ANALYZE).
            Exit 0 when tracespool can run here, 69 when it cannot (unreachable, a table or column missing, no SELECT
            on a table a default trace reads, no snapshot export), the reasons on stderr.
            \(ExitStatus.helpText)
            """)

    @OptionGroup var source: SourceOptions

    @Flag(help: "Print one JSON object instead of the tables.")
    var json = false

    @Flag(help: "Time one sample batch per missing index (EXPLAIN ANALYZE) instead of the planner's estimate.")
    var measure = false

    @Option(help: "statement_timeout of every doctor statement, in ms (a --measure sample batch included).")
    var timeoutMs = 10_000

    func validate() throws {
        if timeoutMs < 0 { throw ValidationError("--timeout-ms must be ≥ 0") }
    }

    func run() throws {
        let batch: Int
        do { batch = try EventsConfig.fromEnvironment(ProcessInfo.processInfo.environment).cidBatchSize } catch let e as ConfigError {
            throw ValidationError(e.message)
        }
        let report: DoctorReport
        do {
            report = try WarehouseDoctor.examine(conninfo: source.conninfo, costMethod: measure ? .measured : .plannerEstimate,
                                                 batchSize: batch, timeoutMs: timeoutMs)
        } catch let e as SourceError {
            if json { printJSON(DoctorReport.failureObject(code: e.code, message: e.message)) }
            FileHandle.standardError.write(Data("tracespool: \(e.code): \(e.message)\n".utf8))
            throw ExitCode(ExitStatus.forCode(e.code))
        }
        if json { printJSON(report.jsonObject()) } else { FileHandle.standardOutput.write(Data(report.text().utf8)) }
        guard let first = report.problems.first else { return }
        for p in report.problems { FileHandle.standardError.write(Data("tracespool: \(p.code): \(p.message)\n".utf8)) }
        throw ExitCode(ExitStatus.forCode(first.code))
    }
}
