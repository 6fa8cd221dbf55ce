import ArgumentParser
import BridgeConfig
import BridgeRuntime
import Foundation
import ZeroMQ

/// CURVE options of `consume` and `produce`, for a hub with `hub.curve` on a tcp:// endpoint. The secret
/// key is never an argument (other users can read command lines): it comes from a file or a variable.
struct CurveClientOptions: ParsableArguments {
    @Option(name: .customLong("curve-server-key"), help: "The hub's CURVE public key (Z85; the hub logs it at start-up).")
    var serverKey: String?

    @Option(name: .customLong("curve-server-key-file"), help: "A file holding the hub's public key, e.g. hub.pub from mqbridge keygen --out.")
    var serverKeyFile: String?

    @Option(name: .customLong("curve-secret-key-file"), help: "A file holding this client's CURVE secret key (mqbridge keygen --out writes one).")
    var secretKeyFile: String?

    @Option(name: .customLong("curve-secret-key-env"), help: "An environment variable holding this client's CURVE secret key.")
    var secretKeyEnv: String?

    func validate() throws {
        if serverKey != nil && serverKeyFile != nil {
            throw ValidationError("give --curve-server-key or --curve-server-key-file, not both")
        }
        if secretKeyFile != nil && secretKeyEnv != nil {
            throw ValidationError("give --curve-secret-key-file or --curve-secret-key-env, not both")
        }
        let hasServer = serverKey != nil || serverKeyFile != nil
        let hasSecret = secretKeyFile != nil || secretKeyEnv != nil
        if hasServer != hasSecret {
            throw ValidationError(hasServer
                ? "CURVE needs this client's secret key too: --curve-secret-key-file or --curve-secret-key-env"
                : "CURVE needs the hub's public key too: --curve-server-key or --curve-server-key-file")
        }
    }

    /// The keys, or nil for a plain connection; prints what is wrong and exits 1 otherwise.
    func keys(command: String) throws -> CurveClientKeys? {
        guard let secretSource = secretKeyFile.map(SecretKeySource.file) ?? secretKeyEnv.map(SecretKeySource.environment) else {
            return nil
        }
        do {
            let serverPublicKey = try serverKey ?? readServerKeyFile()
            guard serverPublicKey.utf8.count == 40, (try? Z85.decode(serverPublicKey))?.count == 32 else {
                throw ValidationErrorText("the hub's public key is not a CURVE key (40 Z85 characters)")
            }
            let secret = try secretSource.load(fileSetting: "--curve-secret-key-file", envSetting: "--curve-secret-key-env")
            if let warning = secret.warning { Console.error("mqbridge \(command): warning: \(warning)") }
            return CurveClientKeys(
                serverPublicKey: serverPublicKey, clientKeys: CurveKeyPair(publicKey: secret.publicKey, secretKey: secret.key))
        } catch {
            Console.error("mqbridge \(command): \(error)")
            throw ExitCode(1)
        }
    }

    private func readServerKeyFile() throws -> String {
        let path = serverKeyFile ?? ""
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationErrorText("cannot read --curve-server-key-file '\(path)'")
        }
        guard let key = SecretKeySource.singleKey(in: String(decoding: data, as: UTF8.self)) else {
            throw ValidationErrorText("--curve-server-key-file '\(path)' should hold one key line (the hub's public key)")
        }
        return key
    }
}
