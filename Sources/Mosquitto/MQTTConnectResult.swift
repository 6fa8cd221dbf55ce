/// The outcome of a connection attempt, taken from the broker's CONNACK.
public struct MQTTConnectResult: Sendable, Hashable, CustomStringConvertible {
    /// The CONNACK reason code. `0` is success. MQTT 5 refusals are `>= 0x80`
    /// (e.g. `0x86` bad user name or password, `0x87` not authorized); MQTT 3.1.1
    /// refusals are `1...5` (e.g. `4` bad user name or password, `5` not authorized).
    public let reasonCode: Int
    /// Whether the broker resumed an existing session (CONNACK session-present flag).
    public let sessionPresent: Bool
    /// The protocol of the connection this CONNACK belongs to.
    public let protocolVersion: MQTTProtocolVersion

    /// Creates a result.
    public init(reasonCode: Int, sessionPresent: Bool, protocolVersion: MQTTProtocolVersion) {
        self.reasonCode = reasonCode
        self.sessionPresent = sessionPresent
        self.protocolVersion = protocolVersion
    }

    /// `true` when the broker accepted the connection.
    public var isSuccess: Bool { reasonCode == 0 }

    /// libmosquitto's text for the reason code.
    public var reasonDescription: String {
        protocolVersion == .v5
            ? MosquittoLibrary.reasonString(reasonCode)
            : MosquittoLibrary.connackString(reasonCode)
    }

    public var description: String {
        "CONNACK(reasonCode: \(reasonCode) \(reasonDescription), sessionPresent: \(sessionPresent))"
    }
}
