import ArgumentParser
import TracespoolJobs

/// Exit codes of every command (documented in `--help` and the README).
enum ExitStatus {
    static let ok: Int32 = 0
    static let internalError: Int32 = 1
    /// The job finished but some batches failed: the spool holds a partial result.
    static let partial: Int32 = 3
    /// Admission control refused the trace (more CIDs than TRACE_EVENTS_CID_LIMIT).
    static let refused: Int32 = 4
    /// The seeds resolved to nothing (no job is left behind).
    static let nothingFound: Int32 = 5
    /// The job's state does not allow it (cancel of a finished job, resume of a job whose worker
    /// is alive, rm of a running job).
    static let stateConflict: Int32 = 6
    /// Bad flags or values (swift-argument-parser's own code for validation errors).
    static let usage: Int32 = 64
    /// A spool file that is not a spool, of a newer version, or damaged.
    static let badSpool: Int32 = 65
    /// `export`: no such job or spool file (EX_NOINPUT).
    static let noInput: Int32 = 66
    /// `msd`: the job is not a mid_section_defect job.
    static let notMSD: Int32 = 67
    /// The job's result expired: retention removed its spool (not the same as "no such job").
    static let expired: Int32 = 68
    /// The warehouse is unreachable, refuses the credentials, lacks tables, or dropped the connection.
    static let sourceUnavailable: Int32 = 69
    /// The spool folder or disk cannot take the spool (unwritable, full).
    static let spoolError: Int32 = 73
    /// Not yet: the job is queued, or its worker is gone and it waits to be resumed; or another
    /// process holds the spool.
    static let notYet: Int32 = 75
    /// Stopped by Ctrl-C / cancellation.
    static let cancelled: Int32 = 130

    static let helpText = """
        Exit codes: 0 ok · 3 partial result (some batches failed, see quality) · 4 refused (CID limit) · \
        5 seeds resolved to nothing (or no given CID is in the warehouse) · 6 the job's state does not \
        allow it · 64 usage error (also a malformed job id) · \
        65 not a spool / unsupported or damaged spool (msd: MSD tables missing or from an older schema) · \
        66 no such job or spool file · 67 msd: not an MSD job · 68 the job's result expired · \
        69 source unavailable (connect, credentials, missing dwh tables, connection lost) · \
        73 spool or disk error · 75 not yet (queued, worker gone, spool locked) · 130 cancelled · 1 internal error.
        """

    /// The exit code of a stable error code (`ErrorClass`, the one mapping shared with the API).
    static func forCode(_ code: String) -> Int32 { ErrorClass.of(code).exitCode }
}
