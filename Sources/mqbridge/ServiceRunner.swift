import ArgumentParser
import BridgeRuntime
import Logging
import ServiceLifecycle
import UnixSignals

/// Runs the pieces of a command as one service group until SIGTERM or SIGINT, which stop them gracefully in
/// reverse order (see `BridgeHost.services()`). A piece that fails stops the others the same way, and the
/// command then ends with exit status 1 and the reason on standard error, for a supervisor to restart it.
/// SIGHUP calls `onReload` (one reload at a time); without it SIGHUP is ignored.
func runServices(_ services: [ServiceGroupConfiguration.ServiceConfiguration], logger: Logger,
                 onReload: (@Sendable () -> Void)? = nil) async throws {
    // The one trap for SIGTERM and SIGINT: it logs the signal, then ends, which stops the group gracefully. The
    // group has no trap of its own for them: two would race, and the group could stop before the log line.
    let signals = ServiceGroupConfiguration.ServiceConfiguration(
        service: SignalService(logger: logger, onReload: onReload), successTerminationBehavior: .gracefullyShutdownGroup)
    var configuration = ServiceGroupConfiguration(services: [signals] + services, logger: logger)
    configuration.logging.keys.serviceKey = "service"
    let group = ServiceGroup(configuration: configuration)
    do {
        try await group.run()
        logger.info("stopped")
    } catch {
        logger.info("stopped after a failure")
        Console.error("mqbridge: \(error)")
        throw ExitCode(1)
    }
}

/// Logs the stop signals and carries out SIGHUP's reloads while the group runs; ends at SIGTERM or SIGINT (the
/// group then stops), or when the group stops for another reason (a piece failed).
struct SignalService: Service, CustomStringConvertible {
    let logger: Logger
    let onReload: (@Sendable () -> Void)?

    var description: String { "signals" }

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup, .sigterm, .sigint)
        for await signal in signals.cancelOnGracefulShutdown() {
            if signal == .sighup {
                onReload?()
            } else {
                logger.info("\(signal == .sigterm ? "SIGTERM" : "SIGINT") received; stopping")
                return
            }
        }
    }
}
