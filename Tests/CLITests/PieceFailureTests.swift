import Foundation
import LoopbackHarness
import Testing
import ZeroMQ

/// A piece of the bridge that cannot go on stops the whole process with exit status 1 and says why, so that a
/// supervisor restarts it; SIGTERM stops it cleanly with exit status 0.
@Suite struct PieceFailureTests {
    /// A mapping file in a directory of its own; `extra` is YAML added at the end.
    static func config(hubEndpoint: String, extra: String = "") throws -> (path: String, directory: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-fail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("bridge.yaml").path
        try """
            mqtt:
              url: mqtt://127.0.0.1:1
              clientId: failure-test
            hub:
              endpoint: \(hubEndpoint)
            spool:
              dir: \(directory.path)/spool
            outflow:
              - {id: a, mqtt: s/#, queueTopic: Q}
            \(extra)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, directory)
    }

    /// Holds a TCP port with a bound ZeroMQ socket, so that the bridge cannot have it.
    static func takenPort() throws -> (port: Int, holder: ZMQSocket, context: ZMQContext) {
        let context = try ZMQContext()
        let holder = try ZMQSocket(context: context, type: .router)
        try holder.setLinger(milliseconds: 0)
        let port = try FreePort.allocate()
        try holder.bind("tcp://127.0.0.1:\(port)")
        return (port, holder, context)
    }

    @Test func aHubEndpointThatCannotBeBoundEndsTheHubWithExit1() throws {
        let taken = try Self.takenPort()
        defer { taken.holder.close() }
        let endpoint = "tcp://127.0.0.1:\(taken.port)"
        let (config, directory) = try Self.config(hubEndpoint: endpoint)
        defer { try? FileManager.default.removeItem(at: directory) }
        let hub = try CLIRunner.run(["hub", "--config", config, "--progress", "0"])
        #expect(hub.status == 1, "\(hub.stderr)")
        #expect(hub.stderr.contains("the hub cannot start: cannot bind \(endpoint)"), "\(hub.stderr)")
        #expect(hub.stderr.contains("mqbridge: cannot bind \(endpoint)"), "\(hub.stderr)")
    }

    /// The hub starts, the API cannot listen: the hub is stopped again and the process ends with exit 1.
    @Test(arguments: ["hub", "run"])
    func anAPIPortThatIsTakenEndsTheProcessWithExit1(command: String) throws {
        let taken = try Self.takenPort()
        defer { taken.holder.close() }
        let hubPort = try FreePort.allocate()
        let (config, directory) = try Self.config(
            hubEndpoint: "tcp://127.0.0.1:\(hubPort)", extra: "api:\n  listen: 127.0.0.1:\(taken.port)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try CLIRunner.run([command, "--config", config, "--progress", "0"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("the HTTP API cannot start"), "\(result.stderr)")
        #expect(result.stderr.contains("127.0.0.1:\(taken.port)"), "\(result.stderr)")
        #expect(result.stderr.contains("stopped after a failure"), "the other pieces were stopped in order: \(result.stderr)")
    }

    /// `tcp://*:port` is a hub's endpoint to bind, not one a worker can connect to: the worker thread cannot
    /// start, and the process does not idle on without it.
    @Test func anMQTTWorkerThatCannotStartEndsWithExit1() throws {
        let (config, directory) = try Self.config(hubEndpoint: "tcp://*:\(try FreePort.allocate())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let worker = try CLIRunner.run(["worker", "mqtt", "--config", config])
        #expect(worker.status == 1, "\(worker.stderr)")
        #expect(worker.stderr.contains("the MQTT worker failed: cannot start"), "\(worker.stderr)")
        #expect(worker.stderr.contains("mqbridge: the MQTT worker stopped: cannot start"), "\(worker.stderr)")
    }

    /// A spool directory that cannot be made (a file is in the way): the worker refuses to start.
    @Test func anMQTTWorkerWhoseSpoolCannotBeOpenedEndsWithExit1() throws {
        let (config, directory) = try Self.config(hubEndpoint: "tcp://127.0.0.1:\(try FreePort.allocate())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try "not a directory".write(toFile: directory.appendingPathComponent("spool").path, atomically: true, encoding: .utf8)
        let worker = try CLIRunner.run(["worker", "mqtt", "--config", config])
        #expect(worker.status == 1, "\(worker.stderr)")
        #expect(worker.stderr.contains("mqbridge: "), "\(worker.stderr)")
        #expect(worker.stderr.contains("spool"), "\(worker.stderr)")
    }

    /// SIGTERM drains and stops every piece: exit 0, with the signal and the stop in the log.
    @Test(arguments: ["hub", "run"])
    func sigtermStopsCleanlyWithExit0(command: String) throws {
        let (config, directory) = try Self.config(hubEndpoint: "tcp://127.0.0.1:\(try FreePort.allocate())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = try ManagedProcess(executable: CLIRunner.executable.path, arguments: [command, "--config", config, "--progress", "0"])
        defer { process.kill(signal: SIGKILL) }
        #expect(waitUntilBlocking(timeout: .seconds(20)) { process.stderrText.contains("hub listening") }, "\(process.stderrText)")
        process.kill(signal: SIGTERM)
        #expect(process.waitForExit(timeout: .seconds(20)) == 0, "\(process.stderrText)")
        #expect(process.stderrText.contains("SIGTERM received; stopping"), "\(process.stderrText)")
        #expect(process.stderrText.contains("] stopped") || process.stderrText.contains(" stopped\n"), "\(process.stderrText)")
    }
}
