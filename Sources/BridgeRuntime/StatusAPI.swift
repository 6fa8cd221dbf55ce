import BridgeCore
import BridgePresence
import Foundation
import APIServer
import Logging
import Synchronization

/// The HTTP API's routes (README "HTTP API"): online-status queries with ApsaraMQ's OpenAPI names, one
/// client's channels, and health. Answers on the API server's thread; every answer is a read of the
/// presence view under its lock, or the hub's counters, which wait at most `HubService.countersTimeout`
/// (the server runs handlers on a queue of its own, never on an event loop).
public struct StatusAPI: Sendable {
    /// Most client IDs one `BatchQuerySessionByClientIds` call may name.
    public static let maxBatch = 500
    /// The methods the API takes; the server refuses others (405) before looking at a body.
    public static let allowedMethods = ["GET", "HEAD"]

    /// The console's data (README "Console"): its state as JSON, and the "try a message" form.
    public struct Console: Sendable {
        public let state: @Sendable () throws(ServiceUnavailable) -> String
        public let translate: @Sendable ([UInt8]) -> (status: Int, json: String)
        /// How often `/console/events` sends the state.
        public let interval: Duration
        /// Event streams open now: a bound on the work they cause, each reading the state once a second.
        let streams = OpenStreams(limit: 64)

        public init(interval: Duration = .seconds(1), state: @escaping @Sendable () throws(ServiceUnavailable) -> String,
                    translate: @escaping @Sendable ([UInt8]) -> (status: Int, json: String)) {
            self.interval = interval
            self.state = state
            self.translate = translate
        }
    }

    /// The one path that takes `POST`: the console's form.
    static let translatePath = "/console/translate"

    let presence: PresenceService?
    let healthCheck: @Sendable () -> HealthReport
    /// The Prometheus text for `/metrics`; nil: no such route. ``ServiceUnavailable`` is answered 503.
    let metrics: (@Sendable () throws(ServiceUnavailable) -> String)?
    /// The console's routes; nil: none.
    let console: Console?
    /// `api.token`: when set, every route asks for it.
    let token: String?

    public init(presence: PresenceService?, health: @escaping @Sendable () -> HealthReport = { HealthReport(checks: []) },
                metrics: (@Sendable () throws(ServiceUnavailable) -> String)? = nil, console: Console? = nil, token: String? = nil) {
        self.presence = presence
        self.healthCheck = health
        self.metrics = metrics
        self.console = console
        self.token = token
    }

    /// The API's HTTP server: these routes, only GET and HEAD (and POST for the console's form), and every
    /// answer the server gives on its own (a request it cannot parse, one too large, 405, 408, 503 …) in the
    /// same JSON error shape as the routes'.
    public func server(host: String, port: Int, logger: Logger) -> APIServer {
        let limits = APIServer.Limits(
            allowedMethods: Self.allowedMethods, postPaths: console == nil ? [] : [Self.translatePath],
            maxBodyBytes: ConsoleTranslate.maxRequestBytes)
        return APIServer(host: host, port: port, limits: limits, logger: logger, refusalResponse: refusal, handler: handle)
    }

    public func handle(_ request: APIRequest) -> APIResponse {
        let requestId = UUID().uuidString
        let isForm = console != nil && request.path == Self.translatePath
        guard Self.allowedMethods.contains(request.method) || (isForm && request.method == "POST") else {
            var response = error(405, requestId, "MethodNotAllowed", "\(request.method) is not supported; use GET")
            response.headers["Allow"] = Self.allowedMethods.joined(separator: ", ")
            return response
        }
        if let token, !Self.presents(token, in: request) {
            var response = error(
                401, requestId, "Unauthorized",
                "this API asks for its token (api.token): send 'Authorization: Bearer <token>' or add ?token=<token> to the URL")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        }
        if let console, let response = consoleRoute(request, console, requestId) {
            return response
        }
        let clientsPrefix = "/v1/clients/"
        switch request.path {
        case "/":
            return action(request, requestId)
        case "/healthz":
            return health()
        case "/metrics" where metrics != nil:
            do {
                return .text(status: 200, body: try metrics!(), contentType: "text/plain; version=0.0.4; charset=utf-8")
            } catch {
                return self.error(503, requestId, "ServiceUnavailable", error.reason)
            }
        case let path where path.hasPrefix(clientsPrefix):
            return clientDetails(String(path.dropFirst(clientsPrefix.count)), requestId)
        default:
            return error(404, requestId, "NotFound", "no such resource: \(request.path) (try /?Action=QuerySessionByClientId&ClientId=…)")
        }
    }

    // MARK: - Routes

