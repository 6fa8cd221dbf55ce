import ArgumentParser
import BridgeConfig
import BridgeCore

/// Shows the mapping engine at work on sample device traffic, with no broker needed.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Check a mapping file and show what sample device traffic becomes, in both directions."
    )

    @Option(name: .long, help: "The mapping file.")
    var config = "mappings/example.yaml"

    func run() throws {
        let configuration: BridgeConfiguration
        do {
            configuration = try ConfigLoader.load(path: config)
        } catch {
            Console.error(error.description)
            throw ExitCode(1)
        }
        print("== \(config): \(configuration.summary)")
        let mappings = configuration.mappings

        let samples: [MQTTMessage] = [
            MQTTMessage(
                topic: "sensors/room1/temp", payload: Array(#"{"celsius":21.5}"#.utf8), qos: .atLeastOnce,
                userProperties: [UserProperty(key: "clientId", value: "GID_sensors@@@dev-001"), UserProperty(key: "unit", value: "C")]),
            MQTTMessage(topic: "devices/p2p/GID_app@@@phone7", payload: Array("reply:ok".utf8), qos: .atLeastOnce),
        ]
        for sample in samples {
            print("\n-- MQTT \(sample.topic) (QoS \(sample.qos.text)) becomes:")
            do {
                let results = try mappings.outflow(sample)
                if results.isEmpty { print("   (no outflow rule matches)") }
                for result in results { print("   [\(result.ruleId)] \(MessageJSON.render(result.message))") }
            } catch {
                print("   rejected: \(error)")
            }
        }

        let commands: [QueueMessage] = [
            QueueMessage(
                topic: "DEVICE_CMD", tag: "cmd", properties: [PropertyName.mqttSecondTopic: "/dev-001/set"],
                body: Array(#"{"target":22}"#.utf8)),
            QueueMessage(
                topic: "DEVICE_CMD", tag: "cmd",
                properties: [PropertyName.mqttSecondTopic: "/p2p/GID_sensors@@@dev-001", PropertyName.qosLevel: "2"],
                body: Array("reboot".utf8)),
            QueueMessage(topic: "DEVICE_CMD", tag: "cmd", properties: [PropertyName.qosLevel: "5"], body: []),
        ]
        for command in commands {
            print("\n-- queue \(command.topic) tag \(command.tag ?? "-") \(command.properties) becomes:")
            do {
                let result = try mappings.inflow(command)
                print("   [\(result.ruleId)] \(MessageJSON.render(result.message))")
            } catch {
                print("   rejected: \(error)")
            }
        }

        let event = StatusEvent(
            clientId: "GID_sensors@@@dev-001", time: 1_795_297_490_123, eventType: .connect,
            channelId: "2b9b1281046046faafe5e0b458e4aa01", clientIp: "127.0.0.1:33350")
        print("\n-- client status event \(event.eventType.rawValue) of \(event.clientId) becomes:")
        for result in mappings.status(event) {
            print("   [\(result.ruleId)] \(MessageJSON.render(result.message))")
        }
    }
}
