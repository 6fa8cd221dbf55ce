import Foundation
import LoopbackHarness
import Testing

/// The console in a real browser: `mqbridge demo --keep` runs a bridge with a sensor publishing every second,
/// and headless Chromium (driven by `tools/python/console_check.py` over the DevTools protocol) loads the page
/// the demo prints. The screenshot is kept as `.build/test-artifacts/console.png`.
@Suite struct ConsoleBrowserTests {
    static let artifacts = CLIRunner.repositoryRoot.appendingPathComponent(".build/test-artifacts")

    @Test func theDemoConsoleShowsRulesTrafficAndAnOnlineClientInChromium() throws {
        let demo = try ManagedProcess(
            executable: CLIRunner.executable.path, arguments: ["demo", "--keep"], currentDirectory: CLIRunner.repositoryRoot.path)
        defer { _ = demo.terminate(timeout: .seconds(20)) }
        #expect(demo.waitForOutput(containing: "== kept running: open the console on ", timeout: .seconds(90)), "\(demo.stdoutText)\n\(demo.stderrText)")
        let url = try #require(demo.stdoutLines.lazy.compactMap { line in
            line.firstMatch(of: /open the console on (http:\/\/127\.0\.0\.1:\d+\/)/).map { String($0.output.1) }
        }.first, "\(demo.stdoutText)")
        #expect(demo.stdoutText.contains("== console on \(url) (the HTTP API on the same port)"), "the demo prints the console's URL up front")

        try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
        let screenshot = Self.artifacts.appendingPathComponent("console.png")
        try? FileManager.default.removeItem(at: screenshot)
        let check = try ManagedProcess(
            executable: "/usr/bin/python3",
            arguments: [
                CLIRunner.repositoryRoot.appendingPathComponent("tools/python/console_check.py").path, "--url", url,
                "--rule", "telemetry", "--rule", "commands", "--rule", "sensor-status", "--min-online", "1",
                "--try-topic", "sensors/room1/temp", "--screenshot", screenshot.path, "--timeout", "60",
            ])
        let status = check.waitForExit(timeout: .seconds(120))
        print(check.stdoutText)
        #expect(status == 0, "\(check.stdoutText)\n\(check.stderrText)")
        #expect(check.stdoutText.contains(#""problems": []"#))
        let png = try Data(contentsOf: screenshot)
        #expect(png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG screenshot at \(screenshot.path)")

        // Ctrl-C ends the kept demo in order: it says so and exits 0.
        demo.kill(signal: SIGINT)
        #expect(demo.waitForExit(timeout: .seconds(30)) == 0, "\(demo.stderrText)")
        #expect(demo.stdoutText.contains("== done: stopping the bridge and Mosquitto"))
    }
}
