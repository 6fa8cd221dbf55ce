import Testing

@testable import BridgeConfig

/// hub.curve, worker.curve, mqtt.caFile, api.listen defaults and the exposure warnings.
@Suite struct SecurityConfigTests {
    static let alice = "lz.ItSQy}Qd1IF6EhYQjs}uebE(q.>wX=TNY6iY?"
    static let bob = "yJQ+cYcI2!B)(y(vdCrl[qSsJ*f?pGw(69Dit:Rd"
    static let hubPublic = "Y/3U:b&f!Oi{>TvBW7P007XBNzK.Fa:U}vE)NjWb"
    static let header = "mqtt:\n  url: mqtt://127.0.0.1:1883\n  clientId: bridge\n\n"
    static let rule = "outflow:\n  - {id: a, mqtt: s/#, queueTopic: Q}\n"

    /// In-memory files for the key files and CA bundles a mapping file names.
    static func files(_ contents: [String: String]) -> FileReader {
        { path in contents[path].map { .success($0) } ?? .failure(FileReadFailure(reason: "no such file")) }
    }

    func parse(_ yaml: String, file: String = "m.yaml", files: [String: String] = [:]) throws(ConfigError) -> BridgeConfiguration {
        try ConfigLoader.parse(yaml: Self.header + yaml + Self.rule, file: file, readFile: Self.files(files))
    }

