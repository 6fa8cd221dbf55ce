import NIOCore
import NIOHTTP1

/// Holds the API's requests to its limits before they reach the routes, and turns the HTTP parser's errors
/// into answers: each refusal is sent in the API's error shape (made by `refusalResponse`) and the
/// connection closes. Sits between the HTTP/1 decoder and the request handling, on the connection's event
/// loop; it does no blocking work.
final class APIRequestGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let limits: APIServer.Limits
    private let refusalResponse: @Sendable (APIRefusal) -> APIResponse
    private let counted: @Sendable () -> Void
    /// Once a request is refused, nothing more is read from the connection.
    private var refused = false

    init(limits: APIServer.Limits, refusalResponse: @escaping @Sendable (APIRefusal) -> APIResponse, counted: @escaping @Sendable () -> Void) {
        self.limits = limits
        self.refusalResponse = refusalResponse
        self.counted = counted
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        if case .head(let head) = unwrapInboundIn(data), let refusal = Self.check(head, limits: limits) {
            refuse(refusal, head: head.method == .HEAD, context: context)
            return
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        if !refused { refuse(Self.refusal(for: parserError, limits: limits), head: false, context: context) }
    }

    /// Why `head` is refused, checked in the order a client can best act on; nil: it goes to the routes.
    static func check(_ head: HTTPRequestHead, limits: APIServer.Limits) -> APIRefusal? {
        if head.version.major != 1 || head.version.minor > 1 {
            return APIRefusal(status: 505, detail: "HTTP/\(head.version.major).\(head.version.minor) is not supported; use HTTP/1.1 or HTTP/1.0")
        }
        let requestLineBytes = head.method.rawValue.utf8.count + head.uri.utf8.count + 11
        if requestLineBytes > limits.maxHeaderBytes {
            return APIRefusal(status: 414, detail: "the request line is over the limit of \(limits.maxHeaderBytes) bytes")
        }
        let headerBytes = head.headers.reduce(requestLineBytes) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
        if headerBytes > limits.maxHeaderBytes {
            return APIRefusal(status: 431, detail: "the header section is over the limit of \(limits.maxHeaderBytes) bytes")
        }
        let hosts = head.headers["Host"].count
        if hosts > 1 || (head.version.minor == 1 && hosts == 0) {
            return APIRefusal(status: 400, detail: "an HTTP/1.1 request needs exactly one Host header")
        }
        let takesBody = limits.takesBody(method: head.method.rawValue, uri: head.uri)
        if !limits.allowedMethods.contains(head.method.rawValue) && !takesBody {
            return APIRefusal(
                status: 405, detail: "\(head.method.rawValue) is not supported; use \(limits.allowedMethods.joined(separator: " or "))",
                headers: ["Allow": limits.allowedMethods.joined(separator: ", ")])
        }
        let codings = head.headers[canonicalForm: "Transfer-Encoding"]
        if let last = codings.last {
            return last.lowercased() == "chunked"
                ? APIRefusal(status: 411, detail: "chunked request bodies are not accepted; send Content-Length")
                : APIRefusal(status: 501, detail: "transfer codings other than chunked are not implemented")
        }
        let maxBodyBytes = takesBody ? limits.maxBodyBytes : 0
        if let length = head.headers.first(name: "Content-Length"), (Int(length) ?? Int.max) > maxBodyBytes {
            return APIRefusal(status: 413, detail: "the body of \(length) bytes is over the limit of \(maxBodyBytes) bytes")
        }
        return nil
    }

    /// The answer to a request the HTTP parser could not read.
    static func refusal(for error: HTTPParserError, limits: APIServer.Limits) -> APIRefusal {
        switch error {
        case .headerOverflow:
            APIRefusal(status: 431, detail: "the header section is over the limit of \(limits.maxHeaderBytes) bytes")
        case .invalidVersion:
            APIRefusal(status: 505, detail: "this HTTP version is not supported; use HTTP/1.1 or HTTP/1.0")
        default:
            APIRefusal(status: 400, detail: "the request is not valid HTTP/1.1 (\(error))")
        }
    }

    private func refuse(_ refusal: APIRefusal, head isHead: Bool, context: ChannelHandlerContext) {
        refused = true
        counted()
        let response = refusalResponse(refusal)
        var headers = HTTPHeaders()
        for (name, value) in response.headers.sorted(by: { $0.key < $1.key }) { headers.add(name: name, value: value) }
        headers.replaceOrAdd(name: "Content-Length", value: "\(response.body.count)")
        headers.replaceOrAdd(name: "Server", value: "mqbridge")
        headers.replaceOrAdd(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers))), promise: nil)
        if !isHead {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        let channel = context.channel
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }
}
