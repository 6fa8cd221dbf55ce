import BridgeCore
import Foundation
import LoopbackHarness
import Testing
import TestSupport
import WireProtocol
import ZeroMQ

/// `BATCH` (docs/wire-protocol.md) through a running bridge's real sockets: a worker's batch is routed record
/// by record, a bad record costs no other, and a consumer that reads batches gets what one pass routed as one.
@Suite(.serialized) struct BatchFlowTests {
    static let rules = """
        outflow:
          - id: telemetry
            mqtt: sensors/#
            queueTopic: BATCHED
            tag: "${level.2}"

        """

    @Test func aWorkersBatchReachesAConsumerAsOneBatchAndEveryRecordIsSettled() throws {
        let fixture = try BridgeFixture(mode: .inProcess, rules: Self.rules)
        defer { fixture.stop() }
        let consumer = try RawHubPeer(context: fixture.context, endpoint: fixture.publishEndpoint, form: .queue, name: "batch consumer")
        let worker = try RawHubPeer(context: fixture.context, endpoint: fixture.hubEndpoint, form: .mqtt, name: "batch worker")
        defer { consumer.close(); worker.close() }
        try consumer.hello(Hello(role: .consumer, name: "batch consumer", topic: "BATCHED", window: 1_000, batchBytes: 131_072))
        try worker.hello(Hello(role: .mqttWorker, name: "batch worker", window: 1_000, batchAck: true, batchBytes: 131_072))

        // 100 records, the 50th without a topic.
        var writer = BatchWriter(limit: 131_072)
        for seq in 1...100 {
            let frames = WireCodec.encode(
                .mqttData(seq: UInt64(seq), MQTTMessage(topic: "sensors/batch/n", payload: Array("b\(seq)".utf8), qos: .atLeastOnce),
                          clientId: nil))
            let metadata = seq == 50 ? Array(#"{"seq":50,"qos":1}"#.utf8) : frames[2]
            let added = writer.append(metadata: metadata, body: frames[3])
            #expect(added)
        }
        try worker.send(writer.take())

        // What the consumer gets, read frame by frame: ZeroMQ messages and the DATA they carry.
        let poller = ZMQPoller()
        _ = try poller.add(consumer.socket, events: .readable)
        var messages = 0
        var delivered: [String] = []
        var seqs: [UInt64] = []
        let deadline = Deadline(timeout: .seconds(20))
        while delivered.count < 99, !deadline.hasPassed {
            _ = try poller.poll(timeout: 100)
            while let frames = try consumer.socket.receiveMessage(dontWait: true) {
                guard WireCodec.kind(of: frames) == .batch || WireCodec.kind(of: frames) == .data else { continue }
                messages += 1
                for result in WireCodec.decodeAll(frames, form: .queue) {
                    guard case .success(.queueData(let seq, let message)) = result else {
                        Issue.record("unexpected \(result)")
                        continue
                    }
                    delivered.append(String(decoding: message.body, as: UTF8.self))
                    seqs.append(seq)
                }
            }
        }
        let expected = (1...100).filter { $0 != 50 }.map { "b\($0)" }
        #expect(delivered == expected, "in order, each once")
        #expect(messages == 1, "what one pass of the hub routed to a consumer that reads batches goes as one BATCH")
        try consumer.send(.acks(seqs: seqs))

        // The worker: ERROR for seq 50 (it has no topic), ACKs for the other 99.
        var acknowledged: Set<UInt64> = []
        var refused: [WireErrorReport] = []
        let settleDeadline = Deadline(timeout: .seconds(20))
        while acknowledged.count + refused.count < 100, !settleDeadline.hasPassed {
            switch try worker.nextSettlement(timeout: .seconds(5)) {
            case .ack(let seq, _)?: acknowledged.insert(seq)
            case .acks(let seqs)?: acknowledged.formUnion(seqs)
            case .error(let report)?: refused.append(report)
            default: break
            }
        }
        #expect(acknowledged == Set((1...100).filter { $0 != 50 }.map(UInt64.init)))
        #expect(refused.map(\.seq) == [50])
        #expect(refused.first?.code == WireErrorCode.malformedMessage)
    }
}

/// The same exchange by a peer written from docs/wire-protocol.md alone: tools/python/batch_check.py (pyzmq).
@Suite(.serialized) struct PythonBatchTests {
    @Test func aPythonPeerSendsAndReadsBatches() throws {
        let fixture = try BridgeFixture(mode: .inProcess, rules: BatchFlowTests.rules)
        defer { fixture.stop() }
        let script = BridgeFixture.repositoryRoot.appendingPathComponent("tools/python/batch_check.py").path
        let check = try ManagedProcess(
            executable: "/usr/bin/python3",
            arguments: [script, "--workers", fixture.hubEndpoint, "--publish", fixture.publishEndpoint, "--topic", "BATCHED",
                        "--mqtt-topic", "sensors/py/n"])
        defer { _ = check.terminate() }
        #expect(check.waitForExit(timeout: .seconds(60)) == 0, "\(check.stderrText)")
        let line = try #require(check.stdoutLines.last)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let expected = (1...100).filter { $0 != 50 }
        #expect((report["hubBatchBytes"] as? Int ?? 0) > 0, "the hub's WELCOME says batchBytes")
        #expect(report["delivered"] as? [String] == expected.map { "py\($0)" }, "each once, in order")
        #expect(report["consumerMessages"] as? Int == 1, "one BATCH")
        #expect(report["acked"] as? [Int] == expected)
        let refused = report["refused"] as? [[String: Any]] ?? []
        #expect(refused.count == 1)
        #expect(refused.first?["seq"] as? Int == 50)
        #expect(refused.first?["code"] as? String == "malformed_message")
    }
}
