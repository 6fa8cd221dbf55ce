import BridgeCore
import LoopbackHarness
import WireProtocol
import ZeroMQ

/// A DEALER on one of the hub's endpoints that sends whatever frames a test gives it, well-formed or not,
/// and reads the hub's answers. Used from one thread.
final class RawHubPeer {
    let socket: ZMQSocket
    let form: WireCodec.DataForm
    let name: String
    /// `DATA` the hub sent while the test waited for something else (inflow for a raw worker).
    private(set) var stashedData: [WireMessage] = []

    init(context: ZMQContext, endpoint: String, form: WireCodec.DataForm, name: String) throws {
        socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setLinger(milliseconds: 0)
        try socket.connect(endpoint)
        self.form = form
        self.name = name
    }

    func send(_ frames: [[UInt8]]) throws {
        try socket.send(frames)
    }

    func send(_ message: WireMessage) throws {
        try send(WireCodec.encode(message))
    }

    /// The next message from the hub, decoded, within `timeout`; nil when nothing came.
    func receive(timeout: Duration = .seconds(10)) throws -> WireMessage? {
        let poller = ZMQPoller()
        _ = try poller.add(socket, events: .readable)
        let deadline = Deadline(timeout: timeout)
        while !deadline.hasPassed {
            _ = try poller.poll(timeout: max(1, Int(deadline.remaining / .milliseconds(1))))
            guard let frames = try socket.receiveMessage(dontWait: true) else { continue }
            return try WireCodec.decode(frames, form: form)
        }
        return nil
    }

    /// The next `ERROR` or `ACK` (single or batched), skipping `PONG` and `WELCOME` and keeping `DATA` aside.
    func nextSettlement(timeout: Duration = .seconds(10)) throws -> WireMessage? {
        while let message = try receive(timeout: timeout) {
            switch message {
            case .error, .ack, .acks: return message
            case .queueData, .mqttData: stashedData.append(message)
            default: continue
            }
        }
        return nil
    }

    /// Says HELLO and waits for the WELCOME.
    func hello(_ hello: Hello) throws {
        try send(.hello(hello))
        while let message = try receive() {
            if case .welcome = message { return }
            if case .error(let report) = message { throw FixtureError("\(name): HELLO refused: \(report)") }
        }
        throw FixtureError("\(name): no WELCOME")
    }

    /// Sends PING and reads up to the first non-`DATA` answer: `PONG` from a peer the hub knows.
    func fence() throws -> WireMessage? {
        try send(.ping)
        while let message = try receive() {
            switch message {
            case .queueData, .mqttData: stashedData.append(message)
            default: return message
            }
        }
        return nil
    }

    func close() {
        _ = try? socket.send(WireCodec.encode(.bye), dontWait: true)
        socket.close()
    }
}
