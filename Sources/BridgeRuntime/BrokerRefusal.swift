import Mosquitto

/// How the MQTT worker reads libmosquitto's failures: which of them end a connection attempt for good (the
/// worker then closes what is left and asks again after its back-off), and what to tell the operator. Pure.
enum BrokerRefusal {
    /// Disconnect codes that mean the attempt failed rather than the connection dropped: the ones after which
    /// libmosquitto's own loop (`mosquitto_loop_forever`, 2.0) gives up instead of reconnecting; a refused MQTT 5
    /// CONNACK, for one, arrives as a protocol error.
    static let loopEndingCodes: Set<MosquittoError.Code> = [
        .noMemory, .protocolError, .invalid, .notFound, .tls, .payloadSize, .notSupported, .auth, .aclDenied,
        .unknown, .lookupFailed,
    ]

    static func endsClientLoop(_ reasonCode: Int) -> Bool {
        guard let code = Int32(exactly: reasonCode) else { return false }
        return loopEndingCodes.contains(MosquittoError.Code(rawValue: code))
    }

    /// libmosquitto logs OpenSSL's errors as `OpenSSL Error[n]: ...`.
    static func isTLSFailure(_ logLine: String) -> Bool {
        logLine.hasPrefix("OpenSSL Error")
    }

    /// What to check after a refused CONNACK.
    static func hint(_ result: MQTTConnectResult, username: String?) -> String {
        let badCredentials: Set<Int> = result.protocolVersion == .v5 ? [0x86, 0x87] : [4, 5]
        guard badCredentials.contains(result.reasonCode) else { return "" }
        guard let username else { return "; the broker wants credentials: set mqtt.username and mqtt.password or mqtt.passwordEnv" }
        return "; check mqtt.username ('\(username)') and the password (mqtt.password or the variable named by mqtt.passwordEnv)"
    }

    /// What to check after a failed TLS handshake.
    static func tlsHint(_ logLine: String, caFile: String, host: String) -> String {
        if logLine.contains("certificate verify failed") {
            return "; the broker's certificate is not signed by a CA in mqtt.caFile (\(caFile)), or does not name \(host)"
        }
        if logLine.contains("wrong version number") || logLine.contains("packet length too long") {
            return "; the broker's port may not speak TLS (use mqtt:// for a plain listener)"
        }
        return ""
    }
}
