import ArgumentParser
import Foundation

/// Where the warehouse and the spool folder are; shared by every command that needs them.
struct SourceOptions: ParsableArguments {
    @Option(name: .customLong("source"), help: "libpq URI or conninfo of the warehouse (else TRACESPOOL_SOURCE, else libpq's PG* defaults).")
    var source: String?

    var conninfo: String { source ?? ProcessInfo.processInfo.environment["TRACESPOOL_SOURCE"] ?? "" }
}

struct SpoolOptions: ParsableArguments {
    @Option(name: .customLong("spool-dir"), help: "Spool folder (else TRACESPOOL_SPOOL_DIR, else ./spool).")
    var spoolDir: String?

    func validate() throws {
        if let d = spoolDir, d.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--spool-dir is empty: give a folder (or leave it out for TRACESPOOL_SPOOL_DIR, else ./spool)")
        }
        if spoolDir == nil, let d = ProcessInfo.processInfo.environment["TRACESPOOL_SPOOL_DIR"],
           d.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("TRACESPOOL_SPOOL_DIR is set but empty: give a folder, or unset it for ./spool")
        }
    }

    var path: String {
        let raw = spoolDir ?? ProcessInfo.processInfo.environment["TRACESPOOL_SPOOL_DIR"] ?? "spool"
        return raw.hasSuffix("/") && raw.count > 1 ? String(raw.dropLast()) : raw
    }
}
