/// One ZAP authentication request (RFC 27, ZMQ Authentication Protocol 1.0), as libzmq sends it to
/// the handler bound at ``ZAPHandler/endpoint`` when a peer completes a security handshake.
///
/// Pure: built from the frames a REP socket receives (the envelope delimiter already removed), so the
/// parsing is tested without sockets.
public struct ZAPRequest: Sendable, Hashable {
    /// The protocol version; always `"1.0"` for a request this type accepts.
    public let version: String
    /// Opaque bytes to echo in the reply.
    public let requestId: [UInt8]
    /// The ZAP domain of the server socket (``ZMQSocket/setZapDomain(_:)``).
    public let domain: String
    /// The peer's address, e.g. `127.0.0.1` (no port).
    public let address: String
    /// The peer's routing id when it set one; often empty.
    public let routingId: [UInt8]
    /// `NULL`, `PLAIN` or `CURVE`.
    public let mechanism: String
    /// Mechanism-specific frames: for `CURVE`, one frame holding the client's 32-byte public key.
    public let credentials: [[UInt8]]

    /// A request that does not follow RFC 27.
    public struct MalformedError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The request id, when the frames got that far, so the reply can still name it.
        public let requestId: [UInt8]
        public let description: String
    }

    /// Parses the frames of one request.
    /// - Throws: ``MalformedError`` for fewer than six frames, a version other than `1.0`, or a CURVE
    ///   request without exactly one 32-byte key.
    public init(frames: [[UInt8]]) throws(MalformedError) {
        let requestId = frames.count > 1 ? frames[1] : []
        guard frames.count >= 6 else {
            throw MalformedError(requestId: requestId, description: "a ZAP request has at least 6 frames, found \(frames.count)")
        }
        let version = String(decoding: frames[0], as: UTF8.self)
        guard version == "1.0" else {
            throw MalformedError(requestId: requestId, description: "unsupported ZAP version '\(version)'")
        }
        let mechanism = String(decoding: frames[5], as: UTF8.self)
        let credentials = Array(frames.dropFirst(6))
        if mechanism == "CURVE", credentials.count != 1 || credentials[0].count != 32 {
            throw MalformedError(requestId: requestId, description: "a CURVE request carries one 32-byte public key")
        }
        self.version = version
        self.requestId = requestId
        self.domain = String(decoding: frames[2], as: UTF8.self)
        self.address = String(decoding: frames[3], as: UTF8.self)
        self.routingId = frames[4]
        self.mechanism = mechanism
        self.credentials = credentials
    }

    /// The client's long-term public key (32 bytes) for a CURVE request; nil otherwise.
    public var curvePublicKey: [UInt8]? {
        mechanism == "CURVE" ? credentials.first : nil
    }
}
