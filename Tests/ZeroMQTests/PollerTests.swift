import TestSupport
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

@Suite struct PollerTests {
    @Test func reportsOnlyTheReadySocket() throws {
        let context = try ZMQContext()
        let pullA = try makeSocket(context, .pull)
        let pullB = try makeSocket(context, .pull)
        let pushA = try makeSocket(context, .push)
        let pushB = try makeSocket(context, .push)
        try pushA.connect(try bindAnywhere(pullA, transport: "inproc"))
        try pushB.connect(try bindAnywhere(pullB, transport: "tcp"))

        let poller = ZMQPoller()
        let a = try poller.add(pullA)
        let b = try poller.add(pullB)
        #expect(poller.count == 2)
        #expect(poller.socket(at: b) === pullB)
        #expect(try poller.poll(timeout: 0) == 0)

        try pushB.send([bytes("to b")])
        #expect(try poller.poll(timeout: 5000) == 1)
        #expect(!poller.isReadable(at: a))
        #expect(poller.readyEvents(at: b) == .readable)
        #expect(try pullB.receiveMessage(dontWait: true) == [bytes("to b")])
        #expect(try poller.poll(timeout: 0) == 0)
    }

    @Test func reportsWritabilityOnlyWhenAskedFor() throws {
        let context = try ZMQContext()
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        try push.connect(try bindAnywhere(pull, transport: "inproc"))
        let poller = ZMQPoller()
        let index = try poller.add(push, events: .writable)
        #expect(try poller.poll(timeout: 0) == 1)
        #expect(poller.readyEvents(at: index) == .writable)
        poller.setEvents([], at: index)
        #expect(try poller.poll(timeout: 0) == 0)
    }

    @Test func timeoutElapsesWhenNothingIsReady() throws {
        let context = try ZMQContext()
        let pull = try makeSocket(context, .pull)
        try pull.bind(uniqueInproc())
        let poller = ZMQPoller()
        try poller.add(pull)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try poller.poll(timeout: 50) == 0)
        #expect(clock.now - start >= .milliseconds(40))
    }

    @Test func closedSocketIsRejected() throws {
        let context = try ZMQContext()
        let pull = try makeSocket(context, .pull)
        let poller = ZMQPoller()
        try poller.add(pull)
        pull.close()
        let error = #expect(throws: ZMQError.self) { try poller.poll(timeout: 0) }
        #expect(error?.isClosedSocket == true)
        #expect(throws: ZMQError.self) { try poller.add(pull) }
        poller.remove(at: 0)
        #expect(poller.count == 0)
        #expect(try poller.poll(timeout: 0) == 0)
    }

    @Test func pollsRawFileDescriptors() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let poller = ZMQPoller()
        let index = poller.add(fileDescriptor: fds[0])
        #expect(try poller.poll(timeout: 0) == 0)
        var byte: UInt8 = 42
        #expect(write(fds[1], &byte, 1) == 1)
        #expect(try poller.poll(timeout: 5000) == 1)
        #expect(poller.isReadable(at: index))
    }

    @Test func mailboxWakesThePollingOwnerThread() throws {
        let context = try ZMQContext()
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        try push.connect(try bindAnywhere(pull, transport: "inproc"))
        let mailbox = try ZMQMailbox<String>()
        let poller = ZMQPoller()
        let socketIndex = try poller.add(pull)
        let wake = poller.add(fileDescriptor: mailbox.fileDescriptor)
        #expect(try poller.poll(timeout: 0) == 0)

        let producer = TestThread<Bool> {
            ["first", "second", "third"].allSatisfy { mailbox.post($0) }
        }
        var drained: [String] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while drained.count < 3 && ContinuousClock.now < deadline {
            guard try poller.poll(timeout: 1000) > 0 else { continue }
            #expect(poller.isReadable(at: wake))
            #expect(!poller.isReadable(at: socketIndex))
            drained += mailbox.drain()
        }
        #expect(drained == ["first", "second", "third"])
        #expect(try producer.join()?.get() == true)
        // Draining reset the eventfd, so the owner would sleep again.
        #expect(try poller.poll(timeout: 0) == 0)

        try push.send([bytes("work")])
        #expect(try poller.poll(timeout: 5000) == 1)
        #expect(poller.isReadable(at: socketIndex))
        #expect(!poller.isReadable(at: wake))
    }

    @Test func shutdownUnblocksPollInAnotherThread() throws {
        let context = try ZMQContext()
        let ready = Latch()
        let poller = TestThread<ZMQError?> {
            let socket = try ZMQSocket(context: context, type: .pull)
            try socket.bind(uniqueInproc("shutdownUnblocksPoll"))
            let poller = ZMQPoller()
            try poller.add(socket)
            ready.open()
            do throws(ZMQError) {
                while true { _ = try poller.poll(timeout: -1) }
            } catch {
                return error
            }
        }
        try #require(ready.wait())
        context.shutdown()
        let outcome = try #require(poller.join(timeout: .seconds(10)), "poll still blocked after shutdown")
        #expect(try outcome.get()?.isTerminated == true)
    }
}
