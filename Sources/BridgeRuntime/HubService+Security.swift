import BridgeHub
import Foundation
import Logging
import ZeroMQ

// CURVE on the hub's tcp:// endpoints: the ZAP handler that decides who gets in.
extension HubService {
    /// Every endpoint the hub binds, with the mapping-file setting that names it.
    var namedEndpoints: [(link: Link, name: String, endpoints: [String])] {
        var named: [(Link, String, [String])] = [(.workers, "hub.endpoint", endpoints.workers)]
        if let consumers = endpoints.consumers { named.append((.consumers, "queue.publish", [consumers])) }
        if let producers = endpoints.producers { named.append((.producers, "queue.accept", [producers])) }
        return named
    }

    /// Starts the ZAP handler when some endpoint is a CURVE server: it must answer before the first handshake,
    /// since libzmq lets every client in while no handler is bound.
    func startAuthenticator() throws {
        guard let security, let authenticator,
            namedEndpoints.contains(where: { $0.endpoints.contains(where: Self.isCurveTransport) })
        else { return }
        let handler = ZAPHandler(context: context, authenticate: authenticator.authenticate)
        do {
            try handler.start()
        } catch {
            let hint = error.code == EADDRINUSE ? " (another CURVE hub already runs in this process's ZeroMQ context)" : ""
            throw HubStartError(endpoint: ZAPHandler.endpoint, underlying: HubStartError.Reason("cannot start the CURVE authenticator: \(error)\(hint)"))
        }
        zapHandler = handler
        for warning in security.warnings { logger.warning("\(warning)") }
        logger.info("CURVE on the tcp:// endpoints", metadata: [
            "hubPublicKey": "\(security.serverKeys.publicKey)", "allowedClients": "\(security.allowedClients.count)",
        ])
    }

    /// CURVE runs on tcp:// only: inproc:// has no handshake, and ipc:// is guarded by file permissions.
    static func isCurveTransport(_ endpoint: String) -> Bool { endpoint.hasPrefix("tcp://") }
}
