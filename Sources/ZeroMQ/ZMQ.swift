internal import CZeroMQ

/// Library-wide facts about the libzmq this process is linked against.
public enum ZMQ {
    /// The runtime libzmq version (which may differ from the headers used at build time).
    public static var version: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0
        var minor: Int32 = 0
        var patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }

    /// Whether libzmq was built with `capability`, e.g. `"curve"`, `"ipc"`, `"draft"`.
    ///
    /// Check `has("curve")` before relying on CURVE: without libsodium the key and
    /// socket-option calls fail with `ENOTSUP`.
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) == 1
    }
}
