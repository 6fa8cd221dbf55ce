import Foundation

/// A device at the byte level: one MQTT 3.1.1 connection on a plain socket, with no library behind it to
/// reconnect or send keep-alive pings on its own. Lets a test decide exactly how the connection ends:
/// DISCONNECT, a bare close, or silence until the broker's keep-alive timer fires.
final class RawMQTTConnection {
    let clientId: String
    /// The local `ip:port` the broker sees: the `clientIp` of this connection's status events.
    let localAddress: String
    private var socketDescriptor: Int32

    /// Connects, sends CONNECT (clean session) and waits for a successful CONNACK.
    init(port: Int, clientId: String, keepAlive: UInt16 = 60) throws {
        self.clientId = clientId
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw FixtureError("socket() failed: \(String(cString: strerror(errno)))") }
        socketDescriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            Glibc.close(descriptor)
            throw FixtureError("cannot connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        localAddress = "127.0.0.1:\(UInt16(bigEndian: local.sin_port))"

        let id = Array(clientId.utf8)
        var variable: [UInt8] = [0, 4] + Array("MQTT".utf8) + [4, 0x02, UInt8(keepAlive >> 8), UInt8(keepAlive & 0xFF)]
        variable += [UInt8(id.count >> 8), UInt8(id.count & 0xFF)] + id
        try send([0x10] + Self.remainingLength(variable.count) + variable)
        var connack = [UInt8](repeating: 0, count: 4)
        let received = recv(descriptor, &connack, 4, Int32(MSG_WAITALL))
        guard received == 4, connack[0] == 0x20, connack[3] == 0 else {
            Glibc.close(descriptor)
            throw FixtureError("no successful CONNACK for \(clientId) (got \(connack.prefix(max(0, received))))")
        }
    }

    /// Sends a QoS 0 PUBLISH whose topic is exactly `topic`, checked or not (MQTT requires UTF-8 without
    /// wildcards; this lets a test send what a broken client would).
    func publish(topic: [UInt8], payload: [UInt8]) throws {
        let variable = [UInt8(topic.count >> 8), UInt8(topic.count & 0xFF)] + topic + payload
        try send([0x30] + Self.remainingLength(variable.count) + variable)
    }

    /// Sends DISCONNECT and closes: the broker logs "Client … disconnected."
    func disconnect() {
        try? send([0xE0, 0x00])
        close()
    }

    /// Closes the socket without DISCONNECT.
    func close() {
        guard socketDescriptor >= 0 else { return }
        Glibc.close(socketDescriptor)
        socketDescriptor = -1
    }

    /// Waits until the broker closes the connection (after a keep-alive timeout or a takeover).
    func waitForBrokerClose(timeout: Int = 10) -> Bool {
        var pollDescriptor = pollfd(fd: socketDescriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&pollDescriptor, 1, Int32(timeout * 1000)) == 1 else { return false }
        var byte: UInt8 = 0
        return recv(socketDescriptor, &byte, 1, 0) <= 0
    }

    deinit { close() }

    private func send(_ bytes: [UInt8]) throws {
        let sent = bytes.withUnsafeBytes { Glibc.send(socketDescriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw FixtureError("send failed: \(String(cString: strerror(errno)))") }
    }

    private static func remainingLength(_ length: Int) -> [UInt8] {
        var value = length
        var bytes: [UInt8] = []
        repeat {
            var byte = UInt8(value % 128)
            value /= 128
            if value > 0 { byte |= 0x80 }
            bytes.append(byte)
        } while value > 0
        return bytes
    }
}
