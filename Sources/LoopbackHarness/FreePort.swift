import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Loopback TCP port helpers.
public enum FreePort {
    /// Errors from the socket calls.
    public struct Failure: Error, CustomStringConvertible {
        /// The failing call.
        public let call: String
        /// `errno` after the call.
        public let code: Int32
        public var description: String { "\(call) failed: \(String(cString: strerror(code))) (errno \(code))" }
    }

    /// Ports handed out, from 20000 up to below the kernel's ephemeral range (32768–60999 by default): a port
    /// from that range can be taken between allocation and bind by any outgoing connection (its source
    /// port) or by another port-0 bind, which made tests that start many servers at once fail now and then
    /// with "address in use". Each process starts at a random place and never hands out a port twice.
    static let range = 20_000..<32_768
    private static let nextOffset = Mutex<Int>(Int.random(in: 0..<(32_768 - 20_000)))

    /// Returns a TCP port on 127.0.0.1 that was free a moment ago (a bind to it succeeded) and that this
    /// process has not handed out before. Another process may still take it before you bind it, so callers
    /// that start servers should retry on "address in use".
    public static func allocate() throws -> Int {
        for _ in 0..<range.count {
            let offset = nextOffset.withLock { next in
                defer { next = (next + 1) % range.count }
                return next
            }
            let port = range.lowerBound + offset
            if try canBind(port: port) { return port }
        }
        throw Failure(call: "bind", code: EADDRINUSE)
    }

    /// Whether 127.0.0.1:`port` can be bound right now (the socket is closed again at once).
    static func canBind(port: Int) throws -> Bool {
        #if canImport(Darwin)
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #else
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #endif
        guard fd >= 0 else { throw Failure(call: "socket", code: errno) }
        defer { close(fd) }
        var address = loopbackAddress(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if bound == 0 { return true }
        let code = errno
        if code == EADDRINUSE || code == EACCES { return false }
        throw Failure(call: "bind", code: code)
    }

    /// `true` if something accepts TCP connections on 127.0.0.1:`port` right now.
    public static func isAcceptingConnections(port: Int) -> Bool {
        #if canImport(Darwin)
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #else
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopbackAddress(port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return rc == 0
    }

    static func loopbackAddress(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}

extension FreePort {
    /// Runs `start`, which takes its ports from ``allocate()`` and launches a server on them, again (at most
    /// `attempts` times in all) while it fails because another process took a port between allocation and
    /// bind ("address already in use" in the error); any other error, or the last one, is thrown.
    public static func retryingPortRaces(attempts: Int = 5, _ start: () throws -> Void) throws {
        for attempt in 1...max(1, attempts) {
            do {
                try start()
                return
            } catch where attempt < attempts && "\(error)".lowercased().contains("address already in use") {
                continue
            }
        }
    }
}
