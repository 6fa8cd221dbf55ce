internal import CMosquitto

/// The level of a libmosquitto client log line (`MOSQ_LOG_*`).
public enum MQTTLogLevel: Sendable, Hashable {
    /// `MOSQ_LOG_INFO`.
    case info
    /// `MOSQ_LOG_NOTICE`.
    case notice
    /// `MOSQ_LOG_WARNING`.
    case warning
    /// `MOSQ_LOG_ERR`.
    case error
    /// `MOSQ_LOG_DEBUG` (every packet sent and received).
    case debug
    /// Any other `MOSQ_LOG_*` bit value.
    case other(Int)

    init(mosquittoLevel level: Int32) {
        switch level {
        case MOSQ_LOG_INFO: self = .info
        case MOSQ_LOG_NOTICE: self = .notice
        case MOSQ_LOG_WARNING: self = .warning
        case MOSQ_LOG_ERR: self = .error
        case MOSQ_LOG_DEBUG: self = .debug
        default: self = .other(Int(level))
        }
    }
}
