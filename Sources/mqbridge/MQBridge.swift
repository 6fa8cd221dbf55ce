import ArgumentParser

@main
struct MQBridge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mqbridge",
        abstract: "Maps MQTT messages to queue-side messages and back, and turns client connects into status events.",
        subcommands: [
            CheckCommand.self, TranslateCommand.self, RunCommand.self, HubCommand.self, WorkerCommand.self,
            ConsumeCommand.self, ProduceCommand.self, KeygenCommand.self, DemoCommand.self, LoadgenCommand.self,
        ]
    )
}
