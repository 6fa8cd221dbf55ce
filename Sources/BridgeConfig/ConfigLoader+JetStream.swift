import BridgeCore
import Yams

// jetstream: the queue side on NATS JetStream.
extension ConfigLoader {
    static let jetStreamKeys = [
        "url", "subjectPrefix", "replicas", "maxAge", "maxBytes", "duplicateWindow", "discard", "maxPending",
        "ackWait", "maxAckPending", "user", "password", "passwordEnv", "token", "tokenEnv", "credsFile", "caFile",
    ]

    static func readJetStream(_ node: Node, _ reader: NodeReader) -> JetStreamSettings? {
        guard let fields = reader.mapping(node, "section 'jetstream'", known: jetStreamKeys) else { return nil }
        var servers: [NATSServerURL]?
        if let urlNode = fields["url"] {
            servers = readNATSServers(urlNode, reader)
        } else {
            reader.report(node, "missing required key 'url' in section 'jetstream' (e.g. nats://127.0.0.1:4222, or a list of servers)")
        }
        var settings = JetStreamSettings(servers: [])
        if let prefixNode = fields["subjectPrefix"], let prefix = readSubjectPrefix(prefixNode, reader) {
            settings.subjectPrefix = prefix
        }
        if let replicas = fields["replicas"].flatMap({ reader.integer($0, "jetstream.replicas", in: 1...5) }) {
            settings.replicas = replicas
        }
        let maxAge = fields["maxAge"].flatMap { readDuration($0, "jetstream.maxAge", example: "72h", reader) }
        let window = fields["duplicateWindow"].flatMap { readDuration($0, "jetstream.duplicateWindow", example: "2m", reader) }
        settings.maxAge = maxAge ?? settings.maxAge
        settings.duplicateWindow = window ?? settings.duplicateWindow
        if (maxAge != nil || window != nil), settings.duplicateWindow > settings.maxAge,
            let at = fields["duplicateWindow"] ?? fields["maxAge"]
        {
            reader.report(
                at,
                "jetstream.duplicateWindow (\(format(settings.duplicateWindow))) cannot be longer than jetstream.maxAge "
                    + "(\(format(settings.maxAge))): a message must be kept at least as long as its ID is remembered")
        }
        settings.maxBytes = fields["maxBytes"].flatMap { reader.integer($0, "jetstream.maxBytes", in: 1...Int.max) }
        if let discardNode = fields["discard"], let text = reader.string(discardNode, "jetstream.discard") {
            if let policy = JetStreamSettings.DiscardPolicy(rawValue: text) {
                settings.discard = policy
            } else {
                reader.report(
                    discardNode,
                    "jetstream.discard must be new (refuse new messages when a stream is full: back-pressure) or old (drop the oldest), found '\(text)'")
            }
        }
        if let pending = fields["maxPending"].flatMap({ reader.integer($0, "jetstream.maxPending", in: 1...65_536) }) {
            settings.maxPending = pending
        }
        if let ackWait = fields["ackWait"].flatMap({ readDuration($0, "jetstream.ackWait", example: "30s", reader) }) {
            settings.ackWait = ackWait
        }
        if let ackPending = fields["maxAckPending"].flatMap({ reader.integer($0, "jetstream.maxAckPending", in: 1...1_000_000) }) {
            settings.maxAckPending = ackPending
        }
        settings.authentication = readNATSAuthentication(fields, reader)
        if let caNode = fields["caFile"], let text = reader.nonEmptyString(caNode, "jetstream.caFile") {
            let path = resolvePath(text, relativeTo: reader.file)
            if case .failure(let failure) = reader.readFile(path) {
                reader.report(caNode, "jetstream.caFile '\(path)': \(failure.reason)")
            } else {
                settings.caFile = path
            }
        }
        guard let servers else { return nil }
        settings.servers = servers
        return settings
    }

