import Testing

@testable import BridgeConfig

/// `queue.durable`: durable subscriptions declared in the mapping file.
@Suite struct DurableSubscriptionConfigTests {
    static let header = """
        mqtt:
          url: mqtt://127.0.0.1:1883
          clientId: bridge
        outflow:
          - id: t
            mqtt: sensors/#
            queueTopic: SENSOR_DATA

        """

    func diagnostics(_ yaml: String) -> [String] { checkDiagnostics(yaml) }

    @Test func entriesWithTheirTagsAndDefaults() throws {
        let configuration = try ConfigLoader.parse(yaml: Self.header + """
            queue:
              publish: tcp://127.0.0.1:5601
              groups: [audit]
              durable:
                - group: backend
                  topic: SENSOR_DATA
                  tags: "temp||hum"
                - group: archive
                  topic: SENSOR_DATA

            """, file: "m.yaml")
        let queue = try #require(configuration.queue)
        #expect(queue.durable == [
            DurableSubscriptionSettings(group: "backend", topic: "SENSOR_DATA", tags: "temp||hum"),
            DurableSubscriptionSettings(group: "archive", topic: "SENSOR_DATA", tags: "*"),
        ])
        #expect(queue.durableGroups == ["audit", "backend", "archive"])
    }

    @Test(arguments: [
        ("    - group: backend\n", "m.yaml:11:7: missing required key 'topic' in a queue.durable entry (group, topic and optional tags)"),
        ("    - topic: SENSOR_DATA\n", "m.yaml:11:7: missing required key 'group' in a queue.durable entry (group, topic and optional tags)"),
        ("    - group: b\n      topic: T\n      tags: \"a|b\"\n", "m.yaml:13:13: queue.durable tags: tag expression 'a|b'"),
        ("    - group: b\n      topic: T\n      gruop: x\n", "m.yaml:13:7: unknown key 'gruop' in a queue.durable entry; did you mean 'group'?"),
        ("    - group: b\n      topic: T\n    - group: b\n      topic: T\n", "m.yaml:13:7: durable subscription of group 'b' to 'T' is listed twice"),
    ])
    func problemsAreReportedAtTheirLineAndColumn(entries: String, expected: String) {
        let yaml = Self.header + "queue:\n  publish: tcp://127.0.0.1:5601\n  durable:\n" + entries
        let found = diagnostics(yaml)
        #expect(found.contains { $0.hasPrefix(expected) }, "\(found)")
    }

    @Test func durableSubscriptionsNeedTheConsumersEndpoint() {
        let found = diagnostics(Self.header + "queue:\n  durable:\n    - group: b\n      topic: T\n")
        #expect(found == ["m.yaml:9:3: queue.durable needs queue.publish: durable subscriptions hold messages for consumers, which connect there"])
    }
}
