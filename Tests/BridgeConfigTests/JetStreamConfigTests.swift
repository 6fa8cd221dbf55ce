import Testing

@testable import BridgeConfig

/// The `jetstream` section: defaults, every key, and each problem at its exact line and column.
@Suite struct JetStreamConfigTests {
    /// Broker settings and a blank line (lines 1–4); `jetstream:` is line 5, its first key line 6.
    static let header = "mqtt:\n  url: mqtt://127.0.0.1:1883\n  clientId: bridge\n\n"
    static let rule = "outflow:\n  - id: a\n    mqtt: s/#\n    queueTopic: Q\n"

    static func withSection(_ body: String) -> String { header + "jetstream:\n" + body + rule }

    func load(_ yaml: String, files: [String: String] = [:]) throws -> BridgeConfiguration {
        try ConfigLoader.parse(yaml: yaml, file: "/etc/mqbridge/m.yaml") { path in
            files[path].map { .success($0) } ?? .failure(FileReadFailure(reason: "no such file"))
        }
    }

    func diagnostics(_ yaml: String) -> [String] { checkDiagnostics(yaml) }

    @Test func absentSectionChangesNothing() throws {
        let configuration = try load(Self.header + Self.rule)
        #expect(configuration.jetstream == nil)
        // Without JetStream, DLQ is an ordinary queue topic.
        #expect(try load(Self.header + "outflow:\n  - id: a\n    mqtt: s/#\n    queueTopic: DLQ\n").jetstream == nil)
    }

    @Test func defaults() throws {
        let settings = try #require(try load(Self.withSection("  url: nats://127.0.0.1:4222\n")).jetstream)
        var expected = JetStreamSettings(servers: [NATSServerURL(host: "127.0.0.1", port: 4222, tls: false)])
        expected.subjectPrefix = "mq"
        expected.replicas = 1
        expected.maxAge = .seconds(72 * 3600)
        expected.maxBytes = nil
        expected.duplicateWindow = .seconds(120)
        expected.discard = .new
        expected.maxPending = 1024
        expected.ackWait = .seconds(30)
        expected.maxAckPending = 1000
        expected.authentication = .none
        expected.caFile = nil
        #expect(settings == expected)
    }

