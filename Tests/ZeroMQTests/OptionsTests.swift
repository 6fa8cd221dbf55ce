import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

@Suite struct OptionsTests {
    @Test func lingerDefaultsToZero() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .push)
        #expect(try socket.linger == 0)
        try socket.setLinger(milliseconds: 250)
        #expect(try socket.linger == 250)
    }

    @Test func integerAndBooleanOptionsRoundTrip() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setSendHighWaterMark(123)
        try socket.setReceiveHighWaterMark(456)
        try socket.setReceiveTimeout(milliseconds: 789)
        try socket.setSendTimeout(milliseconds: 1011)
        try socket.setImmediate(true)
        try socket.setMaxMessageSize(1 << 33)
        try socket.setReconnectInterval(milliseconds: 50)
        try socket.setReconnectIntervalMax(milliseconds: 5000)
        try socket.setHeartbeatInterval(milliseconds: 1000)
        try socket.setHeartbeatTimeout(milliseconds: 3000)
        try socket.setHeartbeatTTL(milliseconds: 6000)
        try socket.setIPv6(true)
        try socket.setProbeRouter(true)

        #expect(try socket.sendHighWaterMark == 123)
        #expect(try socket.receiveHighWaterMark == 456)
        #expect(try socket.receiveTimeout == 789)
        #expect(try socket.sendTimeout == 1011)
        #expect(try socket.immediate)
        #expect(try socket.maxMessageSize == 1 << 33)
        #expect(try socket.reconnectInterval == 50)
        #expect(try socket.reconnectIntervalMax == 5000)
        #expect(try socket.heartbeatInterval == 1000)
        #expect(try socket.heartbeatTimeout == 3000)
        #expect(try socket.heartbeatTTL == 6000)
        #expect(try socket.ipv6)
    }

    @Test func tcpKeepaliveUsesNilForSystemDefault() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .dealer)
        #expect(try socket.tcpKeepalive == nil)
        try socket.setTCPKeepalive(true)
        #expect(try socket.tcpKeepalive == true)
        try socket.setTCPKeepalive(false)
        #expect(try socket.tcpKeepalive == false)
    }

    @Test func outOfRangeValuesAreRejected() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .dealer)
        let error = #expect(throws: ZMQError.self) { try socket.setSendHighWaterMark(Int(Int32.max) + 1) }
        #expect(error?.code == EINVAL)
        #expect(error?.operation == "zmq_setsockopt(ZMQ_SNDHWM)")
        let routingError = #expect(throws: ZMQError.self) { try socket.setRoutingId([UInt8](repeating: 1, count: 256)) }
        #expect(routingError?.code == EINVAL)
    }

    @Test func lastEndpointResolvesWildcardPort() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .pull)
        #expect(try socket.lastEndpoint == "")
        try socket.bind("tcp://127.0.0.1:*")
        let endpoint = try socket.lastEndpoint
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        let port = try #require(Int(endpoint.dropFirst("tcp://127.0.0.1:".count)))
        #expect(port > 0)
    }

    @Test func eventsAndFileDescriptorReflectQueueState() throws {
        let context = try ZMQContext()
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        try push.connect(try bindAnywhere(pull, transport: "inproc"))
        #expect(try pull.fileDescriptor >= 0)
        #expect(try pull.events == [])
        #expect(try push.events.contains(.writable))
        try push.send([bytes("ping")])
        // Receiving with a timeout proves the message is there; then events must agree
        // for the next one.
        try push.send([bytes("pong")])
        #expect(try pull.receiveMessage() == [bytes("ping")])
        #expect(try pull.events.contains(.readable))
        #expect(try pull.receiveMessage() == [bytes("pong")])
        #expect(try pull.events.contains(.readable) == false)
    }

    @Test func securityOptionsRoundTrip() throws {
        try #require(ZMQ.has("curve"))
        let keys = try CurveKeyPair.generate()
        let server = try CurveKeyPair.generate()
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .dealer)
        #expect(try socket.curveServer == false)
        try socket.setCurveServer(true)
        #expect(try socket.curveServer)
        try socket.setCurveServer(false)
        try socket.setCurvePublicKey(keys.publicKey)
        try socket.setCurveSecretKey(keys.secretKey)
        try socket.setCurveServerKey(server.publicKey)
        #expect(try socket.curvePublicKey == keys.publicKey)
        #expect(try socket.curveServerKey == server.publicKey)
        try socket.setZapDomain("bridge")
        #expect(try socket.zapDomain == "bridge")
        let error = #expect(throws: ZMQError.self) { try socket.setCurveServerKey("too-short") }
        #expect(error?.code == EINVAL)
    }
}
