import Yams

// Settings that are valid but expose the bridge: warned about, not refused.
extension ConfigLoader {
    static func warnAboutExposure(
        _ fields: Fields, hub: HubEndpointSettings, queue: QueueSettings?, api: APISettings?, _ reader: NodeReader
    ) {
        if let api, api.token == nil, !isLoopback(api.host) {
            reader.warn(
                fields["api"]?["listen"],
                "api.listen \(api.host):\(api.port) is reachable from other hosts and the HTTP API has no authentication; "
                    + "set api.token, listen on 127.0.0.1, or put a proxy with access control in front")
        }
        let endpoints: [(name: String, endpoint: String?, node: Node?)] = [
            ("hub.endpoint", hub.endpoint, fields["hub"]?["endpoint"]),
            ("queue.publish", queue?.publish, fields["queue"]?["publish"]),
            ("queue.accept", queue?.accept, fields["queue"]?["accept"]),
        ]
        if hub.curve != nil {
            if !endpoints.contains(where: { $0.endpoint?.hasPrefix("tcp://") ?? false }) {
                reader.warn(fields["hub"]?["curve"], "hub.curve is set but the hub has no tcp:// endpoint; CURVE applies to tcp:// only (inproc:// and ipc:// stay plain)")
            }
            return
        }
        for entry in endpoints {
            guard let endpoint = entry.endpoint, let node = entry.node, let host = tcpHost(endpoint), !isLoopback(host) else { continue }
            reader.warn(
                node,
                "\(entry.name) \(endpoint) is reachable from other hosts without encryption or authentication; "
                    + "set hub.curve to let in only known clients")
        }
    }

    /// The host of a `tcp://host:port` endpoint; nil for other transports.
    static func tcpHost(_ endpoint: String) -> String? {
        guard endpoint.hasPrefix("tcp://") else { return nil }
        let rest = endpoint.dropFirst("tcp://".count)
        if case .success(let (host, _)) = Address.hostPort(rest, defaultPort: nil, allowWildcardHost: true) { return host }
        return nil
    }

    /// 127.0.0.0/8, ::1 and localhost.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
