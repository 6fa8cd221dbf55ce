#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Threads

/// Called when a CONNACK arrives.
public typealias MQTTConnectHandler = @Sendable (MQTTConnectResult) -> Void
/// Called when the connection ends. `0` means the client asked for it (``MQTTClient/disconnect()``);
/// any other value is an unexpected loss (a `MOSQ_ERR_*` code or an MQTT 5 DISCONNECT reason code).
public typealias MQTTDisconnectHandler = @Sendable (_ reasonCode: Int) -> Void
/// Called for every received message.
public typealias MQTTMessageHandler = @Sendable (MQTTIncomingMessage) -> Void
/// Called when one of our publishes is complete: PUBACK (QoS 1), PUBCOMP (QoS 2), or written (QoS 0).
/// A reason code `>= 0x80` means the broker rejected it; `0x10` is "no matching subscribers" (still delivered to the broker).
public typealias MQTTPublishCompletedHandler = @Sendable (_ mid: Int, _ reasonCode: Int) -> Void
/// Called when a SUBACK arrives; one granted QoS (or failure reason code `>= 0x80`) per filter.
public typealias MQTTSubscribeHandler = @Sendable (_ mid: Int, _ grantedQoS: [Int]) -> Void
/// Called when an UNSUBACK arrives.
public typealias MQTTUnsubscribeHandler = @Sendable (_ mid: Int) -> Void
/// Called for libmosquitto's own client log lines.
public typealias MQTTLogHandler = @Sendable (MQTTLogLevel, String) -> Void

/// The handlers plus the bookkeeping needed to wait for a CONNACK. Owned by one client and
/// handed to libmosquitto as the callbacks' user data.
final class MQTTClientEvents: Sendable {
    struct State {
        var onConnect: MQTTConnectHandler?
        var onDisconnect: MQTTDisconnectHandler?
        var onMessage: MQTTMessageHandler?
        var onPublishCompleted: MQTTPublishCompletedHandler?
        var onSubscribe: MQTTSubscribeHandler?
        var onUnsubscribe: MQTTUnsubscribeHandler?
        var onLog: MQTTLogHandler?
        /// Whether the log callback stays installed while the connection is up (``MQTTClient/logsWhileConnected``).
        var logsWhileConnected = true

        /// Number of CONNACKs seen and the last one.
        var connackCount = 0
        var lastConnack: MQTTConnectResult?
        /// Number of disconnect events seen and the last reason code.
        var disconnectCount = 0
        var lastDisconnectReason = 0
        /// Whether the last connection event was a successful CONNACK.
        var isConnected = false
        /// The thread libmosquitto last ran a callback on (the loop thread).
        var callbackThread: pthread_t?
        /// Bytes the PUBLISH packets handed to `onMessage` took on the wire, at least (see
        /// ``MQTTClient/loopReadArrived(maxPackets:while:)``).
        var publishBytesRead = 0
    }

    let state = ConditionLock(State())
    let protocolVersion: MQTTProtocolVersion

    init(protocolVersion: MQTTProtocolVersion) {
        self.protocolVersion = protocolVersion
    }

    /// Reads a handler under the lock and notes the calling thread, so the handler runs unlocked.
    /// `notingThread: false` is for the log callback, which libmosquitto also calls on the thread of an API
    /// call (`mosquitto_connect` logs "sending CONNECT"): noting that thread would make a later
    /// ``MQTTClient/stopLoop(force:)`` from it look like a call from a handler.
    func handler<H>(_ keyPath: KeyPath<State, H?>, notingThread: Bool = true) -> H? {
        let me = pthread_self()
        return state.withLock { state in
            if notingThread { state.callbackThread = me }
            return state[keyPath: keyPath]
        }
    }

    /// ``handler(_:notingThread:)`` for `onMessage`, also counting `wireBytes` into `publishBytesRead`, under one lock.
    func messageHandler(wireBytes: Int) -> MQTTMessageHandler? {
        let me = pthread_self()
        return state.withLock { state in
            state.callbackThread = me
            state.publishBytesRead &+= wireBytes
            return state.onMessage
        }
    }

    var publishBytesRead: Int { state.withLock { $0.publishBytesRead } }

    /// Whether the calling thread is the one libmosquitto runs callbacks on.
    var isOnCallbackThread: Bool {
        let me = pthread_self()
        return state.withLock { state in
            guard let thread = state.callbackThread else { return false }
            return pthread_equal(thread, me) != 0
        }
    }

    func forgetCallbackThread() {
        state.withLock { $0.callbackThread = nil }
    }

    /// Runs the user's handler first, then installs or removes libmosquitto's log callback as the new state wants
    /// (through `setLogCallback`, called without the state's lock), then records the CONNACK and wakes waiters:
    /// ``MQTTClient/connectAndWait(host:port:keepAlive:timeout:)`` returns only after `onConnect` ran and the log
    /// callback is as the connected state wants it.
    func connackReceived(_ result: MQTTConnectResult, setLogCallback: (Bool) -> Void) {
        handler(\.onConnect)?(result)
        setLogCallback(state.withLock { $0.wantsLogCallback(connected: result.isSuccess) })
        state.withLockAndBroadcast { state in
            state.connackCount += 1
            state.lastConnack = result
            state.isConnected = result.isSuccess
        }
    }

    /// Runs the user's handler first, then puts libmosquitto's log callback back if wanted, then records the
    /// disconnect and wakes waiters.
    func disconnected(_ reasonCode: Int, setLogCallback: (Bool) -> Void) {
        handler(\.onDisconnect)?(reasonCode)
        setLogCallback(state.withLock { $0.wantsLogCallback(connected: false) })
        state.withLockAndBroadcast { state in
            state.disconnectCount += 1
            state.lastDisconnectReason = reasonCode
            state.isConnected = false
        }
    }
}

extension MQTTClientEvents.State {
    /// Whether libmosquitto should have a log callback: while there is a handler, unless the connection is up and
    /// the handler wants no lines then.
    var wantsLogCallback: Bool { wantsLogCallback(connected: isConnected) }

    /// `wantsLogCallback` with the connection up or not.
    func wantsLogCallback(connected: Bool) -> Bool { onLog != nil && (logsWhileConnected || !connected) }
}
