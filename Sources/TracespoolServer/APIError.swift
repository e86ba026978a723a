import Foundation
import Hummingbird
import TracespoolJobs
import TracespoolMSD
import TracespoolReaders
import TracespoolSpool
import TracespoolSource

/// An error the API answers with: a stable code, a message, optional fields (`cid_count`,
/// `limit`, `state`, `field`) and headers. Its HTTP status comes from the one error model
/// (`ErrorClass`), so the CLI's exit code and the API's status of a code never disagree.
struct APIError: Error, HTTPResponseError {
    /// A field of the error object beside code and message.
    enum Field: Sendable {
        case int(Int)
        case string(String)
        var json: Any { switch self { case .int(let v): return v; case .string(let v): return v } }
    }

    let code: String
    let message: String
    var extra: [String: Field] = [:]
    var headers: HTTPFields = [:]
    /// Fields of the envelope's `meta` beside timestamp and version (the reference routes'
    /// `job_status`).
    var meta: [String: Field] = [:]

    init(_ code: String, _ message: String, extra: [String: Field] = [:], headers: HTTPFields = [:], meta: [String: Field] = [:]) {
        self.code = code
        self.message = message
        self.extra = extra
        self.headers = headers
        self.meta = meta
    }

    var status: HTTPResponse.Status { HTTPResponse.Status(code: ErrorClass.of(code).httpStatus) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        envelope
    }

    /// Any error of the layers below, with its own code.
    static func from(_ error: Error) -> APIError {
        switch error {
        case let e as APIError: return e
        case let e as ReaderError: return APIError(e.code, e.message)
        case let e as MSDError: return APIError(e.code, e.message)
        case let e as CIDLimitExceeded:
            return APIError("CID_LIMIT_EXCEEDED", e.description, extra: ["cid_count": .int(e.cidCount), "limit": .int(e.limit)])
        default:
            let (code, message) = StableError.describe(error)
            return APIError(code, message)
        }
    }
}
