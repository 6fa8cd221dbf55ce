import Foundation
import LoopbackHarness
import NATS
import Testing

@Suite("JetStream cluster", .serialized, .timeLimit(.minutes(3)))
struct ClusterTests {
    /// Creates the stream once the cluster has elected its meta leader (until then JetStream answers with errors).
    static func addStream(_ config: StreamConfig, via js: JetStreamContext) throws -> StreamInfo {
        var lastError: Error?
        var info: StreamInfo?
        _ = waitUntilBlocking(timeout: .seconds(60), pollInterval: .milliseconds(250)) {
            do { info = try js.addStream(config) } catch { lastError = error }
            return info != nil
        }
        if let info { return info }
        throw lastError ?? NATSError(status: .timeout, operation: "js_AddStream", detail: "no meta leader", jetStreamErrorCode: nil)
    }

    @Test("a 3-node cluster keeps a replicas-3 stream when its leader is killed: another node leads, publishes go on, nothing is lost")
    func leaderKilled() throws {
        let cluster = try NATSCluster(size: 3)
        defer { cluster.stop() }
        let connection = try NATSConnection(options: NATSConnectionOptions(
            servers: cluster.urls, name: "mqbridge-tests", connectTimeoutMs: 1000, reconnectWaitMs: 100, maxReconnect: -1))
        let js = try JetStreamContext(connection: connection)
        let created = try Self.addStream(StreamConfig(name: "R3", subjects: ["r3.>"], replicas: 3), via: js)
        #expect(created.config.replicas == 3)

        for index in 0..<100 { _ = try js.publish(message("r3.a", "m\(index)"), msgId: "m\(index)", timeoutMs: 5_000) }
        let info = try #require(try js.streamInfo(name: "R3"))
        #expect(info.clusterName == cluster.name)
        let leaderName = try #require(info.leader)
        let leader = try #require(cluster.node(named: leaderName), "leader \(leaderName) is one of \(cluster.nodes.map(\.options.serverName))")
        leader.kill()

        // Publishes wait for the new leader; one may time out while the election runs and is sent again (same id).
        for index in 100..<200 {
            let stored = waitUntilBlocking(timeout: .seconds(30), pollInterval: .milliseconds(100)) {
                (try? js.publish(message("r3.a", "m\(index)"), msgId: "m\(index)", timeoutMs: 2_000)) != nil
            }
            try #require(stored, "publish m\(index) within 30 s of the leader's death")
        }
        let after = try #require(try js.streamInfo(name: "R3"))
        #expect(after.leader != nil && after.leader != leaderName, "a new leader: \(String(describing: after.leader))")
        #expect(after.state.messages == 200)
        let bodies = try readStream(js, "R3").map { String(decoding: $0.body, as: UTF8.self) }
        #expect(bodies == (0..<200).map { "m\($0)" })

        try leader.start()
        #expect(waitUntilBlocking(timeout: .seconds(30)) { leader.isRunning }, "the old leader rejoins")
    }
}
