import Hummingbird

/// With a token configured (`--token`, `TRACESPOOL_API_TOKEN`), every route but `/healthz` needs
/// `Authorization: Bearer <token>`. The comparison takes the same time whatever the prefix that
/// matches (no early exit), so response timing does not reveal the token.
struct BearerAuth<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/healthz" { return try await next(request, context) }
        let given = request.headers[.authorization].flatMap { h -> [UInt8]? in
            h.hasPrefix("Bearer ") ? Array(h.utf8.dropFirst(7)) : nil
        } ?? []
        guard BearerAuth.equal(given, token) else {
            var h = HTTPFields()
            h[.wwwAuthenticate] = "Bearer realm=\"tracespool\""
            throw APIError("UNAUTHORIZED", given.isEmpty ? "this server needs Authorization: Bearer <token>" : "the token is not valid",
                           headers: h)
        }
        return try await next(request, context)
    }

    /// Constant-time equality: every byte of the longer input is compared.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(a.count == b.count ? 0 : 1)
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            diff |= x ^ y
        }
        return diff == 0
    }
}
