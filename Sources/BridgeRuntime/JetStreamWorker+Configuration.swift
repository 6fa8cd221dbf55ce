import BridgeConfig
import Foundation
import NATS
import ZeroMQ

extension JetStreamWorker.Options {
    /// The worker's options from the mapping file's `jetstream` section; secrets named by an environment
    /// variable are read from `environment`.
    /// - Throws: `JetStreamConfigurationError` naming the variable that is not set.
    public init(_ settings: JetStreamSettings, name: String = "jetstream", curve: CurveClientKeys? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func reveal(_ secret: JetStreamSettings.Secret, _ key: String) throws -> String {
            switch secret {
            case .literal(let text): return text
            case .environment(let variable):
                guard let value = environment[variable] else {
                    throw JetStreamConfigurationError(description: "jetstream.\(key) names \(variable), which is not set in the environment")
                }
                return value
            }
        }
        var connection = NATSConnectionOptions(servers: settings.servers.map(\.description), name: "mqbridge-\(name)",
                                               caFile: settings.caFile, reconnectWaitMs: 500)
        switch settings.authentication {
        case .none: break
        case .userPassword(let user, let password):
            connection.user = user
            connection.password = try reveal(password, "passwordEnv")
        case .token(let token): connection.token = try reveal(token, "tokenEnv")
        case .credentialsFile(let path): connection.credentialsFile = path
        }
        self.init(
            connection: connection, subjectPrefix: settings.subjectPrefix, replicas: settings.replicas, maxAge: settings.maxAge,
            maxBytes: settings.maxBytes.map(Int64.init), discardNew: settings.discard == .new, duplicateWindow: settings.duplicateWindow,
            maxPending: settings.maxPending, ackWaitMs: Self.milliseconds(settings.ackWait), maxAckPending: settings.maxAckPending,
            name: name, curve: curve)
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}

/// A `jetstream` setting that cannot be used as it is.
public struct JetStreamConfigurationError: Error, CustomStringConvertible {
    public let description: String
}
