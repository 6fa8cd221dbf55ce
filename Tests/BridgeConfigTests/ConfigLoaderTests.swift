import BridgeCore
import Foundation
import Testing

@testable import BridgeConfig

@Suite struct ConfigLoaderTests {
    /// The repository's `mappings/` folder.
    static let mappingsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("mappings")

    static let mappingFiles: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: mappingsDirectory.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted()
    }()

    @Test func mappingsFolderHasTheExampleAndFeatureFiles() {
        #expect(Self.mappingFiles.contains("example.yaml"))
        #expect(Self.mappingFiles.count >= 5)
    }

    @Test(arguments: mappingFiles)
    func everyMappingFileIsValid(name: String) throws {
        let configuration = try ConfigLoader.load(path: Self.mappingsDirectory.appendingPathComponent(name).path)
        let mappings = configuration.mappings
        #expect(mappings.outflowRules.count + mappings.inflowRules.count + mappings.statusRules.count > 0)
    }

    @Test func readsTheFullSchema() throws {
        let yaml = """
            mqtt:
              url: mqtts://broker.example:8884
              clientId: mqbridge-1
              protocol: "3.1.1"
              sharedGroup: grp
              username: u
              passwordEnv: MQ_PASS
              keepAlive: 30
            queue:
              publish: tcp://127.0.0.1:5601
              accept: ipc:///tmp/mqbridge-accept
              groups: [backend, audit]
            api:
              listen: "[::1]:8080"
            status:
              source: emqx-events
              stateDir: /var/lib/mqbridge
            limits:
              maxBodyBytes: 1_024
            outflow:
              - id: telemetry
                mqtt: sensors/#
                queueTopic: SENSOR_DATA
                tag: "${level.2}"
                keys: ["${clientId}"]
                properties: {site: "${level.2}"}
                clientId: "GID_s@@@${level.3}"
            inflow:
              - id: commands
                queueTopic: DEVICE_CMD
                tags: "cmd||ota"
                mqttParent: devices
                qos: 0
            statusRules:
              - id: sensor-status
                groupId: GID_sensors
                queueTopic: CLIENT_STATUS
            """
        let configuration = try ConfigLoader.parse(yaml: yaml, file: "full.yaml")
        #expect(configuration.mqtt.url == BrokerURL(host: "broker.example", port: 8884, tls: true))
        #expect(configuration.mqtt.protocolVersion == .v311)
        #expect(configuration.mqtt.sharedGroup == "grp")
        #expect(configuration.mqtt.password == .environment("MQ_PASS"))
        #expect(configuration.mqtt.keepAlive == 30)
        #expect(configuration.queue == QueueSettings(publish: "tcp://127.0.0.1:5601", accept: "ipc:///tmp/mqbridge-accept", groups: ["backend", "audit"]))
        #expect(configuration.api == APISettings(host: "::1", port: 8080))
        #expect(configuration.status.source == .emqxEvents)
        #expect(configuration.status.stateDirectory == "/var/lib/mqbridge")
        #expect(configuration.mappings.limits.maxBodyBytes == 1_024)
        let outflow = try #require(configuration.mappings.outflowRules.first)
        #expect(outflow.filter.text == "sensors/#")
        #expect(outflow.tag?.text == "${level.2}")
        #expect(outflow.keys.map(\.text) == ["${clientId}"])
        #expect(outflow.properties.map(\.name) == ["site"])
        #expect(outflow.clientId?.text == "GID_s@@@${level.3}")
        #expect(configuration.mappings.inflowRules.first?.qos == .atMostOnce)
        #expect(configuration.mappings.inflowRules.first?.tags.accepts("ota") == true)
        #expect(configuration.mappings.statusRules.first?.groupId == "GID_sensors")
    }

    @Test func defaults() throws {
        let configuration = try ConfigLoader.parse(
            yaml: "mqtt:\n  url: mqtt://h\n  clientId: c\noutflow:\n  - {id: a, mqtt: s/#, queueTopic: Q}\n", file: "d.yaml")
        #expect(configuration.mqtt.url.port == 1883)
        #expect(configuration.mqtt.protocolVersion == .v5)
        #expect(configuration.status.source == StatusSettings.Source.none)
        #expect(configuration.status.stateDirectory == "mqbridge-state")
        #expect(configuration.mappings.limits == MessageLimits())
        #expect(configuration.queue == nil)
        #expect(configuration.api == nil)
    }
}
