import ArgumentParser
import Foundation
import Logging
import TracespoolJobs


@main
struct TracespoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tracespool",
        abstract: "Trace semiconductor lots through their genealogy and spool every event to SQLite, in flat memory.",
        discussion: ExitStatus.helpText,
        version: TracespoolVersion.current,
        subcommands: [RunCommand.self, SubmitCommand.self, WorkerCommand.self, JobsCommand.self, ServeCommand.self, ExportCommand.self, LineageCommand.self, MSDCommand.self, JobReportCommand.self, DoctorCommand.self, NightlyCommand.self, StoreCommand.self])

    /// Every command starts with the process's malloc settings (`MallocPolicy`), then parses.
    static func main() async {
        MallocPolicy.apply()
        await main(nil)
    }
}

/// Logs: timestamped lines on stderr for logs, not for people. A failure the CLI reports itself
/// (`tracespool: CODE: message`) is not logged again at the default level. The level is
/// `TRACESPOOL_LOG_LEVEL` if set; else `warning` when stderr is not a terminal (a nightly job's
/// log keeps retries and failed batches), `error` on a terminal (people read the one-line
/// messages and the progress bar).
enum LogSetup {
    static let stderrIsTerminal = isatty(STDERR_FILENO) == 1

    static var level: Logger.Level {
        if let raw = ProcessInfo.processInfo.environment["TRACESPOOL_LOG_LEVEL"], let l = Logger.Level(rawValue: raw.lowercased()) {
            return l
        }
        return stderrIsTerminal ? .error : .warning
    }

    /// `TRACESPOOL_LOG_FORMAT=json` gives one JSON object per event (`JSONLogHandler`); else
    /// timestamped text lines.
    static let once: Void = {
        let level = LogSetup.level
        let json = ProcessInfo.processInfo.environment["TRACESPOOL_LOG_FORMAT"]?.lowercased() == "json"
        LoggingSystem.bootstrap { label in
            if json {
                var h = JSONLogHandler(label: label)
                h.logLevel = level
                return h
            }
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }()

    static func logger() -> Logger {
        _ = once
        return Logger(label: "tracespool")
    }
}
