internal import CMosquitto

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The C trampolines: libmosquitto calls these on its loop thread with the client's
/// ``MQTTClientEvents`` as user data; they copy everything out of C memory and call the Swift handlers.
extension MQTTClient {
    func installCallbacks(on handle: OpaquePointer) {
        mosquitto_connect_v5_callback_set(handle) { mosq, userData, rc, flags, _ in
            guard let events = MQTTClient.events(from: userData) else { return }
            events.connackReceived(
                MQTTConnectResult(reasonCode: Int(rc), sessionPresent: flags & 0x01 != 0, protocolVersion: events.protocolVersion),
                setLogCallback: { MQTTClient.setLogCallback(on: mosq, installed: $0) })
        }
        mosquitto_disconnect_v5_callback_set(handle) { mosq, userData, rc, _ in
            MQTTClient.events(from: userData)?.disconnected(Int(rc), setLogCallback: { MQTTClient.setLogCallback(on: mosq, installed: $0) })
        }
        mosquitto_publish_v5_callback_set(handle) { _, userData, mid, reasonCode, _ in
            guard let events = MQTTClient.events(from: userData) else { return }
            events.handler(\.onPublishCompleted)?(Int(mid), Int(reasonCode))
        }
        mosquitto_message_v5_callback_set(handle) { _, userData, message, properties in
            guard let events = MQTTClient.events(from: userData), let message else { return }
            let wireBytes = MQTTClient.publishWireBytes(message.pointee, version: events.protocolVersion)
            guard let handler = events.messageHandler(wireBytes: wireBytes) else { return }
            handler(MQTTIncomingMessage(copying: message.pointee, properties: properties))
        }
        mosquitto_subscribe_v5_callback_set(handle) { _, userData, mid, count, granted, _ in
            guard let events = MQTTClient.events(from: userData) else { return }
            let grantedQoS = granted.map { Array(UnsafeBufferPointer(start: $0, count: Int(max(count, 0)))) } ?? []
            events.handler(\.onSubscribe)?(Int(mid), grantedQoS.map(Int.init))
        }
        mosquitto_unsubscribe_v5_callback_set(handle) { _, userData, mid, _ in
            MQTTClient.events(from: userData)?.handler(\.onUnsubscribe)?(Int(mid))
        }
    }

    /// Installs the log trampoline only while it is wanted (``onLog`` set, and ``logsWhileConnected`` or no
    /// connection): with a callback installed libmosquitto allocates and formats each of its log lines, several
    /// per message (`mosquitto_log_callback_set` locks, so this is safe while the loop runs, also from a callback).
    static func setLogCallback(on handle: OpaquePointer?, installed: Bool) {
        guard let handle else { return }
        guard installed else {
            mosquitto_log_callback_set(handle, nil)
            return
        }
        mosquitto_log_callback_set(handle) { _, userData, level, text in
            guard let events = MQTTClient.events(from: userData), let text,
                  let handler = events.handler(\.onLog, notingThread: false) else { return }
            handler(MQTTLogLevel(mosquittoLevel: level), String(cString: text))
        }
    }

    /// The fewest bytes the PUBLISH packet that carried `message` can have taken on the wire: its fixed header,
    /// topic, packet identifier and payload, and for MQTT 5 an empty property list (properties can only add).
    static func publishWireBytes(_ message: mosquitto_message, version: MQTTProtocolVersion) -> Int {
        let topicBytes = message.topic.map { strlen($0) } ?? 0
        let remaining = 2 + topicBytes + (message.qos > 0 ? 2 : 0) + (version == .v5 ? 1 : 0) + Int(max(0, message.payloadlen))
        let lengthBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4
        return 1 + lengthBytes + remaining
    }

    static func events(from userData: UnsafeMutableRawPointer?) -> MQTTClientEvents? {
        guard let userData else { return nil }
        return Unmanaged<MQTTClientEvents>.fromOpaque(userData).takeUnretainedValue()
    }
}

extension MQTTIncomingMessage {
    /// Copies a libmosquitto message; nothing of `message` is retained.
    init(copying message: mosquitto_message, properties: OpaquePointer?) {
        let topic = message.topic.map { String(cString: $0) } ?? ""
        let payload: [UInt8] = if let bytes = message.payload, message.payloadlen > 0 {
            Array(UnsafeRawBufferPointer(start: bytes, count: Int(message.payloadlen)))
        } else {
            []
        }
        self.init(topic: topic, payload: payload, qos: MQTTQoS(rawValue: Int(message.qos)) ?? .atMostOnce,
                  retain: message.retain, mid: Int(message.mid),
                  properties: MQTTPublishProperties(reading: properties))
    }
}
