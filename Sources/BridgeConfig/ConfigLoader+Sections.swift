import BridgeCore
import Yams

extension ConfigLoader {
    static func readMQTT(_ node: Node, _ reader: NodeReader) -> MQTTSettings? {
        let known = ["url", "clientId", "protocol", "sharedGroup", "username", "password", "passwordEnv", "keepAlive", "caFile"]
        guard let fields = reader.mapping(node, "section 'mqtt'", known: known) else { return nil }
        var url: BrokerURL?
        if let urlNode = fields["url"] {
            if let text = reader.string(urlNode, "mqtt.url") {
                switch Address.brokerURL(text) {
                case .success(let parsed): url = parsed
                case .failure(let error): reader.report(urlNode, error.message)
                }
            }
        } else {
            reader.report(node, "missing required key 'url' in section 'mqtt' (e.g. mqtt://127.0.0.1:1883)")
        }
        var clientId: String?
        if let idNode = fields["clientId"] {
            clientId = reader.nonEmptyString(idNode, "mqtt.clientId")
        } else {
            reader.report(node, "missing required key 'clientId' in section 'mqtt' (the bridge's own MQTT client ID)")
        }
        var version = MQTTSettings.ProtocolVersion.v5
        if let versionNode = fields["protocol"], let text = reader.string(versionNode, "mqtt.protocol") {
            switch text {
            case "5", "5.0": version = .v5
            case "3.1.1", "311": version = .v311
            default: reader.report(versionNode, "mqtt.protocol must be 5 or \"3.1.1\", found '\(text)'")
            }
        }
        let sharedGroup = fields["sharedGroup"].flatMap { groupNode -> String? in
            guard let group = reader.nonEmptyString(groupNode, "mqtt.sharedGroup") else { return nil }
            if group.contains(where: { $0 == "/" || $0 == "+" || $0 == "#" }) {
                reader.report(groupNode, "mqtt.sharedGroup '\(group)' cannot contain '/', '+' or '#'")
                return nil
            }
            return group
        }
        let username = fields["username"].flatMap { reader.nonEmptyString($0, "mqtt.username") }
        var password: MQTTSettings.Password?
        if let literal = fields["password"], let envNode = fields["passwordEnv"] {
            _ = literal
            reader.report(envNode, "set either mqtt.password or mqtt.passwordEnv, not both")
        } else if let literal = fields["password"] {
            password = reader.string(literal, "mqtt.password").map { .literal($0) }
        } else if let envNode = fields["passwordEnv"] {
            password = reader.nonEmptyString(envNode, "mqtt.passwordEnv").map { .environment($0) }
        }
        if password != nil, username == nil, let key = fields.keyNode("password") ?? fields.keyNode("passwordEnv") {
            reader.report(key, "a password needs mqtt.username as well")
        }
        let keepAlive = fields["keepAlive"].flatMap { reader.integer($0, "mqtt.keepAlive", in: 5...65_535) } ?? 60
        let caFile = fields["caFile"].flatMap { readCAFile($0, url: url, reader) }
        guard let url, let clientId else { return nil }
        return MQTTSettings(
            url: url, clientId: clientId, protocolVersion: version, sharedGroup: sharedGroup,
            username: username, password: password, keepAlive: keepAlive, caFile: caFile)
    }

    /// `mqtt.caFile`: only with mqtts://, and a file that can be read now (it is public; libmosquitto would
    /// otherwise refuse it only when the worker starts).
    static func readCAFile(_ node: Node, url: BrokerURL?, _ reader: NodeReader) -> String? {
        guard let text = reader.nonEmptyString(node, "mqtt.caFile") else { return nil }
        if let url, !url.tls {
            reader.report(node, "mqtt.caFile is used only with an mqtts:// URL; mqtt.url is \(url)")
            return nil
        }
        let path = resolvePath(text, relativeTo: reader.file)
        if case .failure(let failure) = reader.readFile(path) {
            reader.report(node, "mqtt.caFile '\(path)': \(failure.reason)")
            return nil
        }
        return path
    }

