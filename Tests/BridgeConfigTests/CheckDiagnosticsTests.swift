import Testing

@testable import BridgeConfig

/// Each problem `check` reports, with its exact line and column.
@Suite struct CheckDiagnosticsTests {
    /// Three lines of broker settings and a blank line: what follows starts on line 5.
    static let header = "mqtt:\n  url: mqtt://127.0.0.1:1883\n  clientId: bridge\n\n"

    func diagnostics(_ yaml: String) -> [String] { checkDiagnostics(yaml) }

    static func withHeader(_ rest: String) -> String { header.appending(rest) }

    static let cases: [(yaml: String, expected: String)] = [
        // Unknown key, with a suggestion for a near miss.
        (
            withHeader("outflow:\n  - id: a\n    mqtt: s/#\n    queueTopic: Q\n    tga: x\n"),
            "m.yaml:9:5: unknown key 'tga' in an outflow rule; did you mean 'tag'?"
        ),
        (
            withHeader("outflow:\n  - id: a\n    mqtt: s/#\n    queueTopic: Q\nextras: 1\n"),
            "m.yaml:9:1: unknown key 'extras' in the mapping file; known keys: mqtt, queue, jetstream, api, hub, worker, status, spool, limits, outflow, inflow, statusRules"
        ),
        // Wrong type.
        (
            withHeader("outflow:\n  id: a\n"),
            "m.yaml:6:3: 'outflow' must be a list, found a mapping"
        ),
        (
            withHeader("inflow:\n  - id: a\n    queueTopic: Q\n    mqttParent: d\n    qos: high\n"),
            "m.yaml:9:10: qos must be a whole number, found the string 'high'"
        ),
        (
            withHeader("outflow:\n  - id: a\n    mqtt: s/#\n    queueTopic: Q\n    keys: k\n"),
            "m.yaml:9:11: keys must be a list, found the string 'k'"
        ),
        // Missing required key (reported at the mapping that lacks it).
        (
            withHeader("outflow:\n  - id: a\n    queueTopic: Q\n"),
            "m.yaml:6:5: missing required key 'mqtt' in an outflow rule (the MQTT topic filter, e.g. sensors/#)"
        ),
        (
            "outflow:\n  - id: a\n    mqtt: s/#\n    queueTopic: Q\n",
            "m.yaml:1:1: missing required section 'mqtt' (the broker the bridge connects to)"
        ),
        // Wildcard parent.
        (
            withHeader("outflow:\n  - id: a\n    mqtt: \"+/temp\"\n    queueTopic: Q\n"),
            "m.yaml:7:11: MQTT topic filter '+/temp': the first level (the parent topic) cannot be a wildcard"
        ),
        (
            withHeader("outflow:\n  - id: a\n    mqtt: s/#/x\n    queueTopic: Q\n"),
            "m.yaml:7:11: MQTT topic filter 's/#/x': '+' must stand alone in its level and '#' alone in the last level"
        ),
        // Unknown template variable: the column points at the '${' inside the string.
        (
            withHeader("outflow:\n  - id: a\n    mqtt: s/#\n    queueTopic: Q\n    tag: \"t-${lvl.2}\"\n"),
            "m.yaml:9:13: tag: unknown template variable '${lvl.2}'; known: ${topic} ${parent} ${subTopic} ${level.N} ${clientId} ${groupId} ${qos} ${userProperty.NAME}"
        ),
        (
            withHeader("outflow:\n  - id: a\n    mqtt: s/#\n    queueTopic: Q\n    keys: [\"${clientId}\", \"${nope}\"]\n"),
            "m.yaml:9:28: a key: unknown template variable '${nope}'; known: ${topic} ${parent} ${subTopic} ${level.N} ${clientId} ${groupId} ${qos} ${userProperty.NAME}"
        ),
        // Duplicate rule id, across kinds of rule.
        (
            withHeader(
                "status:\n  source: mosquitto-log\noutflow:\n  - id: a\n    mqtt: s/#\n    queueTopic: Q\nstatusRules:\n  - id: a\n    groupId: G\n    queueTopic: S\n"),
            "m.yaml:12:9: duplicate rule id 'a' (already used by outflow rule at line 8)"
        ),
        // Bad tag expression.
        (
            withHeader("inflow:\n  - id: a\n    queueTopic: Q\n    mqttParent: d\n    tags: \"cmd|ota\"\n"),
            "m.yaml:9:11: tag expression 'cmd|ota': separate tags with '||', not '|'"
        ),
        // Bad endpoint or URL.
        (
            withHeader("queue:\n  publish: udp://x:1\noutflow:\n  - id: a\n    mqtt: s/#\n    queueTopic: Q\n"),
            "m.yaml:6:12: queue.publish: endpoint 'udp://x:1' must be tcp://host:port, ipc://path or inproc://name"
        ),
        (
            "mqtt:\n  url: mqtt://host:99999\n  clientId: b\noutflow:\n  - id: a\n    mqtt: s/#\n    queueTopic: Q\n",
            "m.yaml:2:8: broker URL 'mqtt://host:99999': port '99999' must be a number from 1 to 65535"
        ),
        (
            withHeader("api:\n  listen: localhost\noutflow:\n  - id: a\n    mqtt: s/#\n    queueTopic: Q\n"),
            "m.yaml:6:11: api.listen 'localhost': port is missing (expected host:port, e.g. 127.0.0.1:8080)"
        ),
        // YAML syntax error.
        (
            withHeader("outflow:\n  - id: a\n    mqtt: [s/#\n"),
            "m.yaml:8:1: YAML syntax error: while parsing a flow sequence did not find expected ',' or ']'"
        ),
        // A file cut short, without a final line break: the end of the file, not a line after it.
        (
            withHeader("outflow:\n  - id: a\n    mqtt: [s/#"),
            "m.yaml:7:15: YAML syntax error: while parsing a flow sequence did not find expected ',' or ']'"
        ),
        (
            withHeader("outflow:\r\n  - id: a\r\n    queueTo"),
            "m.yaml:7:12: YAML syntax error: while scanning a simple key could not find expected ':'"
        ),
        // Duplicate key.
        (
            withHeader("outflow:\n  - id: a\n    mqtt: s/#\n    mqtt: t/#\n    queueTopic: Q\n"),
            "m.yaml:8:5: duplicate key 'mqtt'"
        ),
        // Overlapping inflow rules, reserved properties, status rules without a source.
        (
            withHeader("inflow:\n  - id: a\n    queueTopic: Q\n    mqttParent: d\n  - id: b\n    queueTopic: Q\n    tags: x\n    mqttParent: e\n"),
            "m.yaml:11:11: inflow rules 'a' and 'b' both take queue topic 'Q' with tags that overlap; give them disjoint tags"
        ),
        (
            withHeader("outflow:\n  - id: a\n    mqtt: s/#\n    queueTopic: Q\n    properties: {qoslevel: \"2\"}\n"),
            "m.yaml:9:18: property 'qoslevel' is set by the bridge and cannot be set by a rule"
        ),
        (
            withHeader("statusRules:\n  - id: a\n    groupId: G\n    queueTopic: S\n"),
            "m.yaml:5:1: status rules need a status source: set status.source to mosquitto-log or emqx-events"
        ),
        (
            withHeader("outflow:\n  - id: a\n    mqtt: s/#\n    queueTopic: \"A B\"\n"),
            "m.yaml:8:17: queueTopic 'A B' may contain only letters, digits, '%', '|', '_' and '-' (at most 127)"
        ),
        (
            header,
            "m.yaml:1:1: no rules: add at least one rule under 'outflow', 'inflow' or 'statusRules'"
        ),
        (
            withHeader("status:\n  source: mosquitto-log\n  journal: x\nstatusRules:\n  - id: a\n    groupId: G\n    queueTopic: S\n"),
            "m.yaml:7:3: unknown key 'journal' in section 'status'; known keys: source, stateDir, forgetOfflineAfter"
        ),
    ]

