import ArgumentParser
import Foundation
import TracespoolJobs

/// `tracespool store migrate`: applies the PostgreSQL job store's migrations (README "Many hosts").
/// Workers and API nodes never migrate a shared store themselves: a host running an older
/// tracespool must not find its tables changed under it by a newer one that happened to start.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Manage the PostgreSQL job store shared by many hosts.",
        subcommands: [StoreMigrateCommand.self])
}

struct StoreMigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the job store's tables in a PostgreSQL database of its own (not the warehouse).",
        discussion: """
            Applies each missing migration once, in one transaction, under an advisory lock (two hosts \
            migrating at once take turns); running it again changes nothing. Prints `store at version N \
            (was M)`.
            \(ExitStatus.helpText)
            """)

    @Option(name: .customLong("store"), help: "postgresql:// URI of the store (else TRACESPOOL_STORE).")
    var store: String?

    @Flag(name: .customLong("json"), help: "One JSON object: {\"from_version\", \"to_version\"}.")
    var json = false

    func run() throws {
        guard let raw = store ?? ProcessInfo.processInfo.environment["TRACESPOOL_STORE"], !raw.isEmpty, raw != "sqlite" else {
            throw JobCLI.fail("STORE_INVALID", "no PostgreSQL store: give --store postgresql://… or TRACESPOOL_STORE "
                + "(the spool folder's SQLite catalog migrates itself)", json: json)
        }
        do {
            guard case .postgres(let url) = try StoreLocation.parse(raw, spoolDir: "") else { return }
            let (from, to) = try PostgresJobStore.migrate(url: url)
            if json {
                printJSON(["from_version": from, "to_version": to])
            } else {
                print(from == to ? "store at version \(to) (nothing to do)" : "store at version \(to) (was \(from))")
            }
        } catch {
            let (code, message) = JobCLI.describe(error)
            throw JobCLI.fail(code, message, json: json)
        }
    }
}
