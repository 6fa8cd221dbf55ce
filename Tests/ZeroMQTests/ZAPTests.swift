import Synchronization
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// The ZAP request and reply codec, without sockets.
@Suite struct ZAPCodecTests {
    static let key = [UInt8](0..<32)

    @Test func parsesACurveRequest() throws {
        let request = try ZAPRequest(frames: [
            bytes("1.0"), bytes("7"), bytes("hub.consumers"), bytes("127.0.0.1"), bytes("peer"), bytes("CURVE"), Self.key,
        ])
        #expect(request.requestId == bytes("7"))
        #expect(request.domain == "hub.consumers")
        #expect(request.address == "127.0.0.1")
        #expect(request.routingId == bytes("peer"))
        #expect(request.curvePublicKey == Self.key)
    }

    @Test func nullRequestsHaveNoCurveKey() throws {
        let request = try ZAPRequest(frames: [bytes("1.0"), bytes("1"), bytes("d"), bytes("::1"), [], bytes("NULL")])
        #expect(request.mechanism == "NULL")
        #expect(request.curvePublicKey == nil)
    }

    @Test(arguments: [
        ([[UInt8]](), [UInt8](), "at least 6 frames, found 0"),
        ([bytes("1.0"), bytes("9"), bytes("d")], bytes("9"), "at least 6 frames, found 3"),
        ([bytes("2.0"), bytes("9"), bytes("d"), [], [], bytes("NULL")], bytes("9"), "unsupported ZAP version '2.0'"),
        ([bytes("1.0"), bytes("9"), bytes("d"), [], [], bytes("CURVE"), [1, 2]], bytes("9"), "one 32-byte public key"),
        ([bytes("1.0"), bytes("9"), bytes("d"), [], [], bytes("CURVE")], bytes("9"), "one 32-byte public key"),
    ])
    func rejectsMalformedRequests(frames: [[UInt8]], requestId: [UInt8], reason: String) {
        let error = #expect(throws: ZAPRequest.MalformedError.self) { try ZAPRequest(frames: frames) }
        #expect(error?.requestId == requestId)
        #expect(error?.description.contains(reason) == true, "\(error?.description ?? "")")
    }

    @Test func replyFramesFollowRFC27() {
        let reply = ZAPReply(requestId: bytes("7"), status: .authenticationFailure, statusText: "unknown key", userId: "")
        #expect(reply.frames == [bytes("1.0"), bytes("7"), bytes("400"), bytes("unknown key"), [], []])
        #expect(ZAPReply(requestId: [], status: .success, userId: "u").frames[2] == bytes("200"))
    }
}

/// A real CURVE server whose context runs a ``ZAPHandler``: the handler decides who gets in.
@Suite struct ZAPHandlerTests {
    /// Counts requests and lets in only `allowed`.
    final class Decisions: Sendable {
        let allowed: [UInt8]
        let requests = Mutex<[ZAPRequest]>([])
        init(allowed: String) throws { self.allowed = try Z85.decode(allowed) }
        func decide(_ request: ZAPRequest) -> ZAPReply {
            requests.withLock { $0.append(request) }
            return ZAPReply(to: request, status: request.curvePublicKey == allowed ? .success : .authenticationFailure,
                            statusText: "decided", userId: "client")
        }
    }

    @Test func allowedKeyGetsInAndUnknownKeyIsRefusedWith400() throws {
        let serverKeys = try CurveKeyPair.generate()
        let allowed = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        let context = try ZMQContext()
        let decisions = try Decisions(allowed: allowed.publicKey)
        let zap = ZAPHandler(context: context, authenticate: decisions.decide)
        try zap.start()
        defer { zap.stop() }
        #expect(zap.isRunning)

        let server = try makeSocket(context, .router, timeout: 500)
        try server.makeCurveServer(secretKey: serverKeys.secretKey, zapDomain: "test.domain")
        let endpoint = try bindAnywhere(server, transport: "tcp")

        let good = try makeSocket(context, .dealer)
        try good.makeCurveClient(CurveClientKeys(serverPublicKey: serverKeys.publicKey, clientKeys: allowed))
        try good.connect(endpoint)
        try good.send([bytes("hello")])
        let received = try server.receiveMessage()
        #expect(received?.last == bytes("hello"))

        let bad = try makeSocket(context, .dealer)
        let monitorEndpoint = uniqueInproc()
        try bad.monitor(events: .handshakeFailed, endpoint: monitorEndpoint)
        let monitor = try makeSocket(context, .pair)
        try monitor.connect(monitorEndpoint)
        try bad.makeCurveClient(CurveClientKeys(serverPublicKey: serverKeys.publicKey, clientKeys: stranger))
        try bad.connect(endpoint)
        try bad.send([bytes("must not arrive")])
        let event = try #require(try ZMQMonitorEvent.receive(from: monitor))
        #expect(event.event == .handshakeFailedAuth)
        #expect(event.value == 400)
        #expect(throws: ZMQError.self) { try server.receiveMessage() }

        let requests = decisions.requests.withLock { $0 }
        #expect(requests.count == 2)
        #expect(requests.allSatisfy { $0.domain == "test.domain" && $0.mechanism == "CURVE" && $0.address == "127.0.0.1" })
        #expect(requests.last?.curvePublicKey == (try Z85.decode(stranger.publicKey)))
    }

    @Test func oneHandlerPerContextAndRestartable() throws {
        let context = try ZMQContext()
        let first = ZAPHandler(context: context) { ZAPReply(to: $0, status: .success) }
        try first.start()
        let second = ZAPHandler(context: context) { ZAPReply(to: $0, status: .success) }
        let error = #expect(throws: ZMQError.self) { try second.start() }
        #expect(error?.code == EADDRINUSE)
        #expect(!second.isRunning)
        first.stop()
        first.stop()
        // Stopping releases the endpoint at once (libzmq frees a closed socket's inproc name only later).
        for _ in 0..<50 {
            try second.start()
            second.stop()
            try first.start()
            first.stop()
        }
    }

    /// `inproc://` has no handshake: a CURVE server's inproc peers are neither encrypted nor asked about,
    /// which is why the bridge documents inproc as plain.
    @Test func inprocPeersBypassCurve() throws {
        let serverKeys = try CurveKeyPair.generate()
        let context = try ZMQContext()
        let decisions = try Decisions(allowed: serverKeys.publicKey)
        let zap = ZAPHandler(context: context, authenticate: decisions.decide)
        try zap.start()
        defer { zap.stop() }
        let server = try makeSocket(context, .router)
        try server.makeCurveServer(secretKey: serverKeys.secretKey, zapDomain: "d")
        let endpoint = try bindAnywhere(server, transport: "inproc")
        let plain = try makeSocket(context, .dealer)
        try plain.connect(endpoint)
        try plain.send([bytes("plain")])
        #expect(try server.receiveMessage()?.last == bytes("plain"))
        #expect(decisions.requests.withLock { $0.isEmpty })
    }
}
