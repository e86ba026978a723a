import ArgumentParser
import Foundation

/// Where the warehouse and the spool folder are; shared by every command that needs them.
struct SourceOptions: ParsableArguments {
    @Option(name: .long, help: "libpq URI or conninfo of the warehouse (else TRACESPOOL_SOURCE, else libpq's PG* defaults).")
    var source: String?

    var conninfo: String { source ?? ProcessInfo.processInfo.environment["TRACESPOOL_SOURCE"] ?? "" }
}

struct SpoolOptions: ParsableArguments {
    @Option(name: .long, help: "Spool folder (else TRACESPOOL_SPOOL_DIR, else ./spool).")
    var spoolDir: String?

    var path: String {
        let raw = spoolDir ?? ProcessInfo.processInfo.environment["TRACESPOOL_SPOOL_DIR"] ?? "spool"
        return raw.hasSuffix("/") && raw.count > 1 ? String(raw.dropLast()) : raw
    }
}
