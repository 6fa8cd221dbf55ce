import CMosquitto

/// The level of a libmosquitto client log line (`MOSQ_LOG_*`).
public enum MQTTLogLevel: Sendable, Hashable {
    case info
    case notice
    case warning
    case error
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
