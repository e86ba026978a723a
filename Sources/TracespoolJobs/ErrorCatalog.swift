import TracespoolPipeline
import TracespoolSource
import TracespoolSpool

/// The one error model (README "Exit codes"): every stable error code belongs to one class, and
/// each class has its exit code (CLI) and its HTTP status (API) — both chosen here and nowhere else.
public enum ErrorClass: Sendable {
    case internalError, partial, refused, nothingFound, stateConflict, usage, badSpool, noInput, notMSD,
         expired, sourceUnavailable, spoolError, notYet, cancelled, notComplete, unauthorized, tooMany,
         payloadTooLarge, notFoundRoute, methodNotAllowed, gone, ok

    public var exitCode: Int32 {
        switch self {
        case .ok: return 0
        case .internalError: return 1
        case .partial: return 3
        case .refused, .payloadTooLarge: return 4
        case .nothingFound: return 5
        case .stateConflict, .notComplete: return 6
        case .usage, .unauthorized, .tooMany, .notFoundRoute, .methodNotAllowed: return 64
        case .badSpool: return 65
        case .noInput: return 66
        case .notMSD: return 67
        case .expired, .gone: return 68
        case .sourceUnavailable: return 69
        case .spoolError: return 73
        case .notYet: return 75
        case .cancelled: return 130
        }
    }

    public var httpStatus: Int {
        switch self {
        case .ok, .partial: return 200
        case .usage: return 400
        case .unauthorized: return 401
        case .noInput, .expired, .notFoundRoute, .nothingFound: return 404
        case .gone: return 410
        case .methodNotAllowed: return 405
        case .stateConflict, .notComplete, .notMSD, .notYet, .cancelled, .badSpool: return 409
        case .refused, .payloadTooLarge: return 413
        case .tooMany: return 429
        case .sourceUnavailable, .spoolError: return 503
        case .internalError: return 500
        }
    }

    /// The class of a stable code.
    public static func of(_ code: String) -> ErrorClass {
        if code.hasPrefix("SOURCE_") { return .sourceUnavailable }
        // The job store is a service too: unreachable, unmigrated or newer, it is unavailable (69 / 503).
        if code == "STORE_INVALID" { return .usage }
        if code.hasPrefix("STORE_") { return .sourceUnavailable }
        switch code {
        case "SPOOL_NOT_A_SPOOL", "SPOOL_UNSUPPORTED_VERSION", "SPOOL_CORRUPT", "MSD_TABLES_MISSING", "MSD_SCHEMA_OUTDATED": return .badSpool
        case "SPOOL_LEASE_LOST", "SPOOL_LOCKED", "JOB_NOT_STARTED", "JOB_WORKER_LOST": return .notYet
        case "JOB_STATE_CONFLICT": return .stateConflict
        case "JOB_NOT_COMPLETE": return .notComplete
        case "JOB_RESULT_EXPIRED": return .expired
        case "INVALID_JOB_ID", "INVALID_SETTING", "INVALID_PARAMS", "MSD_INVALID_ARGUMENT", "INVALID_PROFILE", "VALIDATION_ERROR", "INVALID_REQUEST": return .usage
        case "CACHE_EXPIRED": return .gone
        // SPOOL_UNAVAILABLE: the node that holds a job's spool is down (README "Many hosts") — a service
        // to retry, like the source.
        case "SERVICE_UNAVAILABLE", "SPOOL_UNAVAILABLE": return .sourceUnavailable
        // CONFIG_NOT_FOUND: a nightly config file that cannot be read is a missing input, not an internal error.
        case "JOB_NOT_FOUND", "MSD_NO_SUCH_JOB", "SPOOL_FOLDER_NOT_FOUND", "CONFIG_NOT_FOUND": return .noInput
        case "NOT_FOUND": return .notFoundRoute
        case "METHOD_NOT_ALLOWED": return .methodNotAllowed
        case "UNAUTHORIZED": return .unauthorized
        case "TOO_MANY_REQUESTS": return .tooMany
        case "PAYLOAD_TOO_LARGE": return .payloadTooLarge
        case "READER_OUTPUT_FAILED": return .spoolError
        case "MSD_NOT_PREPARED": return .badSpool
        case _ where code.hasPrefix("SPOOL_"): return .spoolError
        case "CANCELLED": return .cancelled
        case "CID_LIMIT_EXCEEDED": return .refused
        case "NO_SEEDS", "NO_DETECTION_RECORDS", "NO_KNOWN_CIDS": return .nothingFound
        case "MSD_NOT_MSD_JOB": return .notMSD
        case "READER_BROKEN_PIPE": return .ok
        case _ where code.hasPrefix("READER_"): return .usage
        default: return .internalError
        }
    }
}

/// The stable code and plain message of an error from the job layers (source, spool, runner,
/// store) — the one place that names them; the API adds the readers' and MSD's own.
public enum StableError {
    public static func describe(_ error: Error) -> (code: String, message: String) {
        switch error {
        case let e as SourceError: return (e.code, e.message)
        case let e as StoreError: return (e.code, e.message)
        case let e as SpoolError: return (e.code, e.message)
        case let e as JobFailure: return (e.code, e.message)
        case let e as CIDLimitExceeded: return ("CID_LIMIT_EXCEEDED", e.description)
        case let e as NoSeedsFound: return (e.code, e.message)
        case let e as JobStateConflict: return (e.code, e.message)
        case let e as JobNotFound: return (e.code, e.message)
        case let e as JobConfigError: return ("INVALID_SETTING", e.message)
        case is CancelledError: return ("CANCELLED", "the job was cancelled")
        default: return ("INTERNAL_ERROR", "\(error)")
        }
    }
}

/// The version `tracespool --version` and the API's `meta.app_version` print (one place).
public enum TracespoolVersion {
    public static let current = "0.10.0"
}