    static func readQueue(_ node: Node, _ reader: NodeReader) -> QueueSettings? {
        guard let fields = reader.mapping(node, "section 'queue'", known: ["publish", "accept", "groups", "durable"]) else {
            return nil
        }
        func endpoint(_ key: String) -> String? {
            guard let endpointNode = fields[key], let text = reader.string(endpointNode, "queue.\(key)") else { return nil }
            if let problem = Address.zmqEndpoint(text) {
                reader.report(endpointNode, "queue.\(key): \(problem.message)")
                return nil
            }
            return text
        }
        let publish = endpoint("publish")
        let accept = endpoint("accept")
        if let publish, publish == accept, let acceptNode = fields["accept"] {
            reader.report(acceptNode, "queue.accept must differ from queue.publish")
        }
        var groups: [String] = []
        if let groupsNode = fields["groups"], let elements = reader.sequence(groupsNode, "queue.groups") {
            for element in elements {
                guard let group = reader.nonEmptyString(element, "a consumer group name") else { continue }
                if groups.contains(group) {
                    reader.report(element, "consumer group '\(group)' is listed twice")
                } else {
                    groups.append(group)
                }
            }
        }
        var durable: [DurableSubscriptionSettings] = []
        if let durableNode = fields["durable"], let elements = reader.sequence(durableNode, "queue.durable") {
            if publish == nil, fields["publish"] == nil {
                reader.report(fields.keyNode("durable") ?? durableNode,
                              "queue.durable needs queue.publish: durable subscriptions hold messages for consumers, which connect there")
            }
            for element in elements {
                guard let entry = readDurable(element, reader) else { continue }
                if durable.contains(where: { $0.group == entry.group && $0.topic == entry.topic }) {
                    reader.report(element, "durable subscription of group '\(entry.group)' to '\(entry.topic)' is listed twice")
                } else {
                    durable.append(entry)
                }
            }
        }
        return QueueSettings(publish: publish, accept: accept, groups: groups, durable: durable)
    }

    /// One `queue.durable` entry: `group`, `topic` and optional `tags` (a tag expression, default `*`).
    static func readDurable(_ node: Node, _ reader: NodeReader) -> DurableSubscriptionSettings? {
        guard let fields = reader.mapping(node, "a queue.durable entry", known: ["group", "topic", "tags"]) else { return nil }
        var missing = false
        for key in ["group", "topic"] where fields[key] == nil {
            reader.report(node, "missing required key '\(key)' in a queue.durable entry (group, topic and optional tags)")
            missing = true
        }
        let group = fields["group"].flatMap { reader.nonEmptyString($0, "queue.durable group") }
        let topic = fields["topic"].flatMap { reader.nonEmptyString($0, "queue.durable topic") }
        var tags = "*"
        if let tagsNode = fields["tags"], let text = reader.nonEmptyString(tagsNode, "queue.durable tags") {
            do {
                _ = try TagExpression(text)
                tags = text
            } catch {
                reader.report(tagsNode, "queue.durable tags: \(error.message)")
                return nil
            }
        }
        guard !missing, let group, let topic else { return nil }
        return DurableSubscriptionSettings(group: group, topic: topic, tags: tags)
    }

    static func readAPI(_ node: Node, _ reader: NodeReader) -> APISettings? {
        guard let fields = reader.mapping(node, "section 'api'", known: ["listen", "token"]) else { return nil }
        var token: String?
        if let tokenNode = fields["token"], let text = reader.string(tokenNode, "api.token") {
            if text.count < 16 || text.contains(where: { $0.isWhitespace || !$0.isASCII }) {
                reader.report(tokenNode, "api.token must be at least 16 ASCII characters without spaces (e.g. the output of `openssl rand -hex 16`)")
            } else {
                token = text
            }
        }
        guard let listenNode = fields["listen"] else {
            reader.report(node, "missing required key 'listen' in section 'api' (e.g. 127.0.0.1:8080)")
            return nil
        }
        guard let text = reader.string(listenNode, "api.listen") else { return nil }
        // A port alone (8080 or :8080) listens on loopback: the API has no authentication.
        let address = !text.isEmpty && text.allSatisfy({ $0.isASCII && $0.isNumber }) ? "127.0.0.1:\(text)" : text.hasPrefix(":") ? "127.0.0.1\(text)" : text
        switch Address.hostPort(Substring(address), defaultPort: nil) {
        case .success(let (host, port)): return APISettings(host: host, port: port, token: token)
        case .failure(let error):
            reader.report(listenNode, "api.listen '\(text)': \(error.message) (expected host:port, e.g. 127.0.0.1:8080)")
            return nil
        }
    }

