import BridgeConfig
import Foundation
import ZeroMQ

/// A CURVE key setting that cannot be used; says which setting and what to fix, never the key.
public struct SecretKeyError: Error, CustomStringConvertible {
    public let description: String
}

/// A secret key read at start-up, with a warning when its file is readable by others.
public struct LoadedSecretKey: Sendable {
    /// The Z85 secret key; never log it.
    public let key: String
    /// The matching public key.
    public let publicKey: String
    public let warning: String?
}

extension SecretKeySource {
    /// Reads the key from its file or environment variable and checks it. `fileSetting` and `envSetting`
    /// name the setting in messages, e.g. `hub.curve.secretKeyFile` or `--curve-secret-key-file`.
    public func load(fileSetting: String, envSetting: String,
                     environment: [String: String] = ProcessInfo.processInfo.environment) throws(SecretKeyError) -> LoadedSecretKey
    {
        switch self {
        case .file(let path):
            let name = "\(fileSetting) '\(path)'"
            let text: String
            switch readSecretFile(path) {
            case .success(let contents): text = contents
            case .failure(let reason): throw SecretKeyError(description: "cannot read \(name): \(reason)")
            }
            guard let key = Self.singleKey(in: text), let publicKey = try? CurveKeyPair.publicKey(fromSecret: key) else {
                throw SecretKeyError(description: "\(name) does not hold a CURVE secret key (one line of 40 Z85 characters, as `mqbridge keygen --out` writes it)")
            }
            return LoadedSecretKey(key: key, publicKey: publicKey, warning: Self.permissionWarning(path, name: name))
        case .environment(let variable):
            guard let value = environment[variable] else {
                throw SecretKeyError(description: "\(envSetting) names \(variable), which is not set in the environment")
            }
            let key = value.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let publicKey = try? CurveKeyPair.publicKey(fromSecret: key) else {
                throw SecretKeyError(description: "the environment variable \(variable) (\(envSetting)) does not hold a CURVE secret key (40 Z85 characters)")
            }
            return LoadedSecretKey(key: key, publicKey: publicKey, warning: nil)
        }
    }

    /// The one key line of a key file; comment lines (starting with `#`, which no Z85 key does) and blank
    /// lines are skipped. Nil when the file holds no key line or several.
    public static func singleKey(in text: String) -> String? {
        let lines = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        return lines.count == 1 ? lines[0] : nil
    }

    private func readSecretFile(_ path: String) -> Result<String, SecretKeyError> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failure(SecretKeyError(description: "no such file"))
        }
        if isDirectory.boolValue { return .failure(SecretKeyError(description: "it is a directory")) }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(SecretKeyError(description: FileManager.default.isReadableFile(atPath: path) ? "read failed" : "permission denied"))
        }
        return .success(String(decoding: data, as: UTF8.self))
    }

    private static func permissionWarning(_ path: String, name: String) -> String? {
        guard let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int,
            mode & 0o077 != 0
        else { return nil }
        return "\(name) is readable by other users (mode \(String(mode, radix: 8))); run chmod 600 on it"
    }
}

/// The hub's CURVE keys, read at start-up from `hub.curve`.
public struct HubSecurity: Sendable {
    /// The hub's key pair; the public half is what peers are given as the server key.
    public let serverKeys: CurveKeyPair
    /// Z85 public keys let in.
    public let allowedClients: [String]
    /// Said once at start-up (e.g. a key file readable by others).
    public let warnings: [String]

    public init(serverKeys: CurveKeyPair, allowedClients: [String], warnings: [String] = []) {
        self.serverKeys = serverKeys
        self.allowedClients = allowedClients
        self.warnings = warnings
    }

    /// Reads the hub's secret key named by `settings` and derives its public key.
    public static func load(_ settings: CurveServerSettings, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(SecretKeyError) -> HubSecurity
    {
        let secret = try settings.secretKey.load(
            fileSetting: "hub.curve.secretKeyFile", envSetting: "hub.curve.secretKeyEnv", environment: environment)
        return HubSecurity(
            serverKeys: CurveKeyPair(publicKey: secret.publicKey, secretKey: secret.key),
            allowedClients: settings.allowedClients, warnings: secret.warning.map { [$0] } ?? [])
    }
}

extension CurveClientSettings {
    /// Reads the peer's secret key (`worker.curve`) and pairs it with the hub's public key.
    public func load(environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(SecretKeyError) -> (keys: CurveClientKeys, warning: String?)
    {
        let secret = try secretKey.load(
            fileSetting: "worker.curve.secretKeyFile", envSetting: "worker.curve.secretKeyEnv", environment: environment)
        let keys = CurveClientKeys(
            serverPublicKey: serverKey, clientKeys: CurveKeyPair(publicKey: secret.publicKey, secretKey: secret.key))
        return (keys, secret.warning)
    }
}
