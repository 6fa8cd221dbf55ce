internal import CZeroMQ

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// ZeroMQ's Z85 text encoding (RFC 32), used for CURVE keys in configuration files.
public enum Z85 {
    /// Encodes `bytes`, whose count must be a multiple of 4, into `count / 4 * 5` characters.
    /// - Throws: `EINVAL` for other lengths.
    public static func encode(_ bytes: [UInt8]) throws(ZMQError) -> String {
        guard bytes.count % 4 == 0 else { throw ZMQError(code: EINVAL, operation: "zmq_z85_encode") }
        if bytes.isEmpty { return "" }
        let length = bytes.count / 4 * 5
        var failed = false
        // One spare byte for the NUL terminator libzmq writes after the text.
        let text = String(unsafeUninitializedCapacity: length + 1) { output in
            bytes.withUnsafeBufferPointer { input in
                output.withMemoryRebound(to: CChar.self) { chars in
                    failed = zmq_z85_encode(chars.baseAddress, input.baseAddress, input.count) == nil
                }
            }
            return failed ? 0 : length
        }
        if failed { throw ZMQError(code: EINVAL, operation: "zmq_z85_encode") }
        return text
    }

    /// Decodes Z85 text, whose length must be a multiple of 5, into `count / 5 * 4` bytes.
    /// - Throws: `EINVAL` for other lengths, characters outside the Z85 alphabet, or
    ///   groups whose value overflows 32 bits.
    public static func decode(_ text: String) throws(ZMQError) -> [UInt8] {
        var text = text
        let decoded: [UInt8]? = text.withUTF8 { utf8 in
            // libzmq measures the input with strlen, so an embedded NUL would silently
            // truncate it; reject it here instead.
            guard utf8.count % 5 == 0, !utf8.contains(0) else { return nil }
            if utf8.isEmpty { return [] }
            let length = utf8.count / 5 * 4
            // withUTF8 does not promise a terminator, and libzmq needs one.
            var terminated = [CChar](repeating: 0, count: utf8.count + 1)
            terminated.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(utf8)) }
            var ok = false
            let bytes = [UInt8](unsafeUninitializedCapacity: length) { output, count in
                ok = zmq_z85_decode(output.baseAddress, terminated) != nil
                count = ok ? length : 0
            }
            return ok ? bytes : nil
        }
        guard let decoded else { throw ZMQError(code: EINVAL, operation: "zmq_z85_decode") }
        return decoded
    }
}