    /// Whether the request carries `token`, as a bearer token or a `token` query parameter (an
    /// `EventSource` cannot set headers). Compared in constant time.
    static func presents(_ token: String, in request: APIRequest) -> Bool {
        var offered: [String] = request.query.filter { $0.name == "token" }.map(\.value)
        if let authorization = request.header("Authorization"), authorization.lowercased().hasPrefix("bearer ") {
            offered.append(String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        }
        let expected = Array(token.utf8)
        return offered.contains { candidate in
            let bytes = Array(candidate.utf8)
            guard bytes.count == expected.count else { return false }
            return zip(bytes, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
        }
    }

    /// The console's routes: the page at `/` (a request with no parameters but `token`), its state, its event
    /// stream and its form. nil: not one of them.
    private func consoleRoute(_ request: APIRequest, _ console: Console, _ requestId: String) -> APIResponse? {
        switch request.path {
        case "/" where request.query.allSatisfy({ $0.name == "token" }):
            return APIResponse(
                status: 200, headers: ["Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"],
                body: Array(ConsolePage.html.utf8))
        case "/console/state":
            do {
                return .json(status: 200, body: try console.state())
            } catch {
                return self.error(503, requestId, "ServiceUnavailable", error.reason)
            }
        case "/console/events":
            guard console.streams.open() else {
                return error(503, requestId, "ServiceUnavailable", "\(console.streams.limit) console event streams are open already; close one or poll /console/state")
            }
            let events = ConsoleEvents(console)
            return APIResponse(
                status: 200, headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-cache"],
                stream: APIStream(pause: console.interval, next: events.next))
        case Self.translatePath:
            guard request.method == "POST" else {
                var response = error(405, requestId, "MethodNotAllowed", "send the message to translate with POST")
                response.headers["Allow"] = "POST"
                return response
            }
            let answer = console.translate(request.body)
            return .json(status: answer.status, body: answer.json)
        default:
            return nil
        }
    }

    private func action(_ request: APIRequest, _ requestId: String) -> APIResponse {
        guard let action = request.queryValue("Action"), !action.isEmpty else {
            return error(400, requestId, "MissingParameter.Action", "the Action parameter is required (QuerySessionByClientId or BatchQuerySessionByClientIds)")
        }
        switch action {
        case "QuerySessionByClientId":
            return querySession(request, requestId)
        case "BatchQuerySessionByClientIds":
            return batchQuerySession(request, requestId)
        default:
            return error(400, requestId, "InvalidAction", "Action '\(action)' is not one of QuerySessionByClientId, BatchQuerySessionByClientIds")
        }
    }

    private func querySession(_ request: APIRequest, _ requestId: String) -> APIResponse {
        guard let clientId = request.queryValue("ClientId") else {
            return error(400, requestId, "MissingParameter.ClientId", "the ClientId parameter is required")
        }
        guard !clientId.isEmpty else {
            return error(400, requestId, "InvalidParameter.ClientId", "ClientId is empty")
        }
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("RequestId", requestId)
        writer.key("OnlineStatus")
        writer.bool(presence?.isOnline(clientId) ?? false)
        writer.endObject()
        return .json(status: 200, body: writer.text)
    }

    private func batchQuerySession(_ request: APIRequest, _ requestId: String) -> APIResponse {
        let prefix = "ClientIdList."
        var indexed: [(index: Int, clientId: String)] = []
        for (name, value) in request.query where name.hasPrefix(prefix) {
            let suffix = name.dropFirst(prefix.count)
            guard let index = Int(suffix), index >= 1, String(index) == suffix else {
                return error(400, requestId, "InvalidParameter.ClientIdList", "parameter \(name): the number after ClientIdList. must be 1, 2, 3, …")
            }
            guard !value.isEmpty else {
                return error(400, requestId, "InvalidParameter.ClientIdList", "\(name) is empty")
            }
            if indexed.contains(where: { $0.index == index }) {
                return error(400, requestId, "InvalidParameter.ClientIdList", "\(name) is given twice")
            }
            indexed.append((index, value))
        }
        guard !indexed.isEmpty else {
            return error(400, requestId, "MissingParameter.ClientIdList", "name the clients as ClientIdList.1=…&ClientIdList.2=…")
        }
        guard indexed.count <= Self.maxBatch else {
            return error(400, requestId, "InvalidParameter.ClientIdList", "\(indexed.count) client IDs in one call; at most \(Self.maxBatch)")
        }
        indexed.sort { $0.index < $1.index }
        // Numbered 1, 2, 3, … without gaps: a missing number is most likely a client ID lost on the way.
        if let gap = indexed.enumerated().first(where: { $0.element.index != $0.offset + 1 }) {
            return error(
                400, requestId, "InvalidParameter.ClientIdList",
                "ClientIdList.\(gap.offset + 1) is missing: number the client IDs 1, 2, 3, … without gaps")
        }
        let clientIds = indexed.map(\.clientId)
        let online = presence?.areOnline(clientIds) ?? Array(repeating: false, count: clientIds.count)
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("RequestId", requestId)
        writer.key("OnlineStatusList")
        writer.beginArray()
        for (clientId, isOnline) in zip(clientIds, online) {
            writer.beginObject()
            writer.field("ClientId", clientId)
            writer.key("OnlineStatus")
            writer.bool(isOnline)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return .json(status: 200, body: writer.text)
    }

    private func clientDetails(_ clientId: String, _ requestId: String) -> APIResponse {
        guard !clientId.isEmpty else {
            return error(400, requestId, "InvalidParameter.ClientId", "name a client: /v1/clients/<clientId>")
        }
        guard let view = presence?.client(clientId) else {
            return error(404, requestId, "ClientNotFound", "no status event has been seen for client '\(clientId)'")
        }
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("clientId", clientId)
        writer.key("online")
        writer.bool(view.isOnline)
        writer.key("channels")
        writer.beginArray()
        for channel in view.openChannels {
            writer.beginObject()
            writer.field("channelId", channel.channelId)
            writer.field("clientIp", channel.clientIp)
            writer.key("connectedAt")
            writer.number(channel.connectedAt)
            writer.endObject()
        }
        writer.endArray()
        writer.key("lastEvent")
        view.lastEvent.write(to: &writer)
        writer.endObject()
        return .json(status: 200, body: writer.text)
    }

    /// 200 with `"status":"ok"` when every check passes, 503 with `"status":"unavailable"` otherwise.
    private func health() -> APIResponse {
        let report = healthCheck()
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("status", report.healthy ? "ok" : "unavailable")
        writer.key("checks")
        writer.beginObject()
        for check in report.checks {
            writer.key(check.name)
            writer.beginObject()
            writer.key("ok")
            writer.bool(check.ok)
            writer.field("detail", check.detail)
            writer.endObject()
        }
        writer.endObject()
        writer.field("statusSource", presence?.source.rawValue ?? "none")
        writer.key("trackedClients")
        writer.number(Int64(presence?.trackedClients ?? 0))
        if !report.healthy {
            // An error answer like every other: RequestId, Code and Message beside the checks.
            writer.field("RequestId", UUID().uuidString)
            writer.field("Code", "ServiceUnavailable")
            let failing = report.checks.filter { !$0.ok }.map { "\($0.name): \($0.detail)" }
            writer.field("Message", failing.joined(separator: "; "))
        }
        writer.endObject()
        return .json(status: report.healthy ? 200 : 503, body: writer.text)
    }

    /// An answer the HTTP server gives on its own, in the API's error shape, keeping the refusal's fields
    /// (`Allow` of a 405).
    public func refusal(_ refusal: APIRefusal) -> APIResponse {
        var response = error(refusal.status, UUID().uuidString, Self.refusalCode(refusal.status), refusal.detail)
        response.headers.merge(refusal.headers) { _, new in new }
        return response
    }

    /// The `Code` of an answer the server gives on its own, after its status.
    static func refusalCode(_ status: Int) -> String {
        switch status {
        case 400: "BadRequest"
        case 405: "MethodNotAllowed"
        case 408: "RequestTimeout"
        case 411: "LengthRequired"
        case 413: "PayloadTooLarge"
        case 414: "URITooLong"
        case 431: "RequestHeaderFieldsTooLarge"
        case 500: "InternalError"
        case 501: "NotImplemented"
        case 503: "ServiceUnavailable"
        case 505: "HTTPVersionNotSupported"
        default: "HTTP\(status)"
        }
    }

    private func error(_ status: Int, _ requestId: String, _ code: String, _ message: String) -> APIResponse {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("RequestId", requestId)
        writer.field("Code", code)
        writer.field("Message", message)
        writer.endObject()
        return .json(status: status, body: writer.text)
    }
}

/// A part of the bridge that an answer needs did not respond in time; the API answers 503 with `reason`.
public struct ServiceUnavailable: Error, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// What `/healthz` reports: each check with its verdict and a detail for people.
public struct HealthReport: Sendable {
    public struct Check: Sendable {
        public var name: String
        public var ok: Bool
        public var detail: String

        public init(name: String, ok: Bool, detail: String) {
            self.name = name
            self.ok = ok
            self.detail = detail
        }
    }

    public var checks: [Check]
    public var healthy: Bool { checks.allSatisfy(\.ok) }

    public init(checks: [Check]) {
        self.checks = checks
    }
}

/// One client's `/console/events` stream: a `state` event at once, then one every `interval` (the server
/// waits between them); while the hub does not answer, an `unavailable` event with the reason instead.
/// Server-Sent Events framing: the JSON is on one line, so each event is `event: …`, `data: …` and a blank line.
final class ConsoleEvents: Sendable {
    private let console: StatusAPI.Console

    /// Counts as one of `console.streams` from here until the server lets go of the stream.
    init(_ console: StatusAPI.Console) {
        self.console = console
    }

    deinit { console.streams.close() }

    /// The next event. Never ends by itself: the server stops calling when the client goes away.
    @Sendable func next() -> [UInt8]? {
        do {
            return Array("event: state\ndata: \(try console.state())\n\n".utf8)
        } catch {
            var writer = JSONWriter()
            writer.beginObject()
            writer.field("reason", error.reason)
            writer.endObject()
            return Array("event: unavailable\ndata: \(writer.text)\n\n".utf8)
        }
    }
}

/// How many console event streams are open, up to a limit.
final class OpenStreams: Sendable {
    let limit: Int
    private let count = Mutex(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a place; false when `limit` streams are open.
    func open() -> Bool {
        count.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func close() {
        count.withLock { $0 -= 1 }
    }
}
