import Foundation
import LoopbackHarness
import Mosquitto
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("LoopbackHarness")
struct HarnessTests {
    @Test("FreePort gives a bindable loopback port nobody listens on")
    func freePort() throws {
        let port = try FreePort.allocate()
        #expect((1024...65535).contains(port))
        #expect(!FreePort.isAcceptingConnections(port: port))
    }

    @Test("FreePort hands out each port once, below the kernel's ephemeral range")
    func freePortsAreDistinctAndNotEphemeral() throws {
        let ports = try (0..<200).map { _ in try FreePort.allocate() }
        #expect(Set(ports).count == ports.count)
        #expect(ports.allSatisfy { (20_000..<32_768).contains($0) })
    }

    @Test("waitUntil returns true when the condition comes true and false at the deadline")
    func waitUntilDeadline() async {
        let start = ContinuousClock.now
        let becameTrue = await waitUntil(timeout: .seconds(5)) { ContinuousClock.now - start > .milliseconds(100) }
        #expect(becameTrue)
        let never = await waitUntil(timeout: .milliseconds(150)) { false }
        #expect(!never)
        #expect(ContinuousClock.now - start >= .milliseconds(250))
        #expect(!Deadline(timeout: .seconds(60)).hasPassed)
        #expect(Deadline(timeout: .zero).hasPassed)
    }

    @Test("ManagedProcess captures stdout and stderr and reports the exit code")
    func outputAndExitCode() throws {
        let process = try ManagedProcess(executable: "sh", arguments: ["-c", "echo one; echo two; echo oops >&2; echo \"$GREETING\"; exit 3"],
                                         environment: ["GREETING": "hello from env"])
        #expect(process.pid > 0)
        #expect(process.waitForExit(timeout: .seconds(10)) == 3)
        #expect(!process.isRunning)
        #expect(process.waitForOutput(containing: "hello from env", timeout: .seconds(5)))
        #expect(process.stdoutLines == ["one", "two", "hello from env"])
        #expect(process.stderrText == "oops\n")
        #expect(process.terminationSignal == nil)
    }

    @Test("ManagedProcess.terminate stops a process with SIGTERM; waitForOutput sees live output")
    func terminate() throws {
        let process = try ManagedProcess(executable: "sh", arguments: ["-c", "echo ready; exec sleep 60"])
        #expect(process.waitForOutput(containing: "ready", timeout: .seconds(10)))
        #expect(process.isRunning)
        #expect(process.waitForExit(timeout: .milliseconds(100)) == nil)
        #expect(process.terminate(timeout: .seconds(5)) == 128 + SIGTERM)
        #expect(process.terminationSignal == SIGTERM)
        #expect(!process.waitForOutput(containing: "never printed", timeout: .seconds(5)))
    }

    @Test("ManagedProcess.terminate escalates to SIGKILL when SIGTERM is ignored; kill(signal:) sends signals")
    func killEscalation() throws {
        let stubborn = try ManagedProcess(executable: "sh", arguments: ["-c", "trap '' TERM; echo ready; exec sleep 60"])
        #expect(stubborn.waitForOutput(containing: "ready", timeout: .seconds(10)))
        #expect(stubborn.terminate(timeout: .milliseconds(300)) == 128 + SIGKILL)
        #expect(stubborn.terminationSignal == SIGKILL)

        let victim = try ManagedProcess(executable: "sleep", arguments: ["60"])
        victim.kill(signal: SIGKILL)
        #expect(victim.waitForExit(timeout: .seconds(5)) == 128 + SIGKILL)
    }

    @Test("ManagedProcess stops its child when released")
    func deinitStops() async throws {
        var process: ManagedProcess? = try ManagedProcess(executable: "sleep", arguments: ["60"])
        let pid = try #require(process?.pid)
        #expect(kill(pid, 0) == 0)
        process = nil
        #expect(await waitUntil(timeout: .seconds(10)) { kill(pid, 0) != 0 }, "pid \(pid) still exists")
    }

    @Test("MosquittoBroker: stop, kill and start again on the same port")
    func brokerLifecycle() throws {
        let broker = try MosquittoBroker()
        let port = broker.port
        let firstPid = try #require(broker.pid)
        #expect(broker.url == "mqtt://127.0.0.1:\(port)")
        #expect(FreePort.isAcceptingConnections(port: port))
        broker.kill()
        #expect(!broker.isRunning)
        #expect(!FreePort.isAcceptingConnections(port: port))
        try broker.start()
        #expect(broker.port == port)
        #expect(broker.pid != firstPid)
        #expect(FreePort.isAcceptingConnections(port: port))
        let directory = broker.directory.path
        broker.stop()
        #expect(broker.pid == nil)
        #expect(!FileManager.default.fileExists(atPath: directory))
    }

    @Test("statusLogging publishes connect/disconnect lines on $SYS/broker/log/N")
    func statusLogging() async throws {
        let broker = try MosquittoBroker(options: .init(statusLogging: true))
        let (observer, log) = try connectedClient(broker, id: "observer")
        try await subscribeAndWait(observer, log, filter: "$SYS/broker/log/N")

        let (probe, probeEvents) = try connectedClient(broker, id: "status-probe")
        let connected = /^\d+: New client connected from 127\.0\.0\.1:\d+ as status-probe \(p5, c1, k60\)\.$/
        #expect(await waitUntil(timeout: eventTimeout) {
            log.messages(on: "$SYS/broker/log/N").contains { ($0.payloadString ?? "").wholeMatch(of: connected) != nil }
        })
        try probe.disconnect()
        #expect(await waitUntil(timeout: eventTimeout) { probeEvents.disconnects == [0] })
        #expect(await waitUntil(timeout: eventTimeout) {
            log.messages(on: "$SYS/broker/log/N").contains { $0.payloadString?.hasSuffix(": Client status-probe disconnected.") == true }
        })
        for message in log.messages(on: "$SYS/broker/log/N") {
            print("statusLogging payload: \(message.payloadString ?? "<binary>")")
        }
        #expect(await waitUntil(timeout: eventTimeout) { broker.logText.contains("New client connected from 127.0.0.1") },
                "the log is captured too")
    }
}
