import BridgeCore
import BridgePresence
import Foundation
import LoopbackHarness
import Testing
import WireProtocol
import ZeroMQ

/// EMQX's client events, replayed into a real bridge: Mosquitto cannot publish `$SYS/brokers/…` topics, so
/// a test worker speaks the wire protocol to the hub over real ZeroMQ sockets and forwards payloads
/// recorded from EMQX, as an MQTT worker on an EMQX broker would.
@Suite(.serialized) struct EMQXStatusTests {
    /// An MQTT worker that only replays recorded broker messages.
    final class ReplayWorker {
        let socket: ZMQSocket
        private(set) var welcome: Welcome?
        private var seq: UInt64 = 0

        init(context: ZMQContext, endpoint: String) throws {
            socket = try ZMQSocket(context: context, type: .dealer)
            try socket.setLinger(milliseconds: 0)
            try socket.setReceiveTimeout(milliseconds: 20_000)
            try socket.connect(endpoint)
            _ = try socket.send(WireCodec.encode(.hello(Hello(role: .mqttWorker, name: "emqx-replay", window: 10))))
            guard case .welcome(let welcome) = try receive() else { throw FixtureError("no WELCOME") }
            self.welcome = welcome
        }

        func receive() throws -> WireMessage {
            guard let frames = try socket.receiveMessage() else { throw FixtureError("nothing from the hub within 20 s") }
            return try WireCodec.decode(frames, form: .mqtt)
        }

        /// Forwards one broker message and waits for the hub's verdict on it (ACK or ERROR).
        func forward(topic: String, payload: String) throws -> WireMessage {
            seq += 1
            let message = MQTTMessage(topic: topic, payload: Array(payload.utf8), qos: .atLeastOnce)
            _ = try socket.send(WireCodec.encode(.mqttData(seq: seq, message, clientId: nil)))
            while true {
                let answer = try receive()
                switch answer {
                case .ack(let acked, _) where acked == seq: return answer
                case .error(let report) where report.seq == seq: return answer
                case .ping: _ = try socket.send(WireCodec.encode(.pong))
                default: continue
                }
            }
        }

        deinit { socket.close() }
    }

    // Recorded EMQX 5 payloads (`emqx_sys.erl`: common fields plus keepalive/clean_start/expiry_interval on
    // connect, reason/disconnected_at on disconnect).
    static func connected(_ clientId: String, at connectedAt: Int64, ip: String = "127.0.0.1:52044") -> String {
        #"{"username":null,"ts":\#(connectedAt),"sockport":1883,"protocol":"mqtt","proto_ver":5,"proto_name":"MQTT","keepalive":60,"ipaddress":"\#(ip)","expiry_interval":0,"connected_at":\#(connectedAt),"clientid":"\#(clientId)","clean_start":true}"#
    }

    static func disconnected(_ clientId: String, at connectedAt: Int64, reason: String, ip: String = "127.0.0.1:52044") -> String {
        #"{"username":"dev","ts":\#(connectedAt + 5000),"sockport":1883,"reason":"\#(reason)","protocol":"mqtt","proto_ver":5,"proto_name":"MQTT","ipaddress":"\#(ip)","disconnected_at":\#(connectedAt + 5000),"connected_at":\#(connectedAt),"clientid":"\#(clientId)"}"#
    }

    static func topic(_ clientId: String, _ kind: String) -> String {
        "$SYS/brokers/emqx@127.0.0.1/clients/\(clientId)/\(kind)"
    }

