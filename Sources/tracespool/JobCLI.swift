import ArgumentParser
import Foundation
import Logging
import TracespoolJobs
import TracespoolMSD
import TracespoolPipeline
import TracespoolSpool

/// What the job commands (`run`, `submit`, `worker`, `jobs …`) share: one way to open the runner
/// and the store, to check a job id, and to report a failure (`tracespool: CODE: message`, the
/// exit code of `ExitStatus.forCode`).
enum JobCLI {
    /// The runner of a spool folder, with the MSD aggregation hook every worker needs.
    static func runner(spoolDir: String, conninfo: String, config: EventsConfig, logger: Logger, json: Bool,
                       nodeURL: String? = nil) throws -> JobRunner {
        let env = ProcessInfo.processInfo.environment
        var ttl = 86_400
        if let raw = env["TRACE_JOB_TTL_SECONDS"] {
            guard let v = Int(raw), v >= 0 else { throw ValidationError("TRACE_JOB_TTL_SECONDS=\(raw) is not a number of seconds") }
            ttl = v
        }
        do {
            let runner = try JobRunner(spoolDir: spoolDir, conninfo: conninfo, config: config, logger: logger, ttlSeconds: ttl,
                                       nodeURL: nodeURL)
            // An MSD job computes and stores its unmasked summary, so reading it later is instant.
            runner.afterMSDEvents = { spool in _ = try MSDSummaryStore.computeAndStore(spool: spool) }
            return runner
        } catch let f as JobFailure {
            throw fail(f.code, f.message, json: json)
        }
    }

    /// The events settings from the environment; a bad value is a usage error naming it.
    static func eventsConfig() throws -> EventsConfig {
        do { return try EventsConfig.fromEnvironment(ProcessInfo.processInfo.environment) } catch let e as ConfigError {
            throw ValidationError(e.message)
        }
    }

    /// The store of an existing spool folder, for the `jobs` commands (they never create one: a
    /// mistyped --spool-dir is an error, not an empty queue).
    static func store(_ spoolDir: String, json: Bool) throws -> any JobStore {
        let env = ProcessInfo.processInfo.environment
        let location: StoreLocation
        do { location = try StoreLocation.fromEnvironment(env, spoolDir: spoolDir) } catch {
            let (code, message) = describe(error)
            throw fail(code, message, json: json)
        }
        var isDir: ObjCBool = false
        if case .catalog = location, !(FileManager.default.fileExists(atPath: spoolDir, isDirectory: &isDir) && isDir.boolValue) {
            throw fail("SPOOL_FOLDER_NOT_FOUND", "no spool folder \(spoolDir) (--spool-dir, TRACESPOOL_SPOOL_DIR)", json: json)
        }
        do {
            return try location.open(node: try NodeIdentity.fromEnvironment(env))
        } catch let e as StoreError {
            throw fail(e.code, e.message, json: json)
        } catch {
            let (code, message) = describe(error)
            throw fail(code, "catalog: \(message)", json: json)
        }
    }

    /// A job id argument: only ids tracespool makes are ever looked up (or turned into paths).
    static func checkId(_ id: String, json: Bool) throws {
        guard JobId.isValid(id) else {
            let shown = id.count > 60 ? String(id.prefix(60)) + "…" : id
            throw fail("INVALID_JOB_ID", "\"\(shown.debugDescriptionWithoutQuotes)\" is not a job id (j<YYYYMMDD>-<HHMMSS>-<6 hex digits>, as submit prints)", json: json)
        }
    }

    static func job(_ id: String, in store: any JobStore, json: Bool) throws -> JobRecord {
        try checkId(id, json: json)
        guard let job = try store.get(id: id) else { throw fail("JOB_NOT_FOUND", "no job \(id) in \(store.location)", json: json) }
        return job
    }

    static func describe(_ error: Error) -> (String, String) { StableError.describe(error) }

    /// Prints the failure (and with `--json` one object on stdout) and returns the exit to throw.
    static func fail(_ code: String, _ message: String, json: Bool) -> ExitCode {
        if json { printJSON(["error": ["code": code, "message": message]]) }
        FileHandle.standardError.write(Data("tracespool: \(code): \(message)\n".utf8))
        return ExitCode(ExitStatus.forCode(code))
    }

    static func note(_ text: String) {
        FileHandle.standardError.write(Data("tracespool: \(text)\n".utf8))
    }
}

extension String {
    /// The string with control characters escaped, for echoing bad input safely.
    var debugDescriptionWithoutQuotes: String { String(debugDescription.dropFirst().dropLast()) }
}
