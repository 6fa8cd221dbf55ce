/// Where a CURVE secret key comes from. Secret keys are never written in a mapping file, and neither `check`
/// nor the logs ever print one: the key is read when the bridge starts.
public enum SecretKeySource: Sendable, Equatable, CustomStringConvertible {
    /// A file holding the 40-character Z85 key, as `mqbridge keygen --out` writes it (mode 0600). The path
    /// is resolved against the mapping file's directory.
    case file(String)
    /// An environment variable holding the 40-character Z85 key.
    case environment(String)

    public var description: String {
        switch self {
        case .file(let path): "file \(path)"
        case .environment(let variable): "environment variable \(variable)"
        }
    }
}

/// CURVE on the hub's `tcp://` endpoints (`hub.curve`): `hub.endpoint`, `queue.publish` and `queue.accept`
/// encrypt their traffic and let in only the listed client keys. `inproc://` and `ipc://` stay plain.
public struct CurveServerSettings: Sendable, Equatable {
    /// The hub's secret key; its public key is derived from it.
    public var secretKey: SecretKeySource
    /// The Z85 public keys of the clients let in, from `allowedClients` and `allowedClientsFile`, each once.
    public var allowedClients: [String]

    public init(secretKey: SecretKeySource, allowedClients: [String]) {
        self.secretKey = secretKey
        self.allowedClients = allowedClients
    }
}

/// How a peer (`mqbridge worker mqtt`) reaches a CURVE hub (`worker.curve`).
public struct CurveClientSettings: Sendable, Equatable {
    /// The hub's public key (Z85).
    public var serverKey: String
    /// The peer's own secret key; its public key, derived from it, must be in the hub's allowed clients.
    public var secretKey: SecretKeySource

    public init(serverKey: String, secretKey: SecretKeySource) {
        self.serverKey = serverKey
        self.secretKey = secretKey
    }
}

/// Settings of a separate worker process (`worker:`).
public struct WorkerSettings: Sendable, Equatable {
    /// Set when the hub's `hub.endpoint` is a CURVE server.
    public var curve: CurveClientSettings?

    public init(curve: CurveClientSettings? = nil) {
        self.curve = curve
    }
}
