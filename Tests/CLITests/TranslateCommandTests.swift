import BridgeCore
import Foundation
import Testing

@Suite struct TranslateCommandTests {
    let example = "mappings/example.yaml"

    func json(_ line: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func outflowPrintsOneLinePerQueueMessage() throws {
        let result = try CLIRunner.run([
            "translate", "--config", "mappings/outflow-templates.yaml", "--mqtt-topic", "sensors/room1/temp",
            "--payload", "21.5", "--qos", "1", "--retain", "--user-property", "unit=C", "--user-property", "unit=F",
            "--client-id", "GID_sensors@@@dev-001",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines.count == 2, "two rules match")
        let first = try json(result.stdoutLines[0])
        #expect(first["topic"] as? String == "SENSOR_METRICS")
        #expect(first["tag"] as? String == "temp")
        #expect(first["keys"] as? [String] == ["GID_sensors@@@dev-001", "room1"])
        #expect(first["body"] as? String == "21.5")
        let properties = try #require(first["properties"] as? [String: String])
        #expect(properties["mqttSecondTopic"] == "/room1/temp")
        #expect(properties["qoslevel"] == "1")
        #expect(properties["mqttRetain"] == "true")
        #expect(properties["clientId"] == "GID_sensors@@@dev-001")
        #expect(properties["topic"] == "sensors/room1/temp")
        #expect(properties["unit"] == "C")
        #expect(properties["mqtt5UserProperty"] == #"[{"key":"unit","value":"C"},{"key":"unit","value":"F"}]"#)
        let second = try json(result.stdoutLines[1])
        #expect(second["topic"] as? String == "SENSOR_ARCHIVE")
        #expect(second["tag"] as? String == "qos1")
    }

    @Test func outflowOmitsTagWhenNoneAndEncodesBinaryBodies() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-bin-\(UUID().uuidString)")
        try Data([0xFF, 0x00, 0x01]).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try CLIRunner.run([
            "translate", "--config", example, "--mqtt-topic", "factory/m1/events", "--payload-file", file.path,
        ])
        #expect(result.status == 0)
        let object = try json(result.stdout)
        #expect(object["tag"] == nil)
        #expect(object["body"] == nil)
        #expect(object["bodyBase64"] as? String == "/wAB")
    }

    @Test func outflowWithNoMatchingRuleExitsOne() throws {
        let result = try CLIRunner.run(["translate", "--config", example, "--mqtt-topic", "nobody/listens", "--payload", "x"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("no outflow rule matches MQTT topic 'nobody/listens'"))
    }

    @Test func inflowPrintsThePublish() throws {
        let result = try CLIRunner.run([
            "translate", "--config", example, "--queue-topic", "DEVICE_CMD", "--tag", "cmd", "--key", "k1",
            "--property", "mqttSecondTopic=/p2p/GID_sensors@@@dev-001", "--property", "mqttRealTopic=/alerts",
            "--property", "qoslevel=2", "--property", "mqttRetain=true",
            "--property", #"mqtt5UserProperty=[{"key":"a","value":"b=c"}]"#, "--body", "reboot",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines.count == 1)
        let object = try json(result.stdout)
        #expect(object["topic"] as? String == "devices/p2p/GID_sensors@@@dev-001")
        #expect(object["qos"] as? Int == 2)
        #expect(object["retain"] as? Bool == true)
        #expect(object["payload"] as? String == "reboot")
        let properties = try #require(object["userProperties"] as? [[String: String]])
        #expect(properties == [["key": "a", "value": "b=c"], ["key": "mqttRealTopic", "value": "/alerts"]])
    }

    @Test(arguments: [
        (["--property", "qoslevel=3"], "qoslevel '3' must be 0, 1 or 2"),
        (["--property", "mqttSecondTopic=dev/x"], "must start with '/'"),
        (["--property", "mqttSecondTopic=/dev/#"], "cannot contain '+' or '#'"),
        (["--tag", "nope"], "accepts tag 'nope'"),
    ])
    func inflowRejectionsExitOneWithTheReason(extra: [String], reason: String) throws {
        var arguments = ["translate", "--config", example, "--queue-topic", "DEVICE_CMD", "--body", "x"]
        if !extra.contains("--tag") { arguments += ["--tag", "cmd"] }
        let result = try CLIRunner.run(arguments + extra)
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains(reason), "\(result.stderr)")
    }

    @Test func inflowWithoutRuleExitsOne() throws {
        let result = try CLIRunner.run(["translate", "--config", example, "--queue-topic", "UNKNOWN", "--body", "x"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no inflow rule takes queue topic 'UNKNOWN'"))
    }

    @Test func inflowBinaryBodyIsBase64() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-body-\(UUID().uuidString)")
        try Data([0x80, 0x81]).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try CLIRunner.run([
            "translate", "--config", example, "--queue-topic", "DEVICE_CMD", "--tag", "ota", "--body-file", file.path,
        ])
        #expect(result.status == 0)
        #expect(try json(result.stdout)["payloadBase64"] as? String == Base64.encode([0x80, 0x81]))
    }

    @Test func oversizedBodyIsRejected() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-big-\(UUID().uuidString)")
        try Data(repeating: 0x41, count: 65_537).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try CLIRunner.run([
            "translate", "--config", example, "--queue-topic", "DEVICE_CMD", "--tag", "cmd", "--body-file", file.path,
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("exceeds limits.maxBodyBytes (65536)"))
    }
}
