import Hummingbird
import Logging

/// The outermost middleware: every error becomes the envelope with its code and status — the
/// router's own 404, a wrong method (405 with `Allow`), a body over the cap (413), and any error of
/// the layers below. Nothing leaves as a bare status or a stack trace; an unexpected error is
/// logged and answered 500 `INTERNAL_ERROR`.
struct ErrorEnvelopeMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as APIError {
            return e.envelope
        } catch let e as HTTPError where e.status == .notFound {
            if let allowed = RouteTable.methods(for: request.uri.path), !allowed.contains(request.method.rawValue) {
                var h = HTTPFields()
                h[.allow] = allowed.joined(separator: ", ")
                return APIError("METHOD_NOT_ALLOWED", "\(request.method.rawValue) is not allowed on \(request.uri.path); allowed: "
                    + allowed.joined(separator: ", "), headers: h).envelope
            }
            return APIError("NOT_FOUND", "no route \(request.method.rawValue) \(String(request.uri.path.prefix(200)))").envelope
        } catch let e as HTTPResponseError where e.status == .contentTooLarge {
            return APIError("PAYLOAD_TOO_LARGE", "the request body is larger than the server accepts").envelope
        } catch let e as HTTPResponseError where (400..<500).contains(e.status.code) {
            return APIError("INVALID_PARAMS", "the request is malformed (\(e.status.code))").envelope
        } catch {
            let e = APIError.from(error)
            if e.code == "INTERNAL_ERROR" {
                logger.error("unexpected error", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            }
            return e.envelope
        }
    }
}

extension APIError {
    /// Every 503 says when to come back: the error's own `Retry-After`, else the reference's 30 s
    /// (its `SERVICE_UNAVAILABLE` answers carried `Retry-After: 30`; a front end backs off by it).
    var envelope: Response {
        var headers = self.headers
        if status == .serviceUnavailable && headers[.retryAfter] == nil { headers[.retryAfter] = "30" }
        return APIEnvelope.failure(code: code, message: message, extra: extra.mapValues(\.json), status: status, headers: headers,
                                   meta: meta.mapValues(\.json))
    }
}