    func diagnostics(_ yaml: String, file: String = "m.yaml", files: [String: String] = [:]) -> [String] {
        do {
            _ = try parse(yaml, file: file, files: files)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func readsHubAndWorkerCurve() throws {
        let configuration = try parse(
            """
            hub:
              endpoint: tcp://0.0.0.0:5600
              curve:
                secretKeyFile: keys/hub.key
                allowedClients: ["\(Self.alice)", "\(Self.bob)"]
                allowedClientsFile: clients.txt
            worker:
              curve:
                serverKeyFile: /etc/mqbridge/hub.pub
                secretKeyEnv: WORKER_KEY

            """,
            file: "/etc/mqbridge/bridge.yaml",
            files: [
                "/etc/mqbridge/clients.txt": "# the ops team\n\n\(Self.bob)   # bob again\n  \(Self.hubPublic)\n",
                "/etc/mqbridge/hub.pub": "\(Self.hubPublic)\n",
            ])
        let curve = try #require(configuration.hub.curve)
        #expect(curve.secretKey == .file("/etc/mqbridge/keys/hub.key"))
        #expect(curve.allowedClients == [Self.alice, Self.bob, Self.hubPublic])
        #expect(configuration.worker.curve == CurveClientSettings(serverKey: Self.hubPublic, secretKey: .environment("WORKER_KEY")))
        #expect(configuration.warnings.isEmpty, "CURVE is on, so the 0.0.0.0 endpoint is not a warning")
    }

    static let diagnosticCases: [(yaml: String, files: [String: String], expected: [String])] = [
        // Bad keys in the list, at the offending character.
        (
            "hub:\n  curve:\n    secretKeyEnv: K\n    allowedClients:\n      - \"\(alice)\"\n      - \"yJQ+cYcI2!B)(y(vdCrl[qSsJ*f?pGw(69Dit;Rd\"\n",
            [:],
            ["m.yaml:10:47: hub.curve.allowedClients: not a CURVE public key: character ';' is not in the Z85 alphabet (0-9 a-z A-Z .-:+=^!/*?&<>()[]{}@%$#)"]
        ),
        (
            "hub:\n  curve:\n    secretKeyEnv: K\n    allowedClients: [\"\(alice.dropLast())\"]\n",
            [:],
            ["m.yaml:8:23: hub.curve.allowedClients: not a CURVE public key: a CURVE key is 40 Z85 characters, found 39"]
        ),
        (
            "hub:\n  curve:\n    secretKeyEnv: K\n    allowedClients:\n      - lz.It#####d1IF6EhYQjs}uebE(q.>wX=TNY6iY?\n",
            [:],
            ["m.yaml:9:14: hub.curve.allowedClients: not a CURVE public key: characters 6-10 are not valid Z85 (their value exceeds 32 bits)"]
        ),
        // Bad keys in the key file, at their line and column in that file, after the mapping file's problems.
        (
            "hub:\n  curve:\n    secretKeyFile: hub.key\n    secretKeyEnv: K\n    allowedClientsFile: clients.txt\n",
            ["conf/clients.txt": "# ops\n\(alice)  # alice\n  \(bob.dropLast())\n\(hubPublic) extra\n"],
            [
                "conf/m.yaml:8:19: set either hub.curve.secretKeyFile or hub.curve.secretKeyEnv, not both",
                "conf/clients.txt:3:3: not a CURVE public key: a CURVE key is 40 Z85 characters, found 39",
                "conf/clients.txt:4:42: one key per line; comments start with '#'",
            ]
        ),
        (
            "hub:\n  curve:\n    secretKeyEnv: K\n    allowedClientsFile: /nowhere/clients.txt\n",
            [:],
            ["m.yaml:8:25: hub.curve.allowedClientsFile '/nowhere/clients.txt': no such file"]
        ),
        (
            "hub:\n  curve:\n    secretKeyEnv: K\n    allowedClientsFile: empty.txt\n",
            ["empty.txt": "# nobody yet\n"],
            ["m.yaml:8:25: hub.curve.allowedClientsFile 'empty.txt' holds no keys (one Z85 public key per line)"]
        ),
        // Missing pieces.
        (
            "hub:\n  curve:\n    allowedClients: [\"\(alice)\"]\n",
            [:],
            ["m.yaml:7:5: hub.curve needs the hub's secret key: put it in a file (secretKeyFile, mode 0600; `mqbridge keygen --out PREFIX` writes one) or an environment variable (secretKeyEnv)"]
        ),
        (
            "hub:\n  curve:\n    secretKeyFile: hub.key\n",
            [:],
            ["m.yaml:7:5: hub.curve needs the public keys of the clients it lets in: allowedClients (a list) or allowedClientsFile (one key per line)"]
        ),
        (
            "worker:\n  curve:\n    secretKeyFile: w.key\n",
            [:],
            ["m.yaml:7:5: worker.curve needs the hub's public key: serverKey, or serverKeyFile (e.g. hub.pub from mqbridge keygen)"]
        ),
        (
            "worker:\n  curve:\n    serverKey: \"\(hubPublic)\"\n    serverKeyFile: hub.pub\n    secretKeyEnv: W\n",
            [:],
            ["m.yaml:7:16: set either worker.curve.serverKey or worker.curve.serverKeyFile, not both"]
        ),
        (
            "worker:\n  curve:\n    serverKey: \"\(hubPublic)x\"\n    secretKeyEnv: W\n",
            [:],
            ["m.yaml:7:17: worker.curve.serverKey: not a CURVE public key: a CURVE key is 40 Z85 characters, found 41"]
        ),
        (
            "api:\n  listen: 8080\n",
            [:],
            []
        ),
    ]

    @Test(arguments: diagnosticCases)
    func reportsEachProblemAtItsPosition(yaml: String, files: [String: String], expected: [String]) {
        let file = files.keys.contains(where: { $0.hasPrefix("conf/") }) ? "conf/m.yaml" : "m.yaml"
        #expect(diagnostics(yaml, file: file, files: files) == expected)
    }

    @Test func aLiteralSecretKeyIsRefusedWithoutEchoingIt() {
        let secret = "}zc5U7(!.UO4bQV2:-0@<l95tHlolK[=0qc8.][>"
        let found = diagnostics("hub:\n  curve:\n    secretKey: \"\(secret)\"\n    allowedClients: [\"\(Self.alice)\"]\n")
        #expect(found == [
            "m.yaml:7:5: hub.curve.secretKey: a secret key does not belong in the mapping file; put it in a file (secretKeyFile, mode 0600; `mqbridge keygen --out PREFIX` writes one) or an environment variable (secretKeyEnv)",
        ])
        #expect(!found.joined().contains(secret))
        let badSecretInList = diagnostics("hub:\n  curve:\n    secretKeyEnv: K\n    allowedClients: [\"\(secret)x\"]\n")
        #expect(badSecretInList.count == 1)
        #expect(!badSecretInList.joined().contains(secret))
    }

