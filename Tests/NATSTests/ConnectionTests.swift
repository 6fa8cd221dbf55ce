import Foundation
import LoopbackHarness
import NATS
import Testing

@Suite("NATS connection", .serialized, .timeLimit(.minutes(3)))
struct ConnectionTests {
    @Test("connects, publishes, flushes and closes; the closed event is the last one; calls after close fail")
    func connectAndClose() throws {
        let server = try NATSServer()
        defer { server.stop() }
        let recorder = Recorder()
        let connection = try connect(server, recorder: recorder)
        #expect(connection.isConnected)
        #expect(connection.status == .connected)
        try connection.publish(subject: "plain.subject", headers: [("A", "1")], body: Array("hi".utf8))
        try connection.flush(timeoutMs: 5000)

        connection.close()
        #expect(connection.status == .closed)
        #expect(connection.isClosed)
        #expect(waitUntilBlocking(timeout: .seconds(10)) { recorder.allEvents.contains(.closed) })
        #expect(recorder.allEvents.last == .closed)
        #expect(throws: NATSError.self) { try connection.publish(subject: "plain.subject", body: []) }
        do {
            try connection.flush(timeoutMs: 1000)
            Issue.record("flush on a closed connection succeeded")
        } catch {
            #expect(error.isConnectionClosed, "\(error)")
        }
    }

    @Test("connecting to a port nobody listens on fails with a typed error")
    func connectFails() throws {
        let port = try FreePort.allocate()
        do {
            _ = try NATSConnection(options: NATSConnectionOptions(servers: ["nats://127.0.0.1:\(port)"], connectTimeoutMs: 500))
            Issue.record("connected to nothing")
        } catch {
            #expect(error.status == .noServer, "\(error)")
            #expect(!error.description.isEmpty)
        }
    }

    @Test("with retryOnFailedConnect a server that is down at start is connected to once it comes up")
    func retryOnFailedConnect() throws {
        let server = try NATSServer()
        defer { server.stop() }
        server.stopProcess()
        #expect(!server.isRunning)

        let recorder = Recorder()
        let connection = try connect(server, recorder: recorder, retryOnFailedConnect: true)
        #expect(!connection.isConnected)

        try server.start()
        #expect(waitUntilBlocking(timeout: .seconds(20)) { connection.isConnected })
        #expect(waitUntilBlocking(timeout: .seconds(5)) { recorder.allEvents.contains(.connected) })
        let js = try JetStreamContext(connection: connection)
        let info = try js.addStream(StreamConfig(name: "LATE", subjects: ["late.>"]))
        #expect(info.config.name == "LATE")
    }

    @Test("a restarted server is reconnected to; streams survive in the store")
    func reconnectAfterRestart() throws {
        let server = try NATSServer()
        defer { server.stop() }
        let recorder = Recorder()
        let connection = try connect(server, recorder: recorder)
        let js = try JetStreamContext(connection: connection)
        try js.addStream(StreamConfig(name: "KEEP", subjects: ["keep.>"]))
        _ = try js.publish(message("keep.a", "one"), msgId: "k1")
        let port = server.port

        try server.restart()
        #expect(server.port == port)
        #expect(waitUntilBlocking(timeout: .seconds(20)) { recorder.allEvents.contains(.reconnected) && connection.isConnected })
        #expect(recorder.allEvents.contains(.disconnected))
        let info = try #require(try js.streamInfo(name: "KEEP"))
        #expect(info.state.messages == 1)
    }
}
