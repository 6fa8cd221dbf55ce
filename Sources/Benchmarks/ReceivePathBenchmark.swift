import BridgeRuntime
import Foundation
import LoopbackHarness
import Mosquitto
import MQTTWire

/// The MQTT receive path alone, the part of the bridge's CPU per message that libmosquitto decides: a subscriber
/// reading as the MQTT worker reads (libmosquitto driven from its thread: a poll, `loopReadArrived` for the
/// burst, its acknowledgements in one corked write) against a buffered reader (one `recv` takes every packet
/// that has arrived, ``MQTTReceiveBuffer`` splits them, one write acknowledges them). Each runs on a thread
/// of its own, takes the load generator's messages from a private Mosquitto and makes the same owned copies
/// of each message (topic and payload) that the worker hands on.
struct ReceivePathBenchmark {
    let quick: Bool
    let rig: BrokerRig

    func run() throws -> BenchmarkResult {
        var result = BenchmarkResult(
            name: "receive", title: "MQTT receive path: libmosquitto against a buffered reader (100-byte payloads, loopback)")
        let count = quick ? 30_000 : 200_000
        for qos in [MQTTQoS.atMostOnce, .atLeastOnce] {
            let label = "QoS \(qos.rawValue)"
            var threadMicros: [ReceivePathSubscriber.Kind: Double] = [:]
            for kind in ReceivePathSubscriber.Kind.allCases {
                let receiver = try ReceivePathSubscriber(kind: kind, broker: rig.broker, filter: "recv/\(kind.rawValue)/#", capacity: count)
                defer { receiver.close() }
                try rig.waitUntilFlowing(topic: "recv/\(kind.rawValue)/probe", receiver: receiver)
                let readsBefore = receiver.reads
                let (summary, _) = try rig.deliver(
                    topic: "recv/\(kind.rawValue)/t", qos: qos, count: count, connections: OutflowBenchmark.connections, to: receiver)
                if let failure = receiver.failure { throw BenchError("the \(kind.rawValue) receiver failed: \(failure)") }
                let perMessage = summary.received > 0 ? 1e6 / Double(summary.received) : 0
                let thread = (summary.cpu[kind.threadName] ?? 0) * perMessage
                threadMicros[kind] = thread
                let key = "qos\(qos.rawValue).\(kind.rawValue)"
                result.add("\(key).rate", "\(kind.title), \(label)", summary.rate, "msg/s")
                result.add("\(key).cpu", "  its thread: CPU per message, \(label)", thread, "µs")
                result.add("\(key).broker", "  the broker: CPU per message, \(label)", (summary.cpu[OutflowBenchmark.brokerName] ?? 0) * perMessage, "µs")
                result.add("\(key).lost", "  messages that did not arrive, \(label)", Double(summary.lost), "msgs")
                let reads = receiver.reads - readsBefore
                result.notes.append("\(label) \(kind.rawValue): \(summary.cpuBreakdown); \(kind.readsWord) \(TableRenderer.format(Double(reads) / Double(max(summary.received, 1)), digits: 3)) per message")
            }
            if let buffered = threadMicros[.buffered], let mosquitto = threadMicros[.libmosquitto], mosquitto > 0 {
                result.add("qos\(qos.rawValue).cpuRatio", "buffered reader / libmosquitto, CPU per message of the receiving thread, \(label)",
                           buffered / mosquitto, "ratio")
            }
        }
        result.notes.append("each receiver subscribes at QoS 2 (as the bridge does) with a Receive Maximum of 65,535, MQTT 5; \(OutflowBenchmark.connections) publisher connections at full speed; libmosquitto reads a packet with three or more `read`s, the buffered reader every packet that has arrived with one")
        return result
    }
}

/// A private Mosquitto and nothing else.
final class BrokerRig: DeliveryRig {
    let broker: MosquittoBroker

    init() throws {
        broker = try MosquittoBroker(options: MosquittoBroker.Options(extraConfig: LoopbackRig.brokerConfig))
    }

    var otherProcesses: [(pid: Int32, name: String)] { broker.pid.map { [(pid: $0, name: OutflowBenchmark.brokerName)] } ?? [] }

    func stop() { broker.stop() }

    deinit { stop() }
}
