internal import CMosquitto

/// Process-wide libmosquitto state.
///
/// `mosquitto_lib_init` is called exactly once, lazily and thread-safely, the first time any
/// client is created (or ``ensureInitialized()`` is called). `mosquitto_lib_cleanup` is never
/// called: the library stays usable for the lifetime of the process.
public enum MosquittoLibrary {
    /// Swift runs a global's initializer exactly once, under `swift_once`, so this is thread-safe.
    private static let initialization: Void = {
        _ = mosquitto_lib_init()
    }()

    /// Initializes libmosquitto if that has not happened yet. Safe to call from any thread.
    public static func ensureInitialized() {
        initialization
    }

    /// The version of the libmosquitto the process is linked against, e.g. `"2.0.11"`.
    public static var version: String {
        var major: Int32 = 0, minor: Int32 = 0, revision: Int32 = 0
        _ = mosquitto_lib_version(&major, &minor, &revision)
        return "\(major).\(minor).\(revision)"
    }

    /// The text libmosquitto gives for an MQTT reason code (`mosquitto_reason_string`).
    public static func reasonString(_ reasonCode: Int) -> String {
        String(cString: mosquitto_reason_string(Int32(truncatingIfNeeded: reasonCode)))
    }

    /// The text libmosquitto gives for an MQTT 3.1.1 CONNACK code (`mosquitto_connack_string`).
    public static func connackString(_ code: Int) -> String {
        String(cString: mosquitto_connack_string(Int32(truncatingIfNeeded: code)))
    }
}
