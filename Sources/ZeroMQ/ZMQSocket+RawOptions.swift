internal import CZeroMQ

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

// The untyped zmq_setsockopt/zmq_getsockopt plumbing behind the typed option accessors.
// The option's name is only turned into an error string on failure, keeping the
// success path free of string work.
extension ZMQSocket {
    func setOption(
        _ option: Int32, _ name: StaticString, _ value: UnsafeRawPointer?, _ size: Int
    ) throws(ZMQError) {
        guard let handle else { throw ZMQError(code: ENOTSOCK, operation: "zmq_setsockopt(\(name))") }
        while zmq_setsockopt(handle, option, value, size) != 0 {
            let code = zmq_errno()
            if code != EINTR { throw ZMQError(code: code, operation: "zmq_setsockopt(\(name))") }
        }
    }

    func getOption(
        _ option: Int32, _ name: StaticString, _ value: UnsafeMutableRawPointer?, _ size: inout Int
    ) throws(ZMQError) {
        guard let handle else { throw ZMQError(code: ENOTSOCK, operation: "zmq_getsockopt(\(name))") }
        while zmq_getsockopt(handle, option, value, &size) != 0 {
            let code = zmq_errno()
            if code != EINTR { throw ZMQError(code: code, operation: "zmq_getsockopt(\(name))") }
        }
    }

    func setInt32Option(_ option: Int32, _ name: StaticString, _ value: Int) throws(ZMQError) {
        guard let narrow = Int32(exactly: value) else {
            throw ZMQError(code: EINVAL, operation: "zmq_setsockopt(\(name))")
        }
        var storage = narrow
        try setOption(option, name, &storage, MemoryLayout<Int32>.size)
    }

    func int32Option(_ option: Int32, _ name: StaticString) throws(ZMQError) -> Int {
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        try getOption(option, name, &value, &size)
        return Int(value)
    }

    func setBytesOption(_ option: Int32, _ name: StaticString, _ bytes: [UInt8]) throws(ZMQError) {
        // withUnsafeBytes is rethrows-only, so the error is carried out of the closure.
        let error: ZMQError? = bytes.withUnsafeBytes { buffer in
            do throws(ZMQError) {
                try setOption(option, name, buffer.baseAddress, buffer.count)
                return nil
            } catch {
                return error
            }
        }
        if let error { throw error }
    }

    func setStringOption(_ option: Int32, _ name: StaticString, _ string: String) throws(ZMQError) {
        try setBytesOption(option, name, Array(string.utf8))
    }

    func bytesOption(_ option: Int32, _ name: StaticString, capacity: Int) throws(ZMQError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: capacity)
        var size = capacity
        let error: ZMQError? = buffer.withUnsafeMutableBytes { raw in
            do throws(ZMQError) {
                try getOption(option, name, raw.baseAddress, &size)
                return nil
            } catch {
                return error
            }
        }
        if let error { throw error }
        buffer.removeSubrange(min(size, capacity)...)
        return buffer
    }

    /// Reads a NUL-terminated string option; `size` reported by libzmq includes the NUL.
    func stringOption(_ option: Int32, _ name: StaticString, capacity: Int) throws(ZMQError) -> String {
        let bytes = try bytesOption(option, name, capacity: capacity)
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}
