import Foundation
import Hummingbird
import NIOCore
import TracespoolJobs
import TracespoolSource

/// `/healthz` (the process answers), `/readyz` (the store is writable and the warehouse answers),
/// `/metrics` (Prometheus text) and `/openapi.yaml`.
enum HealthAPI {
    static func register(_ router: Router<BasicRequestContext>, _ s: APIServices, metrics: APIMetrics) {
        router.get("/healthz") { _, _ -> Response in
            APIEnvelope.success(["status": "ok"] as [String: Any])
        }

        router.get("/readyz") { _, _ -> Response in
            let (store, warehouse) = await SpoolWork.readiness(s)
            let ready = store == nil && warehouse == nil
            let checks: [String: Any] = ["store": store ?? "ok", "warehouse": warehouse ?? "ok"]
            if ready { return APIEnvelope.success(["status": "ready", "checks": checks] as [String: Any]) }
            return APIEnvelope.failure(code: "NOT_READY", message: [store, warehouse].compactMap { $0 }.joined(separator: "; "),
                                       extra: ["checks": checks], status: .serviceUnavailable, headers: [.retryAfter: "5"])
        }

        router.get("/metrics") { _, _ -> Response in
            let text = try await SpoolWork.run { try metrics.render(s) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }

        router.get("/openapi.yaml") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
    }
}

extension SpoolWork {
    /// nil when fine, else why not.
    static func readiness(_ s: APIServices) async -> (String?, String?) {
        var store: String?
        do {
            store = try await run { () -> String? in
                guard FileManager.default.isWritableFile(atPath: s.settings.spoolDir) else { return "the spool folder is not writable" }
                try s.store.checkWritable()
                return nil
            }
        } catch { store = "the job store takes no writes: \(APIError.from(error).code)" }
        var warehouse: String?
        do {
            warehouse = try await run { () -> String? in
                do {
                    let c = try PGConnection(conninfo: s.settings.conninfo + " connect_timeout=3")
                    defer { c.close() }
                    _ = try c.query("SELECT 1")
                    return nil
                } catch let e as SourceError {
                    return "warehouse: \(e.code)"
                }
            }
        } catch { warehouse = "warehouse: \(APIError.from(error).code)" }
        return (store, warehouse)
    }
}
