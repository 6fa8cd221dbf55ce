import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

@Suite struct MonitorTests {
    @Test func reportsListeningAcceptedAndHandshake() throws {
        let context = try ZMQContext()
        let server = try makeSocket(context, .router)
        let monitorEndpoint = uniqueInproc()
        try server.monitor(events: [.listening, .accepted, .handshakeSucceeded], endpoint: monitorEndpoint)
        let monitor = try makeSocket(context, .pair)
        try monitor.connect(monitorEndpoint)

        try server.bind("tcp://127.0.0.1:*")
        let endpoint = try server.lastEndpoint
        let listening = try #require(try ZMQMonitorEvent.receive(from: monitor))
        #expect(listening.event == .listening)
        #expect(listening.endpoint == endpoint)

        let client = try makeSocket(context, .dealer)
        try client.connect(endpoint)
        let accepted = try #require(try ZMQMonitorEvent.receive(from: monitor))
        #expect(accepted.event == .accepted)
        let handshake = try #require(try ZMQMonitorEvent.receive(from: monitor))
        #expect(handshake.event == .handshakeSucceeded)
        #expect(try ZMQMonitorEvent.receive(from: monitor, dontWait: true) == nil)
    }

    @Test func stopMonitorEmitsMonitorStopped() throws {
        let context = try ZMQContext()
        let socket = try makeSocket(context, .pull)
        let monitorEndpoint = uniqueInproc()
        try socket.monitor(endpoint: monitorEndpoint)
        let monitor = try makeSocket(context, .pair)
        try monitor.connect(monitorEndpoint)
        try socket.stopMonitor()
        let event = try #require(try ZMQMonitorEvent.receive(from: monitor))
        #expect(event.event == .monitorStopped)
    }

    @Test func parsesEventFrames() throws {
        var header: [UInt8] = []
        withUnsafeBytes(of: UInt16(0x4000)) { header += $0 }
        withUnsafeBytes(of: UInt32(400)) { header += $0 }
        let event = try ZMQMonitorEvent(frames: [header, bytes("tcp://10.0.0.1:5555")])
        #expect(event.event == .handshakeFailedAuth)
        #expect(event.value == 400)
        #expect(event.endpoint == "tcp://10.0.0.1:5555")
    }

    @Test func rejectsMalformedEventFrames() {
        for frames in [[[UInt8]](), [[1, 2, 3]], [[0, 0, 0, 0, 0, 0]], [[1, 2, 3], []]] {
            let error = #expect(throws: ZMQError.self) { try ZMQMonitorEvent(frames: frames) }
            #expect(error?.code == EPROTO)
        }
    }
}
