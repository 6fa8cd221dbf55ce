import Testing

@testable import BridgeConfig

/// `hub.maxMessageBytes` and `status.forgetOfflineAfter`: defaults, accepted values, and each problem with
/// its line and column.
@Suite struct HardeningConfigTests {
    static let header = "mqtt:\n  url: mqtt://127.0.0.1:1883\n  clientId: bridge\n\n"
    static let rule = "outflow:\n  - {id: a, mqtt: s/#, queueTopic: Q}\n"

    func diagnostics(_ yaml: String) -> [String] {
        do {
            _ = try ConfigLoader.parse(yaml: yaml, file: "m.yaml")
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func defaults() throws {
        let configuration = try ConfigLoader.parse(yaml: Self.header + Self.rule, file: "m.yaml")
        #expect(configuration.hub.maxMessageBytes == nil)
        #expect(configuration.hub.maxMessageBytes(bodyLimit: configuration.mappings.limits.maxBodyBytes)
            == configuration.mappings.limits.maxBodyBytes + 65_536)
        #expect(configuration.status.forgetOfflineAfter == .seconds(7 * 86_400))
    }

    @Test(arguments: [("30m", 1_800), ("12h", 43_200), ("7d", 604_800), ("90s", 90)])
    func forgetOfflineAfterTakesDurations(text: String, seconds: Int64) throws {
        let yaml = Self.header + "status:\n  source: mosquitto-log\n  forgetOfflineAfter: \(text)\n" + Self.rule
        let configuration = try ConfigLoader.parse(yaml: yaml, file: "m.yaml")
        #expect(configuration.status.forgetOfflineAfter == .seconds(seconds))
    }

    @Test func maxMessageBytesIsRead() throws {
        let yaml = Self.header + "hub:\n  maxMessageBytes: 2097152\n" + Self.rule
        let configuration = try ConfigLoader.parse(yaml: yaml, file: "m.yaml")
        #expect(configuration.hub.maxMessageBytes(bodyLimit: 1) == 2_097_152)
    }

    @Test func problemsAreReportedWhereTheyAre() {
        #expect(diagnostics(Self.header + "status:\n  forgetOfflineAfter: 7 days\n" + Self.rule) == [
            "m.yaml:6:23: status.forgetOfflineAfter must be a whole number followed by ms, s, m, h or d (e.g. 7d, 12h or 30m), found the string '7 days'"
        ])
        #expect(diagnostics(Self.header + "status:\n  forgetOfflineAfter: 500ms\n" + Self.rule) == [
            "m.yaml:6:23: status.forgetOfflineAfter must be at least 1s, found '500ms'"
        ])
        #expect(diagnostics(Self.header + "hub:\n  maxMessageBytes: 12\n" + Self.rule) == [
            "m.yaml:6:20: hub.maxMessageBytes must be from 1024 to 1073741824, found 12"
        ])
        #expect(diagnostics(Self.header + "limits:\n  maxBodyBytes: 1048576\nhub:\n  maxMessageBytes: 4096\n" + Self.rule) == [
            "m.yaml:8:20: hub.maxMessageBytes (4096) is below limits.maxBodyBytes (1048576): messages the limits allow could not reach the hub; leave it out for the body limit plus 64 KiB"
        ])
    }
}