    @Test func everyKey() throws {
        let yaml = Self.withSection(
            """
              url: [nats://a.example, "tls://[::1]:4333", nats://10.0.0.3:5222]
              subjectPrefix: acme.prod
              replicas: 3
              maxAge: 7d
              maxBytes: 1_073_741_824
              duplicateWindow: 500ms
              discard: old
              maxPending: 65536
              ackWait: 45s
              maxAckPending: 20
              user: bridge
              passwordEnv: NATS_PASSWORD
              caFile: certs/nats-ca.pem

            """)
        let settings = try #require(try load(yaml, files: ["/etc/mqbridge/certs/nats-ca.pem": "PEM"]).jetstream)
        #expect(settings.servers == [
            NATSServerURL(host: "a.example", port: 4222, tls: false),
            NATSServerURL(host: "::1", port: 4333, tls: true),
            NATSServerURL(host: "10.0.0.3", port: 5222, tls: false),
        ])
        #expect(settings.servers.map(\.description) == ["nats://a.example:4222", "tls://[::1]:4333", "nats://10.0.0.3:5222"])
        #expect(settings.subjectPrefix == "acme.prod")
        #expect(settings.replicas == 3)
        #expect(settings.maxAge == .seconds(7 * 86_400))
        #expect(settings.maxBytes == 1_073_741_824)
        #expect(settings.duplicateWindow == .milliseconds(500))
        #expect(settings.discard == .old)
        #expect(settings.maxPending == 65_536)
        #expect(settings.ackWait == .seconds(45))
        #expect(settings.maxAckPending == 20)
        #expect(settings.authentication == .userPassword(user: "bridge", password: .environment("NATS_PASSWORD")))
        #expect(settings.caFile == "/etc/mqbridge/certs/nats-ca.pem")
    }

    @Test func urlAsStringOrList() throws {
        let single = try #require(try load(Self.withSection("  url: tls://nats.example\n")).jetstream)
        #expect(single.servers == [NATSServerURL(host: "nats.example", port: 4222, tls: true)])
        let list = try #require(try load(Self.withSection("  url:\n    - nats://a:1\n    - nats://b\n")).jetstream)
        #expect(list.servers == [NATSServerURL(host: "a", port: 1), NATSServerURL(host: "b", port: 4222)])
    }

    @Test func otherWaysToLogIn() throws {
        let literal = try #require(try load(Self.withSection("  url: nats://h\n  user: u\n  password: secret\n")).jetstream)
        #expect(literal.authentication == .userPassword(user: "u", password: .literal("secret")))
        let token = try #require(try load(Self.withSection("  url: nats://h\n  token: t0k\n")).jetstream)
        #expect(token.authentication == .token(.literal("t0k")))
        let tokenEnv = try #require(try load(Self.withSection("  url: nats://h\n  tokenEnv: NATS_TOKEN\n")).jetstream)
        #expect(tokenEnv.authentication == .token(.environment("NATS_TOKEN")))
        // A credentials file holds a secret: resolved against the mapping file, read only when the worker starts.
        let creds = try #require(try load(Self.withSection("  url: nats://h\n  credsFile: bridge.creds\n")).jetstream)
        #expect(creds.authentication == .credentialsFile("/etc/mqbridge/bridge.creds"))
        let absolute = try #require(try load(Self.withSection("  url: nats://h\n  credsFile: /run/secrets/b.creds\n")).jetstream)
        #expect(absolute.authentication == .credentialsFile("/run/secrets/b.creds"))
    }

    @Test(arguments: ["1ms", "59s", "2m", "2h", "1d", "106751d"])
    func durationsWithinLimits(text: String) throws {
        #expect(try load(Self.withSection("  url: nats://h\n  ackWait: \(text)\n")).jetstream != nil)
    }

    static let cases: [(body: String, expected: String)] = [
        ("  url: http://x\n", "m.yaml:6:8: NATS server URL 'http://x' must start with nats:// or tls://"),
        ("  url: nats://u:p@h\n", "m.yaml:6:8: NATS server URL 'nats://u:p@h' must not hold credentials; set jetstream.user and password, token or credsFile"),
        ("  url: nats://h/x\n", "m.yaml:6:8: NATS server URL 'nats://h/x' must be scheme://host[:port], without a path"),
        ("  url: nats://h:0\n", "m.yaml:6:8: NATS server URL 'nats://h:0': port '0' must be a number from 1 to 65535"),
        ("  url: []\n", "m.yaml:6:8: jetstream.url must name at least one server (e.g. nats://127.0.0.1:4222)"),
        ("  url: [nats://a, nats://a:4222]\n", "m.yaml:6:19: NATS server URL 'nats://a:4222' is listed twice"),
        ("  url: {host: a}\n", "m.yaml:6:8: jetstream.url must be a string, found a mapping"),
        ("  replicas: 1\n", "m.yaml:6:3: missing required key 'url' in section 'jetstream' (e.g. nats://127.0.0.1:4222, or a list of servers)"),
        (
            "  url: nats://h\n  subjectPrefix: a..b\n",
            "m.yaml:7:20: jetstream.subjectPrefix 'a..b': token '' is not usable; each dot-separated token must be non-empty printable ASCII without spaces, '*', '>', '/' or '\\'"
        ),
        (
            "  url: nats://h\n  subjectPrefix: \"mq.*\"\n",
            "m.yaml:7:22: jetstream.subjectPrefix 'mq.*': token '*' is not usable; each dot-separated token must be non-empty printable ASCII without spaces, '*', '>', '/' or '\\'"
        ),
        (
            "  url: nats://h\n  subjectPrefix: $SYS\n",
            "m.yaml:7:18: jetstream.subjectPrefix '$SYS' must not start with '$': NATS keeps those subjects for itself ($JS, $SYS)"
        ),
        ("  url: nats://h\n  replicas: 7\n", "m.yaml:7:13: jetstream.replicas must be from 1 to 5, found 7"),
        ("  url: nats://h\n  maxAge: 72\n", "m.yaml:7:11: jetstream.maxAge must be a whole number followed by ms, s, m, h or d (e.g. 72h), found the number 72"),
        ("  url: nats://h\n  maxAge: 3w\n", "m.yaml:7:11: jetstream.maxAge must be a whole number followed by ms, s, m, h or d (e.g. 72h), found the string '3w'"),
        ("  url: nats://h\n  maxAge: 1.5h\n", "m.yaml:7:11: jetstream.maxAge must be a whole number followed by ms, s, m, h or d (e.g. 72h), found the string '1.5h'"),
        ("  url: nats://h\n  maxAge: 0s\n", "m.yaml:7:11: jetstream.maxAge must be more than zero, found '0s'"),
        ("  url: nats://h\n  maxAge: 106752d\n", "m.yaml:7:11: jetstream.maxAge '106752d' is longer than JetStream allows (at most 106751d)"),
        (
            "  url: nats://h\n  maxAge: 1h\n  duplicateWindow: 2h\n",
            "m.yaml:8:20: jetstream.duplicateWindow (2h) cannot be longer than jetstream.maxAge (1h): a message must be kept at least as long as its ID is remembered"
        ),
        (
            "  url: nats://h\n  maxAge: 1m\n",
            "m.yaml:7:11: jetstream.duplicateWindow (2m) cannot be longer than jetstream.maxAge (1m): a message must be kept at least as long as its ID is remembered"
        ),
        ("  url: nats://h\n  duplicateWindow: ~\n", "m.yaml:7:20: jetstream.duplicateWindow must be a whole number followed by ms, s, m, h or d (e.g. 2m), found nothing (null)"),
        (
            "  url: nats://h\n  discard: all\n",
            "m.yaml:7:12: jetstream.discard must be new (refuse new messages when a stream is full: back-pressure) or old (drop the oldest), found 'all'"
        ),
        ("  url: nats://h\n  maxPending: 0\n", "m.yaml:7:15: jetstream.maxPending must be from 1 to 65536, found 0"),
        ("  url: nats://h\n  maxBytes: 1GB\n", "m.yaml:7:13: jetstream.maxBytes must be a whole number, found the string '1GB'"),
        ("  url: nats://h\n  ackWait: 30\n", "m.yaml:7:12: jetstream.ackWait must be a whole number followed by ms, s, m, h or d (e.g. 30s), found the number 30"),
        ("  url: nats://h\n  maxAckPending: 0\n", "m.yaml:7:18: jetstream.maxAckPending must be from 1 to 1000000, found 0"),
        ("  url: nats://h\n  user: u\n  password: p\n  passwordEnv: P\n", "m.yaml:9:16: set either jetstream.password or jetstream.passwordEnv, not both"),
        ("  url: nats://h\n  password: p\n", "m.yaml:7:3: a password needs jetstream.user as well"),
        ("  url: nats://h\n  user: u\n", "m.yaml:7:3: jetstream.user needs password or passwordEnv as well"),
        (
            "  url: nats://h\n  user: u\n  password: p\n  token: t\n",
            "m.yaml:9:3: jetstream: token given as well as user and password; choose one way to log in: user and password, token, or credsFile"
        ),
        ("  url: nats://h\n  token: t\n  tokenEnv: T\n", "m.yaml:8:13: set either jetstream.token or jetstream.tokenEnv, not both"),
        (
            "  url: nats://h\n  tokenEnv: T\n  credsFile: x.creds\n",
            "m.yaml:8:3: jetstream: credsFile given as well as token; choose one way to log in: user and password, token, or credsFile"
        ),
        ("  url: nats://h\n  caFile: /nonexistent/ca.pem\n", "m.yaml:7:11: jetstream.caFile '/nonexistent/ca.pem': no such file"),
        ("  url: nats://h\n  maxage: 1h\n", "m.yaml:7:3: unknown key 'maxage' in section 'jetstream'; did you mean 'maxAge'?"),
        ("  - nats://h\n", "m.yaml:6:3: section 'jetstream' must be a mapping, found a list"),
    ]

    @Test(arguments: cases)
    func reportsProblemAtItsPosition(body: String, expected: String) {
        #expect(diagnostics(Self.withSection(body)) == [expected])
    }

    @Test func everyProblemOfTheSectionAtOnce() {
        let yaml = Self.withSection("  url: nats://h:x\n  replicas: 0\n  discard: none\n")
        #expect(
            diagnostics(yaml) == [
                "m.yaml:6:8: NATS server URL 'nats://h:x': port 'x' must be a number from 1 to 65535",
                "m.yaml:7:13: jetstream.replicas must be from 1 to 5, found 0",
                "m.yaml:8:12: jetstream.discard must be new (refuse new messages when a stream is full: back-pressure) or old (drop the oldest), found 'none'",
            ])
    }

    @Test func rulesMustFitSubjectsStreamNamesAndHeaders() {
        let yaml = """
            mqtt:
              url: mqtt://127.0.0.1:1883
              clientId: bridge
            status:
              source: mosquitto-log
            jetstream:
              url: nats://h
              subjectPrefix: acme.prod
            outflow:
              - id: a
                mqtt: s/#
                queueTopic: DLQ
                properties: {Mq-Trace: x, "a b": y, Nats-Expected-Stream: z, site: ok}
              - id: b
                mqtt: t/#
                queueTopic: "A B"
            inflow:
              - id: c
                queueTopic: DLQ
                mqttParent: d
            statusRules:
              - id: d
                groupId: G
                queueTopic: DLQ
            """
        #expect(
            diagnostics(yaml) == [
                "m.yaml:12:17: queueTopic 'DLQ' cannot be used with jetstream: acme.prod.DLQ.> and the stream acme_prod_DLQ hold the dead letters of every topic; choose another name",
                "m.yaml:13:18: property 'Mq-Trace' cannot be used with jetstream: header names starting with Nats- or Mq- belong to NATS and the bridge",
                "m.yaml:13:31: property 'a b' cannot be used with jetstream: a header name holds no ':', ',', whitespace or control characters",
                "m.yaml:13:41: property 'Nats-Expected-Stream' cannot be used with jetstream: header names starting with Nats- or Mq- belong to NATS and the bridge",
                // Reported once, by the general queue-topic rule.
                "m.yaml:16:17: queueTopic 'A B' may contain only letters, digits, '%', '|', '_' and '-' (at most 127)",
                "m.yaml:19:17: queueTopic 'DLQ' cannot be used with jetstream: acme.prod.DLQ.> and the stream acme_prod_DLQ hold the dead letters of every topic; choose another name",
                "m.yaml:24:17: queueTopic 'DLQ' cannot be used with jetstream: acme.prod.DLQ.> and the stream acme_prod_DLQ hold the dead letters of every topic; choose another name",
            ])
    }

    @Test func topicsThatCannotBeSubjectTokensAreRefusedWithTheReason() {
        // Mapping files refuse these characters in every queue topic already; the JetStream check says why
        // they could never be used there either.
        for topic in ["a.b", "a*", "a>", "a b", "a/b", "a\\b", "a\tb"] {
            #expect(
                ConfigLoader.jetStreamTopicProblem(topic, prefix: "acme.prod")
                    == "queueTopic '\(topic)' cannot be used with jetstream: it becomes the subject acme.prod.\(topic).<tag> and the stream name acme_prod_\(topic), which cannot hold '.', '*', '>', whitespace, '/' or '\\'")
        }
        for topic in ["SENSOR_DATA", "a%b|c-d", "dlq"] {
            #expect(ConfigLoader.jetStreamTopicProblem(topic, prefix: "mq") == nil)
        }
    }
}
