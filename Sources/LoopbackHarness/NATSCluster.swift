import Foundation

/// A private cluster of `nats-server -js` nodes on 127.0.0.1: each node has its own client, monitoring and
/// route port and its own store directory, and routes to every other node. Nodes are named
/// `<cluster>-n0`, `<cluster>-n1`, … (the names JetStream reports as a stream's leader).
///
/// ``NATSServer/kill()``, ``NATSServer/start()`` and ``NATSServer/restart()`` on one node keep its ports
/// and store, so it rejoins with its data. ``stop()`` stops every node and removes their directories.
public final class NATSCluster: @unchecked Sendable {
    // Safe: `nodes` is written only in `init`.

    /// The nodes, in the order they were started.
    public let nodes: [NATSServer]
    /// The cluster's name.
    public let name: String

    /// Starts `size` nodes (at least 1) that route to one another.
    public init(size: Int = 3, executable: String = "nats-server") throws {
        precondition(size >= 1, "a cluster has at least one node")
        name = "mqbridge-\(UUID().uuidString.prefix(8).lowercased())"
        let routePorts = try (0..<size).map { _ in try FreePort.allocate() }
        var started: [NATSServer] = []
        do {
            for index in 0..<size {
                let routes = routePorts.enumerated().filter { $0.offset != index }.map { "nats-route://127.0.0.1:\($0.element)" }
                let options = NATSServer.Options(
                    serverName: "\(name)-n\(index)", clusterName: name, clusterPort: routePorts[index], routes: routes,
                    executable: executable, startTimeout: .seconds(30))
                started.append(try NATSServer(options: options))
            }
        } catch {
            started.forEach { $0.stop() }
            throw error
        }
        nodes = started
        guard waitUntilFormed(timeout: .seconds(60)) else {
            let logs = started.map { "\($0.options.serverName ?? ""):\n\($0.logText.suffix(1_500))" }.joined(separator: "\n")
            stop()
            throw NATSServer.StartError(description: "the nats-server cluster \(name) did not form within 60 s:\n\(logs)")
        }
    }

    /// Waits until every running node routes to the others and JetStream has a meta leader that counts every
    /// node as a peer (`/jsz`) and is healthy (`/healthz`): only then does a stream with replicas find its peers.
    public func waitUntilFormed(timeout: Duration = .seconds(60)) -> Bool {
        waitUntilBlocking(timeout: timeout, pollInterval: .milliseconds(200)) {
            let running = nodes.filter(\.isRunning)
            return running.allSatisfy { node in
                let routes = MonitorHTTP.json(port: node.monitorPort, path: "/routez")?["num_routes"] as? Int ?? 0
                let meta = MonitorHTTP.json(port: node.monitorPort, path: "/jsz")?["meta_cluster"] as? [String: Any]
                let leader = meta?["leader"] as? String ?? ""
                let size = meta?["cluster_size"] as? Int ?? 0
                return routes >= nodes.count - 1 && !leader.isEmpty && size == nodes.count
                    && MonitorHTTP.get(port: node.monitorPort, path: "/healthz") != nil
            }
        }
    }

    deinit { stop() }

    /// Every node's client URL (`nats://127.0.0.1:<port>`), for a client that fails over between them.
    public var urls: [String] { nodes.map(\.url) }

    /// The node whose `server_name` is `serverName` (e.g. a stream's leader), if it is one of ours.
    public func node(named serverName: String) -> NATSServer? {
        nodes.first { $0.options.serverName == serverName }
    }

    /// Stops every node and removes their directories.
    public func stop() {
        nodes.forEach { $0.stop() }
    }
}
