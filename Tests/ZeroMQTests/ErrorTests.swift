import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ErrorTests {
    @Test func malformedEndpointThrowsEINVALWithDescription() throws {
        let context = try ZMQContext()
        let socket = try makeSocket(context, .dealer)
        let error = try #require(#expect(throws: ZMQError.self) { try socket.connect("nonsense") })
        #expect(error.code == EINVAL)
        #expect(error.operation == "zmq_connect")
        #expect(error.message == String(cString: strerror(EINVAL)))
        #expect(error.description.contains("zmq_connect"))
        #expect(error.description.contains("errno \(EINVAL)"))
    }

    @Test func unknownTransportThrowsEPROTONOSUPPORT() throws {
        let context = try ZMQContext()
        let socket = try makeSocket(context, .dealer)
        let error = #expect(throws: ZMQError.self) { try socket.bind("bogus://127.0.0.1:1") }
        #expect(error?.code == EPROTONOSUPPORT)
        #expect(error?.operation == "zmq_bind")
    }

    @Test func closedSocketThrowsAndCloseIsIdempotent() throws {
        let context = try ZMQContext()
        let socket = try makeSocket(context, .push)
        #expect(!socket.isClosed)
        socket.close()
        socket.close()
        #expect(socket.isClosed)

        let sendError = #expect(throws: ZMQError.self) { try socket.send([bytes("x")]) }
        #expect(sendError?.isClosedSocket == true)
        #expect(sendError?.code == ENOTSOCK)
        let bindError = #expect(throws: ZMQError.self) { try socket.bind(uniqueInproc()) }
        #expect(bindError?.isClosedSocket == true)
        #expect(throws: ZMQError.self) { try socket.receiveMessage(dontWait: true) }
        #expect(throws: ZMQError.self) { try socket.setLinger(milliseconds: 10) }
        #expect(throws: ZMQError.self) { try socket.lastEndpoint }
    }

    @Test func bindingAPortInUseThrowsEADDRINUSE() throws {
        let context = try ZMQContext()
        let first = try makeSocket(context, .pull)
        try first.bind("tcp://127.0.0.1:*")
        let endpoint = try first.lastEndpoint
        let second = try makeSocket(context, .pull)
        let error = #expect(throws: ZMQError.self) { try second.bind(endpoint) }
        #expect(error?.code == EADDRINUSE)
    }

    @Test func duplicateInprocNameThrowsEADDRINUSE() throws {
        let context = try ZMQContext()
        let endpoint = uniqueInproc()
        let first = try makeSocket(context, .pull)
        try first.bind(endpoint)
        let second = try makeSocket(context, .pull)
        let error = #expect(throws: ZMQError.self) { try second.bind(endpoint) }
        #expect(error?.code == EADDRINUSE)
    }

    @Test func requestSocketOutOfSequenceIsInvalidState() throws {
        let context = try ZMQContext()
        let rep = try makeSocket(context, .rep)
        let req = try makeSocket(context, .req)
        try req.connect(try bindAnywhere(rep, transport: "inproc"))
        try req.send([bytes("first")])
        let error = #expect(throws: ZMQError.self) { try req.send([bytes("second")]) }
        #expect(error?.isInvalidState == true)
        #expect(try rep.receiveMessage() == [bytes("first")])
    }

    @Test func unbindAndDisconnectRejectUnknownEndpoints() throws {
        let context = try ZMQContext()
        let socket = try makeSocket(context, .pull)
        try socket.bind("tcp://127.0.0.1:*")
        let endpoint = try socket.lastEndpoint
        try socket.unbind(endpoint)
        let unbindError = #expect(throws: ZMQError.self) { try socket.unbind(endpoint) }
        #expect(unbindError?.code == ENOENT)
        let disconnectError = #expect(throws: ZMQError.self) { try socket.disconnect("tcp://127.0.0.1:9") }
        #expect(disconnectError?.code == ENOENT)
    }
}
