import Foundation
import Testing

@Suite struct CheckCommandTests {
    @Test func acceptsEveryFileInMappings() throws {
        let names = try FileManager.default.contentsOfDirectory(
            atPath: CLIRunner.repositoryRoot.appendingPathComponent("mappings").path
        ).filter { $0.hasSuffix(".yaml") }
        #expect(names.count >= 5)
        for name in names {
            let result = try CLIRunner.run(["check", "--config", "mappings/\(name)"])
            #expect(result.status == 0, "\(name): \(result.stdout)\(result.stderr)")
            #expect(result.stdoutLines.count == 1)
            #expect(result.stdout.hasPrefix("mappings/\(name): valid; "))
        }
    }

    @Test func printsEveryProblemAndExitsOne() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-bad-\(UUID().uuidString).yaml")
        try """
        mqtt:
          url: mqtt://127.0.0.1:1883
          clientId: b
        outflow:
          - id: x
            mqtt: "+/a"
            queueTopic: Q
            tag: "${what}"
        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try CLIRunner.run(["check", "--config", file.path])
        #expect(result.status == 1)
        #expect(
            result.stdoutLines == [
                "\(file.path):6:11: MQTT topic filter '+/a': the first level (the parent topic) cannot be a wildcard",
                "\(file.path):8:11: tag: unknown template variable '${what}'; known: ${topic} ${parent} ${subTopic} ${level.N} ${clientId} ${groupId} ${qos} ${userProperty.NAME}",
            ])
        #expect(result.stderr.contains("2 problems"))
    }

    @Test func missingFileExitsOne() throws {
        let result = try CLIRunner.run(["check", "--config", "/nonexistent.yaml"])
        #expect(result.status == 1)
        #expect(result.stdout == "/nonexistent.yaml:1:1: no such file\n")
    }
}
