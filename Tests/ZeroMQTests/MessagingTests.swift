import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// Frames that exercise the edge cases: empty frames, every byte value, and 1 MiB.
private func edgeCaseFrames() -> [[UInt8]] {
    let everyByte = (0...255).map { UInt8($0) }
    let large = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    return [[], bytes("hello"), everyByte, large, [0, 0, 0], []]
}

@Suite struct MessagingTests {
    @Test(arguments: ["inproc", "tcp"])
    func pushPullMultipartRoundTrip(transport: String) throws {
        let context = try ZMQContext()
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        try push.connect(try bindAnywhere(pull, transport: transport))

        let frames = edgeCaseFrames()
        #expect(try push.send(frames))
        #expect(try push.sendFrame(bytes("single")))
        try push.sendFrame(bytes("a"), more: true)
        try push.sendFrame([], more: true)
        try push.sendFrame(bytes("c"))

        #expect(try pull.receiveMessage() == frames)
        #expect(try pull.receiveMessage() == [bytes("single")])
        #expect(try pull.receiveMessage() == [bytes("a"), [], bytes("c")])
    }

    @Test(arguments: ["inproc", "tcp"])
    func dealerRouterRoundTrip(transport: String) throws {
        let context = try ZMQContext()
        let router = try makeSocket(context, .router)
        let dealer = try makeSocket(context, .dealer)
        let id = bytes("dealer-\(transport)")
        try dealer.setRoutingId(id)
        #expect(try dealer.routingId == id)
        try dealer.connect(try bindAnywhere(router, transport: transport))

        let request = edgeCaseFrames()
        try dealer.send(request)
        let received = try #require(try router.receiveMessage())
        #expect(received.first == id)
        #expect(Array(received.dropFirst()) == request)

        let reply: [[UInt8]] = [id, [], bytes("reply"), [0xFF, 0x00, 0x7F]]
        try router.send(reply)
        #expect(try dealer.receiveMessage() == Array(reply.dropFirst()))
    }

    @Test func zeroCopySendAndReceive() throws {
        let context = try ZMQContext()
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        try push.connect(try bindAnywhere(pull, transport: "inproc"))

        let first = bytes("raw buffer")
        try first.withUnsafeBytes { buffer in _ = try push.sendFrame(buffer, more: true) }
        let second: [UInt8] = [1, 2, 3, 4]
        try push.sendFrame(second.span, more: true)
        try push.sendFrame([])

        var seen: [([UInt8], Bool)] = []
        let received = try pull.receiveMessage { frame, more in seen.append(([UInt8](frame), more)) }
        #expect(received)
        #expect(seen.map(\.0) == [first, second, []])
        #expect(seen.map(\.1) == [true, true, false])
    }

    @Test func frameCallbackErrorStillConsumesWholeMessage() throws {
        let context = try ZMQContext()
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        try push.connect(try bindAnywhere(pull, transport: "inproc"))
        try push.send([bytes("one"), bytes("two"), bytes("three")])
        try push.send([bytes("next")])

        var calls = 0
        let error = #expect(throws: ZMQError.self) {
            try pull.receiveMessage { _, _ throws(ZMQError) in
                calls += 1
                throw ZMQError(code: EPROTO, operation: "test")
            }
        }
        #expect(error?.code == EPROTO)
        #expect(calls == 1)
        #expect(try pull.receiveMessage() == [bytes("next")])
    }

    @Test func pubSubFiltersByPrefixAndUnsubscribes() throws {
        let context = try ZMQContext()
        // XPUB hands subscriptions to the application, which tells the test exactly when
        // the filter is in place, without waiting blindly for the slow-joiner window.
        let publisher = try makeSocket(context, .xpub)
        let subscriber = try makeSocket(context, .sub)
        try subscriber.connect(try bindAnywhere(publisher, transport: "tcp"))

        try subscriber.subscribe("weather.")
        #expect(try publisher.receiveMessage() == [[1] + bytes("weather.")])

        for topic in ["sports.goal", "weather.rain", "traffic.jam", "weather.sun", "weathe"] {
            try publisher.send([bytes(topic), bytes("payload")])
        }
        #expect(try subscriber.receiveMessage() == [bytes("weather.rain"), bytes("payload")])
        #expect(try subscriber.receiveMessage() == [bytes("weather.sun"), bytes("payload")])

        try subscriber.unsubscribe("weather.")
        #expect(try publisher.receiveMessage() == [[0] + bytes("weather.")])
        try publisher.send([bytes("weather.snow")])
        try subscriber.setReceiveTimeout(milliseconds: 200)
        let error = #expect(throws: ZMQError.self) { try subscriber.receiveMessage() }
        #expect(error?.isWouldBlock == true)
    }

    @Test func dontWaitReportsNothingReadyWithoutThrowing() throws {
        let context = try ZMQContext()
        let pull = try makeSocket(context, .pull)
        try pull.bind(uniqueInproc())
        #expect(try pull.receiveMessage(dontWait: true) == nil)
        #expect(try pull.receiveMessage(dontWait: true) { _, _ in } == false)

        // A PUSH with no peer has nowhere to queue a message.
        let push = try makeSocket(context, .push)
        #expect(try push.send([bytes("x")], dontWait: true) == false)
        #expect(try push.sendFrame(bytes("x"), dontWait: true) == false)
    }

    @Test func receiveTimeoutThrowsWouldBlock() throws {
        let context = try ZMQContext()
        let pull = try makeSocket(context, .pull, timeout: 50)
        try pull.bind(uniqueInproc())
        let clock = ContinuousClock()
        let start = clock.now
        let error = #expect(throws: ZMQError.self) { try pull.receiveMessage() }
        #expect(error?.code == EAGAIN)
        #expect(error?.isWouldBlock == true)
        #expect(error?.operation == "zmq_msg_recv")
        #expect(clock.now - start >= .milliseconds(40))
    }

    @Test func highWaterMarkStopsSendsUntilPeerReads() throws {
        let context = try ZMQContext()
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push, timeout: 100)
        try pull.setReceiveHighWaterMark(2)
        try push.setSendHighWaterMark(2)
        try push.connect(try bindAnywhere(pull, transport: "inproc"))

        var accepted = 0
        while try push.send([bytes("m\(accepted)")], dontWait: true) {
            accepted += 1
            try #require(accepted < 1000, "high-water mark not enforced")
        }
        // inproc adds the two marks together: 2 + 2.
        #expect(accepted == 4)
        let error = #expect(throws: ZMQError.self) { try push.send([bytes("blocked")]) }
        #expect(error?.isWouldBlock == true)

        for index in 0..<accepted {
            #expect(try pull.receiveMessage() == [bytes("m\(index)")])
        }
        try push.setSendTimeout(milliseconds: 5000)
        #expect(try push.send([bytes("after drain")]))
        #expect(try pull.receiveMessage() == [bytes("after drain")])
    }

    @Test func routerMandatoryReportsUnknownPeer() throws {
        let context = try ZMQContext()
        let router = try makeSocket(context, .router)
        try router.setRouterMandatory(true)
        try router.bind(uniqueInproc())
        let error = #expect(throws: ZMQError.self) { try router.send([bytes("nobody"), bytes("x")]) }
        #expect(error?.isHostUnreachable == true)
    }

    @Test func emptyMessageIsRejected() throws {
        let context = try ZMQContext()
        let push = try makeSocket(context, .push)
        let error = #expect(throws: ZMQError.self) { try push.send([]) }
        #expect(error?.code == EINVAL)
    }
}