    @Test(arguments: cases)
    func reportsProblemAtItsPosition(yaml: String, expected: String) {
        #expect(diagnostics(yaml) == [expected])
    }

    @Test func reportsEveryProblemAtOnceInFileOrder() {
        let yaml = """
            mqtt:
              url: http://broker
              clientId: b
            outflow:
              - id: a
                mqtt: "#"
                queueTopic: Q
              - id: a
                mqtt: s/#
                queueTopic: Q
                tag: ${x}
            """
        #expect(
            diagnostics(yaml) == [
                "m.yaml:2:8: broker URL 'http://broker' must start with mqtt:// or mqtts://",
                "m.yaml:6:11: MQTT topic filter '#': the first level (the parent topic) cannot be a wildcard",
                "m.yaml:8:9: duplicate rule id 'a' (already used by outflow rule at line 5)",
                "m.yaml:11:10: tag: unknown template variable '${x}'; known: ${topic} ${parent} ${subTopic} ${level.N} ${clientId} ${groupId} ${qos} ${userProperty.NAME}",
            ])
    }

    @Test func emptyFileSaysWhatIsNeeded() {
        #expect(diagnostics("") == ["m.yaml:1:1: the file is empty; it needs an 'mqtt' section and at least one rule"])
    }

    @Test func missingFileIsReported() {
        #expect {
            try ConfigLoader.load(path: "/nonexistent/mapping.yaml")
        } throws: { error in
            (error as? ConfigError)?.description == "/nonexistent/mapping.yaml:1:1: no such file"
        }
    }
}
