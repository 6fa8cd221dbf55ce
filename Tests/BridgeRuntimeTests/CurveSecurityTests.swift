import BridgeConfig
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing
import ZeroMQ

@testable import BridgeRuntime

/// The hub's CURVE decisions and key loading, without sockets.
@Suite struct CurveSecurityTests {
    static func request(key: [UInt8]?, domain: String = "mqbridge:queue.publish") throws -> ZAPRequest {
        var frames: [[UInt8]] = [Array("1.0".utf8), [7], Array(domain.utf8), Array("10.0.0.9".utf8), [], Array((key == nil ? "NULL" : "CURVE").utf8)]
        if let key { frames.append(key) }
        return try ZAPRequest(frames: frames)
    }

    @Test func letsInAllowedKeysAndRefusesTheRestWith400() throws {
        let allowed = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        let capture = LogCapture()
        let clock = Atomic<Int64>(0)
        let authenticator = try CurveAuthenticator(
            allowedClients: [allowed.publicKey], logger: capture.logger, now: { clock.load(ordering: .relaxed) })

        let accepted = authenticator.authenticate(try Self.request(key: Z85.decode(allowed.publicKey)))
        #expect(accepted.status == .success)
        #expect(accepted.userId == allowed.publicKey)
        #expect(authenticator.refusals == 0)

        for _ in 0..<3 {
            #expect(authenticator.authenticate(try Self.request(key: Z85.decode(stranger.publicKey))).status == .authenticationFailure)
        }
        #expect(authenticator.authenticate(try Self.request(key: nil)).status == .authenticationFailure)
        #expect(authenticator.refusals == 4)
        let lines = capture.messages(at: .warning)
        #expect(lines.count == 1, "the same key is logged once; the NULL request came within the second: \(lines)")
        #expect(lines.first?.contains("refused CURVE client \(stranger.publicKey) from 10.0.0.9 on queue.publish") == true)
        #expect(!lines.joined().contains(stranger.secretKey))

        clock.store(5_000, ordering: .relaxed)
        _ = authenticator.authenticate(try Self.request(key: nil, domain: "other"))
        #expect(capture.messages(at: .warning).last?.contains("(NULL, no CURVE key) from 10.0.0.9 on ZAP domain 'other'") == true)
        #expect(capture.messages(at: .warning).last?.contains("(1 other refusals since the last report)") == true)
    }

    @Test func refusalLogLogsEachKeyOnceAndAtMostOneLineAnInterval() {
        var log = RefusalLog(intervalMs: 1_000, capacity: 2)
        #expect(log.record("a", now: 0) == (true, 0))
        #expect(log.record("a", now: 5_000) == (false, 0))
        #expect(log.record("b", now: 10) == (false, 0), "too soon after the last line")
        #expect(log.record("b", now: 1_010) == (true, 1), "b's turn comes, with the count of what was held back")
        #expect(log.record("c", now: 2_500) == (true, 0))
        #expect(log.logged == ["c"], "past its capacity the log forgets what it logged")
    }

    @Test func loadsSecretKeysFromFilesAndTheEnvironmentWithoutShowingThem() throws {
        let keys = try CurveKeyPair.generate()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("hub.key").path
        try "# hub key\n\(keys.secretKey)\n".write(toFile: good, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: good)

        let loaded = try SecretKeySource.file(good).load(fileSetting: "hub.curve.secretKeyFile", envSetting: "-")
        #expect(loaded.key == keys.secretKey)
        #expect(loaded.publicKey == keys.publicKey)
        #expect(loaded.warning == nil)

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: good)
        let open = try SecretKeySource.file(good).load(fileSetting: "hub.curve.secretKeyFile", envSetting: "-")
        #expect(open.warning == "hub.curve.secretKeyFile '\(good)' is readable by other users (mode 644); run chmod 600 on it")

        let missing = directory.appendingPathComponent("nope.key").path
        let missingError = #expect(throws: SecretKeyError.self) {
            try SecretKeySource.file(missing).load(fileSetting: "hub.curve.secretKeyFile", envSetting: "-")
        }
        #expect(missingError?.description == "cannot read hub.curve.secretKeyFile '\(missing)': no such file")

        let garbled = directory.appendingPathComponent("garbled.key").path
        try "\(keys.secretKey.dropLast())\n".write(toFile: garbled, atomically: true, encoding: .utf8)
        let garbledError = #expect(throws: SecretKeyError.self) {
            try SecretKeySource.file(garbled).load(fileSetting: "hub.curve.secretKeyFile", envSetting: "-")
        }
        #expect(garbledError?.description.hasPrefix("hub.curve.secretKeyFile '\(garbled)' does not hold a CURVE secret key") == true)
        #expect(garbledError?.description.contains(keys.secretKey.dropLast()) == false)

        let fromEnvironment = try SecretKeySource.environment("HUB_KEY").load(
            fileSetting: "-", envSetting: "hub.curve.secretKeyEnv", environment: ["HUB_KEY": keys.secretKey + "\n"])
        #expect(fromEnvironment.publicKey == keys.publicKey)
        let unset = #expect(throws: SecretKeyError.self) {
            try SecretKeySource.environment("HUB_KEY").load(fileSetting: "-", envSetting: "hub.curve.secretKeyEnv", environment: [:])
        }
        #expect(unset?.description == "hub.curve.secretKeyEnv names HUB_KEY, which is not set in the environment")

        let security = try HubSecurity.load(
            CurveServerSettings(secretKey: .environment("K"), allowedClients: [keys.publicKey]), environment: ["K": keys.secretKey])
        #expect(security.serverKeys.publicKey == keys.publicKey)
        #expect(!"\(security.serverKeys)".contains(keys.secretKey))
    }

    @Test func brokerRefusalsThatEndLibmosquittosThreadAreRecognised() {
        #expect(BrokerRefusal.endsClientLoop(2), "a refused MQTT 5 CONNACK arrives as MOSQ_ERR_PROTOCOL")
        #expect(BrokerRefusal.endsClientLoop(8), "MOSQ_ERR_TLS")
        #expect(!BrokerRefusal.endsClientLoop(7), "MOSQ_ERR_CONN_LOST: libmosquitto reconnects by itself")
        #expect(!BrokerRefusal.endsClientLoop(0))
        #expect(BrokerRefusal.isTLSFailure("OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed"))
        #expect(BrokerRefusal.tlsHint("OpenSSL Error[0]: certificate verify failed", caFile: "/ca.pem", host: "h").contains("mqtt.caFile (/ca.pem)"))
    }
}
