internal import CZeroMQ

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

// CURVE and ZAP options. Keys are the 40-character Z85 strings produced by
// `CurveKeyPair`; libzmq rejects other lengths with EINVAL. Set them before bind/connect.
extension ZMQSocket {
    /// Makes this socket the CURVE server side; it also needs ``setCurveSecretKey(_:)``.
    public func setCurveServer(_ enabled: Bool) throws(ZMQError) {
        try setInt32Option(ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER", enabled ? 1 : 0)
    }

    /// Whether this socket acts as a CURVE server.
    public var curveServer: Bool {
        get throws(ZMQError) { try int32Option(ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER") != 0 }
    }

    /// This socket's long-term public key (Z85), needed on CURVE clients.
    public func setCurvePublicKey(_ z85: String) throws(ZMQError) {
        try setStringOption(ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY", z85)
    }

    /// The public key as Z85, or an all-zero key's encoding if none was set.
    public var curvePublicKey: String {
        get throws(ZMQError) { try stringOption(ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY", capacity: 41) }
    }

    /// This socket's long-term secret key (Z85), needed on both CURVE servers and clients.
    public func setCurveSecretKey(_ z85: String) throws(ZMQError) {
        try setStringOption(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", z85)
    }

    /// CURVE clients: the server's public key (Z85). A wrong key makes every handshake
    /// fail, so no message ever passes (the client keeps retrying in the background).
    public func setCurveServerKey(_ z85: String) throws(ZMQError) {
        try setStringOption(ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY", z85)
    }

    /// The server public key set on a CURVE client, as Z85.
    public var curveServerKey: String {
        get throws(ZMQError) { try stringOption(ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY", capacity: 41) }
    }

    /// The domain sent to the ZAP handler (bound at `inproc://zeromq.zap.01`) with each
    /// authentication request. CURVE consults a handler whenever one exists; for the NULL
    /// mechanism, setting a domain is what turns ZAP on.
    public func setZapDomain(_ domain: String) throws(ZMQError) {
        try setStringOption(ZMQ_ZAP_DOMAIN, "ZMQ_ZAP_DOMAIN", domain)
    }

    /// The ZAP domain; empty if none was set.
    public var zapDomain: String {
        get throws(ZMQError) { try stringOption(ZMQ_ZAP_DOMAIN, "ZMQ_ZAP_DOMAIN", capacity: 256) }
    }
}

/// What a CURVE client needs: the server's long-term public key and its own key pair. Its description
/// never shows the secret key.
public struct CurveClientKeys: Sendable, Hashable, CustomStringConvertible {
    /// The server's public key (Z85); a client with the wrong one never completes a handshake.
    public let serverPublicKey: String
    /// The client's own key pair; the server's ZAP handler decides on its public half.
    public let clientKeys: CurveKeyPair

    public init(serverPublicKey: String, clientKeys: CurveKeyPair) {
        self.serverPublicKey = serverPublicKey
        self.clientKeys = clientKeys
    }

    /// Checks both keys and derives the client's public key from `clientSecretKey`.
    /// - Throws: `EINVAL` when either is not 40 valid Z85 characters.
    public init(serverPublicKey: String, clientSecretKey: String) throws(ZMQError) {
        guard serverPublicKey.utf8.count == 40, try Z85.decode(serverPublicKey).count == 32 else {
            throw ZMQError(code: EINVAL, operation: "CurveClientKeys(serverPublicKey:)")
        }
        let publicKey = try CurveKeyPair.publicKey(fromSecret: clientSecretKey)
        self.init(serverPublicKey: serverPublicKey, clientKeys: CurveKeyPair(publicKey: publicKey, secretKey: clientSecretKey))
    }

    public var description: String {
        "CurveClientKeys(server: \(serverPublicKey), client: \(clientKeys.publicKey), secret: <redacted>)"
    }
}

extension ZMQSocket {
    /// Makes this socket a CURVE client of a server with `keys.serverPublicKey`. Call before connecting.
    public func makeCurveClient(_ keys: CurveClientKeys) throws(ZMQError) {
        try setCurveServerKey(keys.serverPublicKey)
        try setCurvePublicKey(keys.clientKeys.publicKey)
        try setCurveSecretKey(keys.clientKeys.secretKey)
    }

    /// Makes this socket a CURVE server with `secretKey`, asking the context's ``ZAPHandler`` about each
    /// client under `zapDomain`. Call before binding. Only connection-oriented transports (`tcp://`,
    /// `ipc://`) run the handshake; `inproc://` peers bypass it.
    public func makeCurveServer(secretKey: String, zapDomain: String) throws(ZMQError) {
        try setCurveServer(true)
        try setCurveSecretKey(secretKey)
        try setZapDomain(zapDomain)
    }
}
