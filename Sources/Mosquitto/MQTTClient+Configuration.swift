internal import CMosquitto

/// Options that must be set before connecting.
extension MQTTClient {
    /// Sets the user name and password sent in CONNECT.
    public func setCredentials(username: String, password: String?) throws(MosquittoError) {
        guard !username.utf8.contains(0), !(password?.utf8.contains(0) ?? false) else {
            throw .embeddedNUL("mosquitto_username_pw_set", what: "credential")
        }
        let rc = username.withCString { user in
            if let password {
                return password.withCString { mosquitto_username_pw_set(rawHandle, user, $0) }
            }
            return mosquitto_username_pw_set(rawHandle, user, nil)
        }
        try MosquittoError.check(rc, "mosquitto_username_pw_set")
    }

    /// Enables TLS (`mosquitto_tls_set`); `insecure: true` skips the server host name check.
    public func setTLS(caFile: String, certFile: String? = nil, keyFile: String? = nil, insecure: Bool = false) throws(MosquittoError) {
        let rc = caFile.withCString { ca in
            withOptionalCString(certFile) { cert in
                withOptionalCString(keyFile) { key in mosquitto_tls_set(rawHandle, ca, nil, cert, key, nil) }
            }
        }
        try MosquittoError.check(rc, "mosquitto_tls_set")
        try MosquittoError.check(mosquitto_tls_insecure_set(rawHandle, insecure), "mosquitto_tls_insecure_set")
    }

    /// Sets the automatic reconnect delay in seconds (default: 1 s, no backoff).
    public func setReconnectDelay(min: UInt32, max: UInt32, exponential: Bool) throws(MosquittoError) {
        try MosquittoError.check(mosquitto_reconnect_delay_set(rawHandle, min, max, exponential), "mosquitto_reconnect_delay_set")
    }

    /// Sets how many outgoing QoS 1/2 messages may be in flight (1...65535, default 20).
    /// Further publishes are queued inside libmosquitto until acks arrive.
    public func setMaxInflight(_ count: Int) throws(MosquittoError) {
        try setIntOption(MOSQ_OPT_SEND_MAXIMUM, count, "mosquitto_int_option(SEND_MAXIMUM)")
    }

    /// Sets the MQTT 5 receive maximum: how many incoming QoS 1/2 messages the broker may have
    /// in flight to us (1...65535, default 20). Ignored by MQTT 3.1.1.
    public func setReceiveMaximum(_ count: Int) throws(MosquittoError) {
        try setIntOption(MOSQ_OPT_RECEIVE_MAXIMUM, count, "mosquitto_int_option(RECEIVE_MAXIMUM)")
    }

    /// Turns Nagle's algorithm off (`TCP_NODELAY`) or on for the connection (libmosquitto's default: on).
    /// With it on, a small packet such as a PUBACK may wait for the previous one's TCP acknowledgement, which
    /// the peer may delay by up to 40 ms; with it off every packet leaves at once.
    public func setTCPNoDelay(_ enabled: Bool) throws(MosquittoError) {
        try MosquittoError.check(
            mosquitto_int_option(rawHandle, MOSQ_OPT_TCP_NODELAY, enabled ? 1 : 0), "mosquitto_int_option(TCP_NODELAY)")
    }

    /// Sets the MQTT 5 session expiry interval (seconds) sent in CONNECT; needed for a session
    /// that outlives the connection. Ignored by MQTT 3.1.1 (there `cleanStart: false` suffices).
    public func setSessionExpiry(_ seconds: UInt32) {
        loop.withLock { $0.sessionExpiryInterval = seconds }
    }

    private func setIntOption(_ option: mosq_opt_t, _ value: Int, _ operation: String) throws(MosquittoError) {
        guard (1...65535).contains(value) else {
            throw MosquittoError(code: .invalid, operation: operation, message: "value \(value) outside 1...65535")
        }
        try MosquittoError.check(mosquitto_int_option(rawHandle, option, Int32(value)), operation)
    }
}

/// Calls `body` with a C string for `value`, or with `nil`.
func withOptionalCString<R>(_ value: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    if let value { return value.withCString { body($0) } }
    return body(nil)
}
