import Dispatch
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import ServiceLifecycle

/// Hands each request to the server's handler on its blocking queue and turns the answer into
/// Hummingbird's response; the request's task waits on a continuation, holding no thread.
struct APIResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let server: APIServer

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        server.countRequest()
        let method = request.method.rawValue
        let target = request.head.path ?? "/"
        let headers = request.headers.map { (name: $0.name.rawName, value: $0.value) }
        // The gate refused a body over the limit by its Content-Length; this reads what was sent.
        let body = server.limits.takesBody(method: method, uri: target)
            ? Array(buffer: try await request.body.collect(upTo: server.limits.maxBodyBytes)) : []
        let handler = server.handler
        let refusalResponse = server.refusalResponse
        let answer = await blocking {
            do throws(APIRefusal) {
                return handler(try APIRequest(method: method, target: target, headers: headers, body: body))
            } catch {
                return refusalResponse(error)
            }
        }
        var fields = HTTPFields()
        for (name, value) in answer.headers.sorted(by: { $0.key < $1.key }) {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        let status = HTTPResponse.Status(code: answer.status)
        if let stream = answer.stream, method != "HEAD" {
            return Response(status: status, headers: fields, body: ResponseBody { writer in
                while !Task.isCancelled, !Task.isShuttingDownGracefully, let piece = await blocking(stream.next) {
                    try await writer.write(ByteBuffer(bytes: piece))
                    if stream.pause > .zero { try await Task.sleep(for: stream.pause) }
                }
                try await writer.finish(nil)
            })
        }
        let response = Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
        return method == "HEAD" ? response.createHeadResponse() : response
    }

    /// Runs `work` on the server's blocking queue and waits for it without holding a thread.
    private func blocking<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            server.blockingQueue.async { continuation.resume(returning: work()) }
        }
    }
}