    /// `url`: one URL or a non-empty list, each `nats://host[:port]` or `tls://host[:port]`.
    private static func readNATSServers(_ node: Node, _ reader: NodeReader) -> [NATSServerURL]? {
        let elements: [Node]
        if case .sequence = node {
            guard let list = reader.sequence(node, "jetstream.url") else { return nil }
            if list.isEmpty {
                reader.report(node, "jetstream.url must name at least one server (e.g. nats://127.0.0.1:4222)")
                return nil
            }
            elements = list
        } else {
            elements = [node]
        }
        var servers: [NATSServerURL] = []
        var failed = false
        for element in elements {
            guard let text = reader.string(element, "jetstream.url") else {
                failed = true
                continue
            }
            switch natsServerURL(text) {
            case .success(let url):
                if servers.contains(url) {
                    reader.report(element, "NATS server URL '\(text)' is listed twice")
                    failed = true
                } else {
                    servers.append(url)
                }
            case .failure(let error):
                reader.report(element, error.message)
                failed = true
            }
        }
        return failed ? nil : servers
    }

    static func natsServerURL(_ text: String) -> Result<NATSServerURL, AddressError> {
        let tls: Bool
        let rest: Substring
        if text.hasPrefix("nats://") {
            tls = false
            rest = text.dropFirst("nats://".count)
        } else if text.hasPrefix("tls://") {
            tls = true
            rest = text.dropFirst("tls://".count)
        } else {
            return .failure(AddressError("NATS server URL '\(text)' must start with nats:// or tls://"))
        }
        if rest.contains("@") {
            return .failure(AddressError(
                "NATS server URL '\(text)' must not hold credentials; set jetstream.user and password, token or credsFile"))
        }
        if rest.contains("/") {
            return .failure(AddressError("NATS server URL '\(text)' must be scheme://host[:port], without a path"))
        }
        switch Address.hostPort(rest, defaultPort: NATSServerURL.defaultPort) {
        case .success(let (host, port)): return .success(NATSServerURL(host: host, port: port, tls: tls))
        case .failure(let error): return .failure(AddressError("NATS server URL '\(text)': \(error.message)"))
        }
    }

