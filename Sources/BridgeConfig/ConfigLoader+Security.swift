import Yams

// hub.curve and worker.curve: CURVE keys for the ZeroMQ endpoints.
extension ConfigLoader {
    static let secretKeyHint = "put it in a file (secretKeyFile, mode 0600; `mqbridge keygen --out PREFIX` writes one) "
        + "or an environment variable (secretKeyEnv)"

    static func readHubCurve(_ node: Node, _ reader: NodeReader) -> CurveServerSettings? {
        let known = ["secretKeyFile", "secretKeyEnv", "allowedClients", "allowedClientsFile", "secretKey"]
        guard let fields = reader.mapping(node, "section 'hub.curve'", known: known) else { return nil }
        let secretKey = readSecretKeySource(fields, "hub.curve", owner: "the hub's", reader)
        var allowed: [String] = []
        if let listNode = fields["allowedClients"], let elements = reader.sequence(listNode, "hub.curve.allowedClients") {
            for element in elements {
                if let key = readPublicKey(element, "hub.curve.allowedClients", reader) { allowed.append(key) }
            }
        }
        if let fileNode = fields["allowedClientsFile"], let path = reader.nonEmptyString(fileNode, "hub.curve.allowedClientsFile") {
            allowed += readKeyFile(resolvePath(path, relativeTo: reader.file), fileNode, "hub.curve.allowedClientsFile", reader)
        }
        if fields["allowedClients"] == nil && fields["allowedClientsFile"] == nil {
            reader.report(node, "hub.curve needs the public keys of the clients it lets in: allowedClients (a list) or allowedClientsFile (one key per line)")
        }
        guard let secretKey else { return nil }
        var unique: [String] = []
        for key in allowed where !unique.contains(key) { unique.append(key) }
        return CurveServerSettings(secretKey: secretKey, allowedClients: unique)
    }

    static func readWorker(_ node: Node, _ reader: NodeReader) -> WorkerSettings {
        guard let fields = reader.mapping(node, "section 'worker'", known: ["curve"]) else { return WorkerSettings() }
        guard let curveNode = fields["curve"] else { return WorkerSettings() }
        let known = ["serverKey", "serverKeyFile", "secretKeyFile", "secretKeyEnv", "secretKey"]
        guard let curve = reader.mapping(curveNode, "section 'worker.curve'", known: known) else { return WorkerSettings() }
        var serverKey: String?
        switch (curve["serverKey"], curve["serverKeyFile"]) {
        case (let keyNode?, _?):
            reader.report(keyNode, "set either worker.curve.serverKey or worker.curve.serverKeyFile, not both")
        case (let keyNode?, nil):
            serverKey = readPublicKey(keyNode, "worker.curve.serverKey", reader)
        case (nil, let fileNode?):
            if let path = reader.nonEmptyString(fileNode, "worker.curve.serverKeyFile") {
                let keys = readKeyFile(resolvePath(path, relativeTo: reader.file), fileNode, "worker.curve.serverKeyFile", reader)
                if keys.count > 1 {
                    reader.report(fileNode, "worker.curve.serverKeyFile '\(path)' holds \(keys.count) keys; it should hold the hub's public key only")
                }
                serverKey = keys.count == 1 ? keys[0] : nil
            }
        case (nil, nil):
            reader.report(curveNode, "worker.curve needs the hub's public key: serverKey, or serverKeyFile (e.g. hub.pub from mqbridge keygen)")
        }
        let secretKey = readSecretKeySource(curve, "worker.curve", owner: "the worker's own", reader)
        guard let serverKey, let secretKey else { return WorkerSettings() }
        return WorkerSettings(curve: CurveClientSettings(serverKey: serverKey, secretKey: secretKey))
    }

    /// `secretKeyFile` or `secretKeyEnv`; a literal `secretKey` is refused without echoing it.
    static func readSecretKeySource(_ fields: Fields, _ section: String, owner: String, _ reader: NodeReader) -> SecretKeySource? {
        if let literalKey = fields.keyNode("secretKey") {
            reader.report(literalKey, "\(section).secretKey: a secret key does not belong in the mapping file; \(secretKeyHint)")
            return nil
        }
        switch (fields["secretKeyFile"], fields["secretKeyEnv"]) {
        case (_?, let envNode?):
            reader.report(envNode, "set either \(section).secretKeyFile or \(section).secretKeyEnv, not both")
        case (let fileNode?, nil):
            return reader.nonEmptyString(fileNode, "\(section).secretKeyFile").map { .file(resolvePath($0, relativeTo: reader.file)) }
        case (nil, let envNode?):
            return reader.nonEmptyString(envNode, "\(section).secretKeyEnv").map { .environment($0) }
        case (nil, nil):
            reader.report(fields.node, "\(section) needs \(owner) secret key: \(secretKeyHint)")
        }
        return nil
    }

    /// A Z85 public key written in the mapping file, checked character by character.
    static func readPublicKey(_ node: Node, _ what: String, _ reader: NodeReader) -> String? {
        guard let text = reader.string(node, what) else { return nil }
        if let problem = CurveKeyText.problem(in: text) {
            reader.report(node, "\(what): not a CURVE public key: \(problem.message)",
                          columnOffset: reader.contentOffset(node) + problem.offset)
            return nil
        }
        return text
    }

    /// The keys of a key file; its problems are reported at their own line and column in that file.
    static func readKeyFile(_ path: String, _ node: Node, _ what: String, _ reader: NodeReader) -> [String] {
        let text: String
        switch reader.readFile(path) {
        case .success(let contents): text = contents
        case .failure(let failure):
            reader.report(node, "\(what) '\(path)': \(failure.reason)")
            return []
        }
        let parsed = CurveKeyFile.parse(text)
        for problem in parsed.problems {
            reader.report(file: path, line: problem.line, column: problem.column, problem.message)
        }
        if parsed.keys.isEmpty && parsed.problems.isEmpty {
            reader.report(node, "\(what) '\(path)' holds no keys (one Z85 public key per line)")
        }
        return parsed.keys.map(\.key)
    }
}
