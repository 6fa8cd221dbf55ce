/// Parsing of the addresses a mapping file names; each returns a reason on failure.
enum Address {
    /// `mqtt://host[:port]` or `mqtts://host[:port]`.
    static func brokerURL(_ text: String) -> Result<BrokerURL, AddressError> {
        let tls: Bool
        let rest: Substring
        if text.hasPrefix("mqtt://") {
            tls = false
            rest = text.dropFirst("mqtt://".count)
        } else if text.hasPrefix("mqtts://") {
            tls = true
            rest = text.dropFirst("mqtts://".count)
        } else {
            return .failure(AddressError("broker URL '\(text)' must start with mqtt:// or mqtts://"))
        }
        if rest.contains("/") || rest.contains("@") {
            return .failure(AddressError("broker URL '\(text)' must be scheme://host[:port], without a path or user"))
        }
        switch hostPort(rest, defaultPort: tls ? 8883 : 1883) {
        case .success(let (host, port)): return .success(BrokerURL(host: host, port: port, tls: tls))
        case .failure(let error): return .failure(AddressError("broker URL '\(text)': \(error.message)"))
        }
    }

    /// A ZeroMQ endpoint the bridge binds: `tcp://host:port`, `ipc://path` or `inproc://name`.
    static func zmqEndpoint(_ text: String) -> AddressError? {
        if text.hasPrefix("tcp://") {
            let rest = text.dropFirst("tcp://".count)
            if case .failure(let error) = hostPort(rest, defaultPort: nil, allowWildcardHost: true) {
                return AddressError("endpoint '\(text)': \(error.message)")
            }
            return nil
        }
        for scheme in ["ipc://", "inproc://"] where text.hasPrefix(scheme) {
            return text.count > scheme.count ? nil : AddressError("endpoint '\(text)' names no \(scheme.dropLast(3)) path")
        }
        return AddressError("endpoint '\(text)' must be tcp://host:port, ipc://path or inproc://name")
    }

    /// `host:port`, with IPv6 hosts in brackets (`[::1]:8080`).
    static func hostPort(
        _ text: Substring,
        defaultPort: Int?,
        allowWildcardHost: Bool = false
    ) -> Result<(String, Int), AddressError> {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .failure(AddressError("unclosed '[' in host")) }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return .failure(AddressError("expected ':port' after ']'")) }
                portText = after.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = text
        }
        if host.isEmpty { return .failure(AddressError("host is missing")) }
        if host == "*" && !allowWildcardHost { return .failure(AddressError("host cannot be '*'")) }
        if host.contains(where: { $0 == " " || $0 == "/" }) { return .failure(AddressError("host '\(host)' is not a host name or address")) }
        guard let portText else {
            guard let defaultPort else { return .failure(AddressError("port is missing")) }
            return .success((String(host), defaultPort))
        }
        guard let port = Int(portText), (1...65_535).contains(port) else {
            return .failure(AddressError("port '\(portText)' must be a number from 1 to 65535"))
        }
        return .success((String(host), port))
    }
}

struct AddressError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
