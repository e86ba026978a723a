import ArgumentParser
import Logging

@main
struct TracespoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tracespool",
        abstract: "Trace semiconductor lots through their genealogy and spool every event to SQLite, in flat memory.",
        discussion: ExitStatus.helpText,
        subcommands: [RunCommand.self, ExportCommand.self, LineageCommand.self, MSDCommand.self, DoctorCommand.self])
}

/// Logs go to stderr, at the level of `TRACESPOOL_LOG_LEVEL` (default warning, so stdout stays clean).
enum LogSetup {
    static let once: Void = {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            let raw = ProcessInfo.processInfo.environment["TRACESPOOL_LOG_LEVEL"] ?? "warning"
            h.logLevel = Logger.Level(rawValue: raw) ?? .warning
            return h
        }
    }()
    static func logger() -> Logger {
        _ = once
        return Logger(label: "tracespool")
    }
}

import Foundation