    /// `subjectPrefix`: dot-separated tokens of printable ASCII without `*`, `>`, `/` or `\`, none empty, not
    /// starting with `$` (NATS' own subjects: `$JS`, `$SYS`, …), at most 127 characters (so that every stream
    /// name `<prefix>_<topic>` fits JetStream's 255).
    private static func readSubjectPrefix(_ node: Node, _ reader: NodeReader) -> String? {
        guard let prefix = reader.nonEmptyString(node, "jetstream.subjectPrefix") else { return nil }
        let rule = "each dot-separated token must be non-empty printable ASCII without spaces, '*', '>', '/' or '\\'"
        var offset = reader.contentOffset(node)
        for token in prefix.split(separator: ".", omittingEmptySubsequences: false) {
            if token.isEmpty || !token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && !"*>/\\".unicodeScalars.contains($0) }) {
                reader.report(node, "jetstream.subjectPrefix '\(prefix)': token '\(token)' is not usable; \(rule)", columnOffset: offset)
                return nil
            }
            offset += token.unicodeScalars.count + 1
        }
        if prefix.hasPrefix("$") {
            reader.report(
                node, "jetstream.subjectPrefix '\(prefix)' must not start with '$': NATS keeps those subjects for itself ($JS, $SYS)",
                columnOffset: reader.contentOffset(node))
            return nil
        }
        if prefix.utf8.count > 127 {
            reader.report(node, "jetstream.subjectPrefix is \(prefix.utf8.count) characters; at most 127 keep stream names within JetStream's 255")
            return nil
        }
        return prefix
    }

    /// user with password/passwordEnv, token/tokenEnv, or credsFile: at most one of them.
    private static func readNATSAuthentication(_ fields: Fields, _ reader: NodeReader) -> JetStreamSettings.Authentication {
        func secret(_ literalKey: String, _ envKey: String) -> JetStreamSettings.Secret? {
            switch (fields[literalKey], fields[envKey]) {
            case (_?, let envNode?):
                reader.report(envNode, "set either jetstream.\(literalKey) or jetstream.\(envKey), not both")
                return nil
            case (let literal?, nil):
                return reader.nonEmptyString(literal, "jetstream.\(literalKey)").map { .literal($0) }
            case (nil, let envNode?):
                return reader.nonEmptyString(envNode, "jetstream.\(envKey)").map { .environment($0) }
            case (nil, nil):
                return nil
            }
        }
        let user = fields["user"].flatMap { reader.nonEmptyString($0, "jetstream.user") }
        let password = secret("password", "passwordEnv")
        let token = secret("token", "tokenEnv")
        let credsFile = fields["credsFile"].flatMap { reader.nonEmptyString($0, "jetstream.credsFile") }
            .map { resolvePath($0, relativeTo: reader.file) }

        // Each way to log in, with the key that names it, in file order.
        var ways: [(key: Node, name: String)] = []
        if let key = fields.keyNode("user") ?? fields.keyNode("password") ?? fields.keyNode("passwordEnv") {
            ways.append((key, "user and password"))
        }
        if let key = fields.keyNode("token") ?? fields.keyNode("tokenEnv") { ways.append((key, "token")) }
        if let key = fields.keyNode("credsFile") { ways.append((key, "credsFile")) }
        ways.sort { ($0.key.mark?.line ?? 0, $0.key.mark?.column ?? 0) < ($1.key.mark?.line ?? 0, $1.key.mark?.column ?? 0) }
        if ways.count > 1 {
            reader.report(
                ways[1].key,
                "jetstream: \(ways[1].name) given as well as \(ways[0].name); choose one way to log in: user and password, token, or credsFile")
            return .none
        }
        if fields.has("user") || fields.has("password") || fields.has("passwordEnv") {
            if user != nil, password == nil, !fields.has("password"), !fields.has("passwordEnv"), let key = fields.keyNode("user") {
                reader.report(key, "jetstream.user needs password or passwordEnv as well")
            } else if user == nil, !fields.has("user"), let key = fields.keyNode("password") ?? fields.keyNode("passwordEnv") {
                reader.report(key, "a password needs jetstream.user as well")
            }
            guard let user, let password else { return .none }
            return .userPassword(user: user, password: password)
        }
        if let token { return .token(token) }
        if let credsFile { return .credentialsFile(credsFile) }
        return .none
    }

    /// A whole number of `ms`, `s`, `m`, `h` or `d`, more than zero and within JetStream's limit (durations
    /// travel as 64-bit nanoseconds: at most 106751d).
    static func readDuration(_ node: Node, _ what: String, example: String, _ reader: NodeReader) -> Duration? {
        let expected = "\(what) must be a whole number followed by ms, s, m, h or d (e.g. \(example))"
        guard case .scalar(let scalar) = node, !node.hasTag(.null) else {
            reader.report(node, "\(expected), found \(reader.describe(node))")
            return nil
        }
        let text = scalar.string
        let digits = text.prefix(while: { $0.isASCII && $0.isNumber })
        let unit = text.dropFirst(digits.count)
        let milliseconds: Int64? = switch unit {
        case "ms": 1
        case "s": 1_000
        case "m": 60_000
        case "h": 3_600_000
        case "d": 86_400_000
        default: nil
        }
        guard !digits.isEmpty, let milliseconds else {
            reader.report(node, "\(expected), found \(reader.describe(node))")
            return nil
        }
        let limit: Int64 = Int64.max / 1_000_000
        guard let count = Int64(digits), count <= limit / milliseconds else {
            reader.report(node, "\(what) '\(text)' is longer than JetStream allows (at most 106751d)")
            return nil
        }
        guard count > 0 else {
            reader.report(node, "\(what) must be more than zero, found '\(text)'")
            return nil
        }
        return .milliseconds(count * milliseconds)
    }

    /// A duration as the mapping file would write it, in the largest unit that divides it.
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)] where milliseconds % size == 0 {
            return "\(milliseconds / size)\(unit)"
        }
        return "\(milliseconds)ms"
    }
}
