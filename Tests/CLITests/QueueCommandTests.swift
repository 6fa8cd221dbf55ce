import Foundation
import LoopbackHarness
import Testing

/// `mqbridge consume` and `mqbridge produce` against a missing hub and a real one.
@Suite struct QueueCommandTests {
    /// With nothing at the endpoint, consume says that no hub answered (and where) and exits 1, as produce does.
    @Test func consumeWithNoHubSaysSoAndExits1() throws {
        let endpoint = "tcp://127.0.0.1:\(try FreePort.allocate())"
        let consume = try CLIRunner.run(["consume", "--endpoint", endpoint, "--topic", "Q", "--timeout", "1"])
        #expect(consume.status == 1, "stdout: \(consume.stdout) stderr: \(consume.stderr)")
        #expect(consume.stdout.isEmpty)
        #expect(consume.stderr.contains("mqbridge consume: no hub answered at \(endpoint) within 1000 ms"), "\(consume.stderr)")
        #expect(consume.stderr.contains("queue.publish"), "says what to check: \(consume.stderr)")

        let produce = try CLIRunner.run(["produce", "--endpoint", endpoint, "--topic", "Q", "--body", "x", "--timeout", "1"])
        #expect(produce.status == 1)
        #expect(produce.stderr.contains(endpoint), "\(produce.stderr)")
    }

    /// A hub that answered HELLO and simply had no message for the consumer: exit 0, nothing printed.
    @Test func consumeFromAHubWithNoMessagesExits0() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let publish = "ipc://\(directory.path)/publish"
        let config = directory.appendingPathComponent("hub.yaml").path
        try """
            mqtt:
              url: mqtt://127.0.0.1:1
              clientId: c
            hub:
              endpoint: ipc://\(directory.path)/hub
            queue:
              publish: \(publish)
            spool:
              dir: \(directory.path)/spool
            outflow:
              - {id: a, mqtt: s/#, queueTopic: Q}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let hub = try ManagedProcess(executable: CLIRunner.executable.path, arguments: ["hub", "--config", config])
        defer { hub.terminate() }
        // The consumer keeps knocking until the hub binds, so it need not wait for the hub to be up.
        let consume = try CLIRunner.run(["consume", "--endpoint", publish, "--topic", "Q", "--timeout", "3"])
        #expect(hub.isRunning, "hub: \(hub.stderrText)")
        #expect(consume.status == 0, "stdout: \(consume.stdout) stderr: \(consume.stderr) hub: \(hub.stderrText)")
        #expect(consume.stdout.isEmpty)
        #expect(consume.stderr.isEmpty, "\(consume.stderr)")
    }
}
