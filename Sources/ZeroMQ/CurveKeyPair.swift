internal import CZeroMQ

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A CURVE (Curve25519) long-term key pair as 40-character Z85 strings, the form the
/// CURVE socket options take.
public struct CurveKeyPair: Sendable, Hashable, CustomStringConvertible {
    /// The public key; safe to distribute.
    public let publicKey: String
    /// The secret key; never log it (``description`` omits it).
    public let secretKey: String

    /// Wraps existing keys, e.g. loaded from configuration. Use ``publicKey(fromSecret:)``
    /// to derive or check the public half.
    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Generates a fresh key pair from libsodium's random source.
    /// - Throws: `ENOTSUP` when libzmq lacks CURVE (see `ZMQ.has("curve")`).
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        try zmqCall("zmq_curve_keypair") { zmq_curve_keypair(&publicKey, &secretKey) }
        return CurveKeyPair(publicKey: string(from: publicKey), secretKey: string(from: secretKey))
    }

    /// Derives the public key that belongs to a Z85 `secretKey`.
    /// - Throws: `EINVAL` if `secretKey` is not 40 valid Z85 characters; `ENOTSUP`
    ///   without CURVE support.
    public static func publicKey(fromSecret secretKey: String) throws(ZMQError) -> String {
        guard secretKey.utf8.count == 40 else { throw ZMQError(code: EINVAL, operation: "zmq_curve_public") }
        // Validates the alphabet too, which zmq_curve_public does not report precisely.
        _ = try Z85.decode(secretKey)
        var publicKey = [CChar](repeating: 0, count: 41)
        try zmqCall("zmq_curve_public") { zmq_curve_public(&publicKey, secretKey) }
        return string(from: publicKey)
    }

    public var description: String { "CurveKeyPair(publicKey: \(publicKey), secretKey: <redacted>)" }

    private static func string(from chars: [CChar]) -> String {
        let end = chars.firstIndex(of: 0) ?? chars.endIndex
        return String(decoding: chars[..<end].lazy.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
