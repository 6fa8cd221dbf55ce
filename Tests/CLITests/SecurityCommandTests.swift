import Foundation
import Testing
import ZeroMQ

/// `mqbridge keygen`, and what `check`, `hub` and `worker mqtt` say about CURVE settings.
@Suite struct SecurityCommandTests {
    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// `public-key: X` and `secret-key: Y` lines.
    static func keys(in output: String) -> [String: String] {
        var keys: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { keys[String(parts[0])] = String(parts[1]) }
        }
        return keys
    }

    @Test func keygenPrintsAValidPair() throws {
        let result = try CLIRunner.run(["keygen"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutLines.count == 2)
        let keys = Self.keys(in: result.stdout)
        let publicKey = try #require(keys["public-key:"])
        let secretKey = try #require(keys["secret-key:"])
        #expect(publicKey.utf8.count == 40 && secretKey.utf8.count == 40)
        #expect(try CurveKeyPair.publicKey(fromSecret: secretKey) == publicKey, "the public key is the secret key's")
        let again = Self.keys(in: try CLIRunner.run(["keygen"]).stdout)
        #expect(again["secret-key:"] != secretKey)
    }

    @Test func keygenOutWritesASecretFileOnlyItsOwnerCanRead() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let prefix = directory.appendingPathComponent("hub").path
        let result = try CLIRunner.run(["keygen", "--out", prefix])
        #expect(result.status == 0, "\(result.stderr)")
        let printed = try #require(Self.keys(in: result.stdout)["public-key:"])
        #expect(Self.keys(in: result.stdout)["secret-key:"] == nil, "with --out the secret key stays in its file")
        #expect(result.stderr.contains("wrote \(prefix).key (secret key, mode 0600) and \(prefix).pub"))

        let secret = try String(contentsOfFile: prefix + ".key", encoding: .utf8)
        let publicKey = try String(contentsOfFile: prefix + ".pub", encoding: .utf8)
        #expect(publicKey == printed + "\n")
        #expect(try CurveKeyPair.publicKey(fromSecret: secret.trimmingCharacters(in: .newlines)) == printed)
        let secretMode = try FileManager.default.attributesOfItem(atPath: prefix + ".key")[.posixPermissions] as? Int
        let publicMode = try FileManager.default.attributesOfItem(atPath: prefix + ".pub")[.posixPermissions] as? Int
        #expect(secretMode == 0o600)
        #expect(publicMode == 0o644)

        let again = try CLIRunner.run(["keygen", "--out", prefix])
        #expect(again.status == 1)
        #expect(again.stderr.contains("\(prefix).key already exists; remove it or choose another --out"))
        #expect(try String(contentsOfFile: prefix + ".key", encoding: .utf8) == secret, "an existing key is never overwritten")
    }

    /// keygen's files plug straight into a mapping file; `check` accepts them and never prints a secret key.
    @Test func checkAcceptsKeygenFilesAndNeverPrintsSecrets() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let hub = Self.keys(in: try CLIRunner.run(["keygen", "--out", directory.appendingPathComponent("hub").path]).stdout)
        let worker = Self.keys(in: try CLIRunner.run(["keygen", "--out", directory.appendingPathComponent("worker").path]).stdout)
        let client = Self.keys(in: try CLIRunner.run(["keygen"]).stdout)
        let hubSecret = try String(contentsOfFile: directory.appendingPathComponent("hub.key").path, encoding: .utf8)
        let workerSecret = try String(contentsOfFile: directory.appendingPathComponent("worker.key").path, encoding: .utf8)
        try "# allowed\n\(worker["public-key:"]!)\n\(client["public-key:"]!)  # a client\n"
            .write(to: directory.appendingPathComponent("clients.txt"), atomically: true, encoding: .utf8)
        let config = directory.appendingPathComponent("bridge.yaml")
        try """
            mqtt:
              url: mqtt://127.0.0.1:1883
              clientId: secure-1
            queue:
              publish: tcp://0.0.0.0:5601
            hub:
              endpoint: tcp://0.0.0.0:5600
              curve:
                secretKeyFile: hub.key
                allowedClientsFile: clients.txt
            worker:
              curve:
                serverKeyFile: hub.pub
                secretKeyFile: worker.key
            outflow:
              - {id: a, mqtt: s/#, queueTopic: Q}
            """.write(to: config, atomically: true, encoding: .utf8)
        let result = try CLIRunner.run(["check", "--config", config.path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("CURVE on tcp:// endpoints (secret key from file \(directory.path)/hub.key, 2 allowed client keys)"), "\(result.stdout)")
        for secret in [hubSecret, workerSecret, client["secret-key:"]!] {
            #expect(!result.stdout.contains(secret.trimmingCharacters(in: .newlines)))
            #expect(!result.stderr.contains(secret.trimmingCharacters(in: .newlines)))
        }
        #expect(hub["public-key:"] != nil)
    }

    @Test func checkPrintsWarningsAndStillPasses() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("open.yaml").path
        try "mqtt:\n  url: mqtt://h\n  clientId: c\napi:\n  listen: 0.0.0.0:8080\noutflow:\n  - {id: a, mqtt: s/#, queueTopic: Q}\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let result = try CLIRunner.run(["check", "--config", config])
        #expect(result.status == 0)
        #expect(result.stdoutLines.first?.hasPrefix("\(config):5:11: warning: api.listen 0.0.0.0:8080 is reachable from other hosts") == true)
        #expect(result.stdoutLines.last?.hasPrefix("\(config): valid; ") == true)
    }

    @Test func unreadableSecretKeyIsAStartUpErrorNamingTheFile() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("hub.yaml").path
        let client = Self.keys(in: try CLIRunner.run(["keygen"]).stdout)["public-key:"]!
        try """
            mqtt:
              url: mqtt://127.0.0.1:1
              clientId: c
            hub:
              endpoint: tcp://127.0.0.1:1
              curve:
                secretKeyFile: missing.key
                allowedClients: ["\(client)"]
            outflow:
              - {id: a, mqtt: s/#, queueTopic: Q}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try CLIRunner.run(["check", "--config", config]).status == 0, "check does not read secret keys")
        let hub = try CLIRunner.run(["hub", "--config", config])
        #expect(hub.status == 1)
        #expect(hub.stderr.contains("mqbridge: cannot read hub.curve.secretKeyFile '\(directory.path)/missing.key': no such file"), "\(hub.stderr)")
        let worker = try CLIRunner.run(["worker", "mqtt", "--config", config])
        #expect(worker.status == 1)
        #expect(worker.stderr.contains("hub.curve is set, so the hub at tcp://127.0.0.1:1 lets in only CURVE clients: add a worker.curve section"), "\(worker.stderr)")
    }
}
