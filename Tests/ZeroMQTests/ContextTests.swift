import TestSupport
import Testing
import ZeroMQ

@Suite struct ContextTests {
    @Test func versionIsFour() {
        let version = ZMQ.version
        #expect(version.major == 4)
        #expect(version.minor >= 0 && version.patch >= 0)
    }

    @Test func capabilityCheck() {
        #expect(ZMQ.has("ipc"))
        #expect(!ZMQ.has("no-such-capability"))
    }

    @Test func ioThreadsAreConfigured() throws {
        let context = try ZMQContext(ioThreads: 2)
        #expect(context.ioThreads == 2)
        #expect(throws: ZMQError.self) { try ZMQContext(ioThreads: -1) }
    }

    @Test func shutdownUnblocksReceiveInAnotherThread() throws {
        let context = try ZMQContext()
        let endpoint = uniqueInproc()
        let ready = Latch()
        let receiver = TestThread<ZMQError?> {
            // No receive timeout: only the shutdown can end this call.
            let socket = try ZMQSocket(context: context, type: .pull)
            try socket.bind(endpoint)
            ready.open()
            do throws(ZMQError) {
                _ = try socket.receiveMessage()
                return nil
            } catch {
                return error
            }
        }
        try #require(ready.wait())
        context.shutdown()
        let outcome = try #require(receiver.join(timeout: .seconds(10)), "receive still blocked after shutdown")
        let error = try #require(try outcome.get())
        #expect(error.isTerminated)

        let late = #expect(throws: ZMQError.self) { try ZMQSocket(context: context, type: .pull) }
        #expect(late?.isTerminated == true)
        context.shutdown()
    }

    @Test func teardownWithUnsentMessagesDoesNotHang() throws {
        // With libzmq's default infinite linger, terminating this context would wait
        // forever for the unreachable peer; the wrapper's linger 0 must prevent that.
        let worker = TestThread<Bool> {
            let context = try ZMQContext()
            let listener = try ZMQSocket(context: context, type: .pull)
            try listener.bind("tcp://127.0.0.1:*")
            let endpoint = try listener.lastEndpoint
            listener.close()
            let push = try ZMQSocket(context: context, type: .push)
            try push.connect(endpoint)
            return try push.send([bytes("never delivered")], dontWait: true)
        }
        let outcome = try #require(worker.join(timeout: .seconds(10)), "context termination hung")
        #expect(try outcome.get())
    }
}
