import ArgumentParser

/// Exit codes of every command (documented in `--help` and the README).
enum ExitStatus {
    static let ok: Int32 = 0
    static let internalError: Int32 = 1
    /// The job finished but some batches failed: the spool holds a partial result.
    static let partial: Int32 = 3
    /// Bad flags or values (swift-argument-parser's own code for validation errors).
    static let usage: Int32 = 64
    /// A spool file that is not a spool, of a newer version, or damaged.
    static let badSpool: Int32 = 65
    /// The warehouse is unreachable, refuses the credentials, lacks tables, or dropped the connection.
    static let sourceUnavailable: Int32 = 69
    /// The spool folder or disk cannot take the spool (unwritable, full).
    static let spoolError: Int32 = 73
    /// Stopped by Ctrl-C / cancellation.
    static let cancelled: Int32 = 130

    static let helpText = """
        Exit codes: 0 ok · 3 partial result (some batches failed, see quality) · 64 usage error · \
        65 not a spool / unsupported or damaged spool · 69 source unavailable (connect, credentials, \
        missing dwh tables, connection lost) · 73 spool or disk error · 130 cancelled · 1 internal error.
        """

    static func forCode(_ code: String) -> Int32 {
        if code.hasPrefix("SOURCE_") { return sourceUnavailable }
        switch code {
        case "SPOOL_NOT_A_SPOOL", "SPOOL_UNSUPPORTED_VERSION", "SPOOL_CORRUPT": return badSpool
        case _ where code.hasPrefix("SPOOL_"): return spoolError
        case "CANCELLED": return cancelled
        default: return internalError
        }
    }
}