    static func readHub(_ node: Node, _ reader: NodeReader) -> HubEndpointSettings {
        var settings = HubEndpointSettings()
        guard let fields = reader.mapping(node, "section 'hub'", known: ["endpoint", "heartbeatMs", "curve", "maxMessageBytes"]) else { return settings }
        if let endpointNode = fields["endpoint"], let text = reader.string(endpointNode, "hub.endpoint") {
            if let problem = Address.zmqEndpoint(text) {
                reader.report(endpointNode, "hub.endpoint: \(problem.message)")
            } else {
                settings.endpoint = text
            }
        }
        if let heartbeat = fields["heartbeatMs"].flatMap({ reader.integer($0, "hub.heartbeatMs", in: 50...60_000) }) {
            settings.heartbeatMs = heartbeat
        }
        settings.curve = fields["curve"].flatMap { readHubCurve($0, reader) }
        settings.maxMessageBytes = fields["maxMessageBytes"].flatMap {
            reader.integer($0, "hub.maxMessageBytes", in: 1_024...(1 << 30))
        }
        return settings
    }

    static func readStatus(_ node: Node, _ reader: NodeReader) -> StatusSettings {
        guard let fields = reader.mapping(node, "section 'status'", known: ["source", "stateDir", "forgetOfflineAfter"]) else {
            return StatusSettings(source: .none)
        }
        var settings = StatusSettings(source: .none)
        if let directoryNode = fields["stateDir"], let directory = reader.nonEmptyString(directoryNode, "status.stateDir") {
            settings.stateDirectory = directory
        }
        if let node = fields["forgetOfflineAfter"],
            let duration = readDuration(node, "status.forgetOfflineAfter", example: "7d, 12h or 30m", reader) {
            if duration < .seconds(1) {
                reader.report(node, "status.forgetOfflineAfter must be at least 1s, found '\(format(duration))'")
            } else {
                settings.forgetOfflineAfter = duration
            }
        }
        guard let sourceNode = fields["source"], let text = reader.string(sourceNode, "status.source") else { return settings }
        guard let source = StatusSettings.Source(rawValue: text) else {
            let known = StatusSettings.Source.allCases.map(\.rawValue).joined(separator: ", ")
            reader.report(sourceNode, "status.source '\(text)' is not one of: \(known)")
            return settings
        }
        settings.source = source
        return settings
    }

    static func readSpool(_ node: Node, _ reader: NodeReader) -> SpoolSettings {
        var settings = SpoolSettings()
        guard let fields = reader.mapping(node, "section 'spool'", known: ["dir", "maxBytes"]) else { return settings }
        if let directory = fields["dir"].flatMap({ reader.nonEmptyString($0, "spool.dir") }) {
            settings.directory = directory
        }
        if let maxBytes = fields["maxBytes"].flatMap({ reader.integer($0, "spool.maxBytes", in: (1 << 20)...(1 << 40)) }) {
            settings.maxBytes = maxBytes
        }
        return settings
    }

    static func readLimits(_ node: Node, _ reader: NodeReader) -> MessageLimits {
        var limits = MessageLimits()
        guard let fields = reader.mapping(node, "section 'limits'", known: ["maxBodyBytes", "maxUserPropertyBytes"]) else {
            return limits
        }
        if let body = fields["maxBodyBytes"].flatMap({ reader.integer($0, "limits.maxBodyBytes", in: 1...268_435_456) }) {
            limits.maxBodyBytes = body
        }
        if let properties = fields["maxUserPropertyBytes"].flatMap({
            reader.integer($0, "limits.maxUserPropertyBytes", in: 2...1_048_576)
        }) {
            limits.maxUserPropertyBytes = properties
        }
        return limits
    }
}
