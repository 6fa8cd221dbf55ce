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
    // First in the group, so stopped last: it reports the signal that stops the others.
    let signals = ServiceGroupConfiguration.ServiceConfiguration(
        service: SignalService(logger: logger, onReload: onReload), successTerminationBehavior: .ignore)
    var configuration = ServiceGroupConfiguration(
        services: [signals] + services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
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

/// Logs the stop signals and carries out SIGHUP's reloads while the group runs.
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
            }
        }
    }
}
