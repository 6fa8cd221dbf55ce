internal import Glibc

/// Opens the server's listening socket.
enum ListeningSocket {
    /// Binds and listens on the first address of `host` that works (IPv4 before IPv6, so that
    /// `localhost` lands where most clients look first), with `SO_REUSEADDR` so a restarted
    /// server need not wait out TIME_WAIT. Returns the descriptor and the address it is bound to.
    static func open(host: String, port: Int) throws(HTTPServerError) -> (fd: Int32, address: SocketAddress, port: Int) {
        let shown = SocketAddress.display(host: host, port: port)
        guard (0...65535).contains(port) else {
            throw HTTPServerError(.invalidPort, "cannot listen on \(shown): the port must be between 0 and 65535")
        }
        let addresses: [SocketAddress]
        do {
            addresses = try SocketAddress.resolve(host: host, port: port, passive: true)
        } catch {
            throw HTTPServerError(.cannotResolve, "cannot listen on \(shown): cannot resolve '\(host)': \(error.reason)")
        }
        var firstFailure: SystemError?
        for address in addresses {
            do throws(SystemError) {
                let fd = try bound(to: address)
                do throws(SystemError) {
                    return (fd, address, try SystemCall.localPort(fd))
                } catch {
                    SystemCall.close(fd)
                    throw error
                }
            } catch {
                firstFailure = firstFailure ?? error
            }
        }
        guard let failure = firstFailure else {
            throw HTTPServerError(.cannotResolve, "cannot listen on \(shown): '\(host)' has no IPv4 or IPv6 address")
        }
        throw HTTPServerError(.cannotListen, code: failure.code, "cannot listen on \(shown): \(failure.reason)")
    }

    private static func bound(to address: SocketAddress) throws(SystemError) -> Int32 {
        let fd = try SystemCall.socket(family: address.family)
        do {
            try SystemCall.setReuseAddress(fd)
            try SystemCall.bind(fd, to: address)
            try SystemCall.listen(fd)
            return fd
        } catch {
            SystemCall.close(fd)
            throw error
        }
    }
}
