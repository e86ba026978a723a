import Foundation
import Hummingbird
import NIOCore
import TracespoolJobs

/// The reference's envelope (README "HTTP API"): `{"success":true,"data":…,"meta":{…}}` and
/// `{"success":false,"error":{"code":…,"message":…},"meta":{…}}` — for every answer but streams,
/// CSV and the health, metrics and OpenAPI routes.
enum APIEnvelope {
    static func meta(_ extra: [String: Any] = [:]) -> String {
        var more = ""
        for (k, v) in extra.sorted(by: { $0.key < $1.key }) { more += ",\(serialise(k)):\(serialise(v))" }
        return "{\"timestamp\":\"\(UTCTime.iso(Date()))\",\"app_version\":\"\(TracespoolVersion.current)\"\(more)}"
    }

    /// `data` is already-serialised JSON (a page rendered straight from the spool, or an object).
    static func success(dataJSON: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        json("{\"success\":true,\"data\":\(dataJSON),\"meta\":\(meta())}", status: status, headers: headers)
    }

    static func success(_ object: Any, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        success(dataJSON: serialise(object), status: status, headers: headers)
    }

    static func failure(code: String, message: String, extra: [String: Any] = [:], status: HTTPResponse.Status,
                        headers: HTTPFields = [:], meta extraMeta: [String: Any] = [:]) -> Response {
        var error: [String: Any] = ["code": code, "message": message]
        for (k, v) in extra { error[k] = v }
        return json("{\"success\":false,\"error\":\(serialise(error)),\"meta\":\(meta(extraMeta))}", status: status, headers: headers)
    }

    static func serialise(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    static func json(_ text: String, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        json(ByteBuffer(string: text), status: status, headers: headers)
    }

    static func json(_ body: ByteBuffer, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        var h = headers
        h[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: h, body: ResponseBody(byteBuffer: body))
    }

    /// A whole envelope already written into buffers (a `rows` page: `ByteBufferSink`).
    static func json(_ body: [ByteBuffer], status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: ResponseBody(contentsOf: body))
    }
}
