import ArgumentParser
import BridgeConfig

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a mapping file: every problem as FILE:LINE:COL: message (exit 1), or a summary (exit 0)."
    )

    @Option(name: .long, help: "The mapping file to check.")
    var config: String

    func run() throws {
        do {
            let configuration = try ConfigLoader.load(path: config)
            for warning in configuration.warnings {
                print(warning)
            }
            print("\(config): valid; \(configuration.summary)")
        } catch {
            for diagnostic in error.diagnostics {
                print(diagnostic)
            }
            Console.error("\(config): \(error.diagnostics.count) problem\(error.diagnostics.count == 1 ? "" : "s")")
            throw ExitCode(1)
        }
    }
}

extension BridgeConfiguration {
    /// One line: rule counts, broker, status source and endpoints.
    var summary: String {
        var parts = [
            "\(mappings.outflowRules.count) outflow, \(mappings.inflowRules.count) inflow, "
                + "\(mappings.statusRules.count) status rules",
            "broker \(mqtt.url) as \(mqtt.clientId) (MQTT \(mqtt.protocolVersion.rawValue))",
            "status source \(status.source.rawValue)",
        ]
        if let queue {
            parts.append("queue publish \(queue.publish ?? "-") accept \(queue.accept ?? "-")")
        }
        if let jetstream {
            let servers = jetstream.servers.map(\.description).joined(separator: ",")
            parts.append("jetstream \(servers) subjects \(jetstream.subjectPrefix).<queueTopic>.<tag>")
        }
        if let api {
            parts.append("api \(api.host):\(api.port)")
        }
        // Key sources by name only: check never prints a secret key.
        if let curve = hub.curve {
            parts.append("CURVE on tcp:// endpoints (secret key from \(curve.secretKey), \(curve.allowedClients.count) allowed client keys)")
        }
        if let curve = worker.curve {
            parts.append("worker CURVE (secret key from \(curve.secretKey))")
        }
        if mqtt.url.tls {
            parts.append("TLS CA \(mqtt.caFile ?? "system bundle")")
        }
        return parts.joined(separator: "; ")
    }
}
