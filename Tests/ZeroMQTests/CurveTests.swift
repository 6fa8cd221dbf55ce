import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

@Suite(.enabled(if: ZMQ.has("curve"))) struct CurveTests {
    @Test func generatedKeysAreConsistentAndRoundTripThroughZ85() throws {
        let keys = try CurveKeyPair.generate()
        let other = try CurveKeyPair.generate()
        #expect(keys.publicKey.utf8.count == 40)
        #expect(keys.secretKey.utf8.count == 40)
        #expect(keys.publicKey != other.publicKey)
        #expect(try CurveKeyPair.publicKey(fromSecret: keys.secretKey) == keys.publicKey)
        #expect(!keys.description.contains(keys.secretKey))

        let raw = try Z85.decode(keys.publicKey)
        #expect(raw.count == 32)
        #expect(try Z85.encode(raw) == keys.publicKey)
    }

    @Test func z85MatchesTheSpecificationVector() throws {
        let bytes: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        #expect(try Z85.encode(bytes) == "HelloWorld")
        #expect(try Z85.decode("HelloWorld") == bytes)
        #expect(try Z85.encode([]) == "")
        #expect(try Z85.decode("") == [])
        let every = (0..<256).map { UInt8($0) }
        #expect(try Z85.decode(try Z85.encode(every)) == every)
    }

    @Test(arguments: ["abcd", "HelloWorl", "Hello\"orld", "#####", "Hello\u{0}orld"])
    func z85RejectsMalformedText(text: String) {
        let error = #expect(throws: ZMQError.self) { try Z85.decode(text) }
        #expect(error?.code == EINVAL)
    }

    @Test func z85RejectsLengthsThatAreNotWholeGroups() {
        let error = #expect(throws: ZMQError.self) { try Z85.encode([1, 2, 3]) }
        #expect(error?.code == EINVAL)
        #expect(throws: ZMQError.self) { try CurveKeyPair.publicKey(fromSecret: "short") }
        #expect(throws: ZMQError.self) {
            try CurveKeyPair.publicKey(fromSecret: String(repeating: "\"", count: 40))
        }
    }

    @Test func encryptedRoundTripWithCorrectKeys() throws {
        let serverKeys = try CurveKeyPair.generate()
        let clientKeys = try CurveKeyPair.generate()
        let context = try ZMQContext()
        let server = try makeSocket(context, .router)
        try server.setCurveServer(true)
        try server.setCurveSecretKey(serverKeys.secretKey)
        let endpoint = try bindAnywhere(server, transport: "tcp")

        let client = try makeSocket(context, .dealer)
        try client.setCurveServerKey(serverKeys.publicKey)
        try client.setCurvePublicKey(clientKeys.publicKey)
        try client.setCurveSecretKey(clientKeys.secretKey)
        try client.setRoutingId(bytes("curve-client"))
        try client.connect(endpoint)

        try client.send([bytes("encrypted"), [0, 1, 2]])
        #expect(try server.receiveMessage() == [bytes("curve-client"), bytes("encrypted"), [0, 1, 2]])
        try server.send([bytes("curve-client"), bytes("reply")])
        #expect(try client.receiveMessage() == [bytes("reply")])
    }

    @Test func wrongServerKeyNeverDeliversAMessage() throws {
        let serverKeys = try CurveKeyPair.generate()
        let clientKeys = try CurveKeyPair.generate()
        let impostor = try CurveKeyPair.generate()
        let context = try ZMQContext()
        let server = try makeSocket(context, .pull, timeout: 300)
        try server.setCurveServer(true)
        try server.setCurveSecretKey(serverKeys.secretKey)
        let monitorEndpoint = uniqueInproc()
        try server.monitor(events: .handshakeFailed, endpoint: monitorEndpoint)
        let monitor = try makeSocket(context, .pair)
        try monitor.connect(monitorEndpoint)
        let endpoint = try bindAnywhere(server, transport: "tcp")

        let client = try makeSocket(context, .push)
        try client.setCurveServerKey(impostor.publicKey)
        try client.setCurvePublicKey(clientKeys.publicKey)
        try client.setCurveSecretKey(clientKeys.secretKey)
        try client.connect(endpoint)
        try client.send([bytes("must not arrive")])

        // The server saw the client and refused it...
        let event = try #require(try ZMQMonitorEvent.receive(from: monitor))
        #expect(ZMQMonitorEvents.handshakeFailed.contains(event.event))
        #expect(event.endpoint.hasPrefix("tcp://127.0.0.1:"))
        // ...and nothing got through.
        let error = #expect(throws: ZMQError.self) { try server.receiveMessage() }
        #expect(error?.isWouldBlock == true)
    }
}