    @Test func recordedConnectedAndDisconnectedEventsDriveStatusAndPresence() throws {
        let fixture = try BridgeFixture(mode: .inProcess, rules: statusRules, statusSource: "emqx-events")
        defer { fixture.stop() }
        let consumer = TestConsumer(context: fixture.context, endpoint: fixture.publishEndpoint, topic: "CLIENT_STATUS")
        defer { consumer.stop() }
        #expect(consumer.waitReady())
        let api = try StatusAPIClient(fixture)
        let worker = try ReplayWorker(context: fixture.context, endpoint: BridgeFixture.inProcessWorkers)
        #expect(worker.welcome?.statusSubscriptions?.contains("$SYS/brokers/+/clients/+/connected") == true)
        #expect(worker.welcome?.statusSubscriptions?.contains("$SYS/brokers/+/clients/+/disconnected") == true)

        // A normal disconnect (the client sent DISCONNECT): connect, then disconnect and tcpclean.
        let meter = "GID_sensors@@@meter-1"
        let connectedAt: Int64 = 1_795_297_490_123
        #expect(try worker.forward(topic: Self.topic(meter, "connected"), payload: Self.connected(meter, at: connectedAt)).kind == .ack)
        #expect(api.waitUntil(meter, online: true))
        #expect(try worker.forward(topic: Self.topic(meter, "disconnected"), payload: Self.disconnected(meter, at: connectedAt, reason: "normal")).kind == .ack)
        let events = consumer.waitForStatus(of: meter, count: 3)
        #expect(events.map(\.eventType) == [.connect, .disconnect, .tcpclean])
        #expect(Set(events.map(\.channelId)).count == 1)
        #expect(events.allSatisfy { isChannelId($0.channelId) && $0.clientIp == "127.0.0.1:52044" })
        #expect(events.first?.time == connectedAt)
        #expect(events.last?.time == connectedAt + 5000)
        #expect(api.waitUntil(meter, online: false))

        // A quick reconnect whose old channel's disconnect (keepalive_timeout) arrives after the new connect:
        // the new channel stays online; only tcpclean for the old one.
        let gateway = "GID_sensors@@@gw"
        _ = try worker.forward(topic: Self.topic(gateway, "connected"), payload: Self.connected(gateway, at: 1_000, ip: "10.0.0.5:4000"))
        _ = try worker.forward(topic: Self.topic(gateway, "connected"), payload: Self.connected(gateway, at: 2_000, ip: "10.0.0.5:4001"))
        _ = try worker.forward(topic: Self.topic(gateway, "disconnected"), payload: Self.disconnected(gateway, at: 1_000, reason: "keepalive_timeout", ip: "10.0.0.5:4000"))
        let gatewayEvents = consumer.waitForStatus(of: gateway, count: 3)
        #expect(gatewayEvents.map(\.eventType) == [.connect, .connect, .tcpclean])
        #expect(gatewayEvents.count == 3 && gatewayEvents[2].channelId == gatewayEvents[0].channelId)
        #expect(try api.isOnline(gateway), "the newer channel is still open")
        let (_, view) = try api.client(gateway)
        if case .array(let channels)? = view["channels"] {
            #expect(channels.map { $0["clientIp"]?.stringValue } == ["10.0.0.5:4001"])
        } else {
            Issue.record("no channels in \(view)")
        }

        // The same recorded message twice (a redelivery) gives no second event.
        _ = try worker.forward(topic: Self.topic(gateway, "disconnected"), payload: Self.disconnected(gateway, at: 1_000, reason: "keepalive_timeout", ip: "10.0.0.5:4000"))
        // Bad payloads are acknowledged (never redelivered forever), counted, and cost nothing else.
        #expect(try worker.forward(topic: Self.topic(gateway, "connected"), payload: "{not json").kind == .ack)
        #expect(try worker.forward(topic: Self.topic(gateway, "connected"), payload: #"{"ts":1}"#).kind == .ack)
        _ = try worker.forward(topic: Self.topic(gateway, "disconnected"), payload: Self.disconnected(gateway, at: 2_000, reason: "takenover", ip: "10.0.0.5:4001"))
        let all = consumer.waitForStatus(of: gateway, count: 4)
        #expect(all.map(\.eventType) == [.connect, .connect, .tcpclean, .tcpclean])
        #expect(api.waitUntil(gateway, online: false))
        let counters = try #require(fixture.presence?.counters())
        #expect(counters.problems.values.reduce(0, +) == 2, "\(counters.problems)")
        #expect(counters.messages == 9)
        #expect(counters.dispositions["duplicate"] == 1, "\(counters.dispositions)")
    }
}