    @Test func caFileNeedsMqttsAndAReadableFile() throws {
        #expect(diagnostics("", files: [:]).isEmpty)
        let plain = try? ConfigLoader.parse(
            yaml: "mqtt:\n  url: mqtt://h\n  clientId: c\n  caFile: ca.pem\n" + Self.rule, file: "m.yaml",
            readFile: Self.files(["ca.pem": "PEM"]))
        #expect(plain == nil)
        func problems(_ mqtt: String, _ files: [String: String]) -> [String] {
            do {
                _ = try ConfigLoader.parse(yaml: mqtt + Self.rule, file: "dir/m.yaml", readFile: Self.files(files))
                return []
            } catch { return error.diagnostics.map(\.description) }
        }
        #expect(problems("mqtt:\n  url: mqtt://h\n  clientId: c\n  caFile: ca.pem\n", ["dir/ca.pem": "PEM"])
            == ["dir/m.yaml:4:11: mqtt.caFile is used only with an mqtts:// URL; mqtt.url is mqtt://h:1883"])
        #expect(problems("mqtt:\n  url: mqtts://h\n  clientId: c\n  caFile: ca.pem\n", [:])
            == ["dir/m.yaml:4:11: mqtt.caFile 'dir/ca.pem': no such file"])
        let configuration = try ConfigLoader.parse(
            yaml: "mqtt:\n  url: mqtts://h\n  clientId: c\n  caFile: ca.pem\n" + Self.rule, file: "dir/m.yaml",
            readFile: Self.files(["dir/ca.pem": "PEM"]))
        #expect(configuration.mqtt.caFile == "dir/ca.pem")
        #expect(configuration.mqtt.url.port == 8883)
    }

    @Test(arguments: [
        ("8080", "127.0.0.1", 8080), ("\":8081\"", "127.0.0.1", 8081), ("0.0.0.0:8082", "0.0.0.0", 8082),
        ("\"[::1]:8083\"", "::1", 8083), ("localhost:8084", "localhost", 8084),
    ])
    func apiListenWithOnlyAPortStaysOnLoopback(listen: String, host: String, port: Int) throws {
        let configuration = try parse("api:\n  listen: \(listen)\n")
        #expect(configuration.api == APISettings(host: host, port: port))
        #expect(configuration.warnings.isEmpty == (host != "0.0.0.0"))
    }

    @Test func warnsAboutEndpointsReachableFromOtherHosts() throws {
        let configuration = try parse(
            "api:\n  listen: 0.0.0.0:8080\nqueue:\n  publish: tcp://0.0.0.0:5601\n  accept: tcp://127.0.0.1:5602\nhub:\n  endpoint: tcp://*:5600\n")
        #expect(configuration.warnings.map(\.description) == [
            "m.yaml:6:11: warning: api.listen 0.0.0.0:8080 is reachable from other hosts and the HTTP API has no authentication; set api.token, listen on 127.0.0.1, or put a proxy with access control in front",
            "m.yaml:8:12: warning: queue.publish tcp://0.0.0.0:5601 is reachable from other hosts without encryption or authentication; set hub.curve to let in only known clients",
            "m.yaml:11:13: warning: hub.endpoint tcp://*:5600 is reachable from other hosts without encryption or authentication; set hub.curve to let in only known clients",
        ])
        let ipcOnly = try parse(
            "queue:\n  publish: ipc:///tmp/p\nhub:\n  endpoint: ipc:///tmp/h\n  curve:\n    secretKeyEnv: K\n    allowedClients: [\"\(Self.alice)\"]\n")
        #expect(ipcOnly.warnings.map(\.description) == [
            "m.yaml:10:5: warning: hub.curve is set but the hub has no tcp:// endpoint; CURVE applies to tcp:// only (inproc:// and ipc:// stay plain)",
        ])
    }

    @Test func apiTokenIsReadAndSilencesTheExposureWarning() throws {
        let token = "0123456789abcdef0123"
        let configuration = try parse("api:\n  listen: 0.0.0.0:8080\n  token: \(token)\n")
        #expect(configuration.api == APISettings(host: "0.0.0.0", port: 8080, token: token))
        #expect(configuration.warnings.isEmpty, "a token is the access control the warning asks for")
        for bad in ["short", "\"with spaces 0123456789\"", "\"\""] {
            let problems = checkDiagnostics("api:\n  listen: 8080\n  token: \(bad)\n")
            #expect(problems.contains("m.yaml:3:10: api.token must be at least 16 ASCII characters without spaces (e.g. the output of `openssl rand -hex 16`)"), "\(bad): \(problems)")
        }
    }

    @Test func keyTextRules() {
        #expect(CurveKeyText.problem(in: Self.alice) == nil)
        #expect(CurveKeyText.problem(in: "") == CurveKeyText.Problem(offset: 0, message: "a CURVE key is 40 Z85 characters, found 0"))
        #expect(CurveKeyText.problem(in: "ab cd")?.offset == 2)
        #expect(CurveKeyText.problem(in: "ab\"cd", showCharacters: false)?.message.contains("position 3") == true)
        // The largest first digit of a group is 82 ('%'): a key can never start with '#' (84), so '#' lines are comments.
        #expect(CurveKeyText.problem(in: "#" + Self.alice.dropFirst())?.offset == 0)
        #expect(CurveKeyText.problem(in: "%nSc0" + Self.alice.dropFirst(5)) == nil)
        #expect(CurveKeyText.problem(in: "%nSc1" + Self.alice.dropFirst(5))?.offset == 0)
    }
}
