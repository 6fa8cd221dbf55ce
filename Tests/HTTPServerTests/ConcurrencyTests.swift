import TestSupport
import HTTPServer
import Testing

/// Many clients at once, each on a thread of its own.
@Suite struct ConcurrencyTests {
    @Test func fiftyClientsTwentyRequestsEach() throws {
        try withServer { server, port in
            let clients = 50
            let requestsPerClient = 20
            let threads = (0..<clients).map { client in
                TestThread { () throws -> Int in
                    var answered = 0
                    if client.isMultiple(of: 2) {
                        // Keep-alive: every request on one connection.
                        let connection = try HTTPClientConnection(host: "127.0.0.1", port: port, timeout: .seconds(20))
                        for index in 0..<requestsPerClient {
                            try connection.send(get("/c/\(client)/\(index)"))
                            let response = try connection.readResponse()
                            if response.status == 200 && response.text.contains("path=/c/\(client)/\(index)\n") { answered += 1 }
                        }
                    } else {
                        // A connection per request.
                        for index in 0..<requestsPerClient {
                            let response = try HTTPClient.get(host: "127.0.0.1", port: port, path: "/c/\(client)/\(index)", timeout: .seconds(20))
                            if response.status == 200 && String(decoding: response.body, as: UTF8.self).contains("path=/c/\(client)/\(index)\n") {
                                answered += 1
                            }
                        }
                    }
                    return answered
                }
            }
            var total = 0
            for thread in threads {
                let result = try #require(thread.join(timeout: .seconds(60)), "a client thread did not finish")
                total += try result.get()
            }
            #expect(total == clients * requestsPerClient)
            let counters = server.counters
            #expect(counters.requestsServed == clients * requestsPerClient)
            #expect(counters.connectionsAccepted == clients / 2 + clients / 2 * requestsPerClient)
            #expect(counters.connectionsRefused == 0)
            #expect(counters.badRequests.isEmpty)
        }
    }

    @Test func countersCanBeReadWhileTheServerWorks() throws {
        try withServer { server, port in
            let reader = TestThread { () -> Int in
                var reads = 0
                let deadline = ContinuousClock.now.advanced(by: .seconds(10))
                while server.counters.requestsServed < 100 && ContinuousClock.now < deadline { reads += 1 }
                return reads
            }
            for index in 0..<100 {
                let response = try HTTPClient.get(host: "127.0.0.1", port: port, path: "/\(index)")
                #expect(response.status == 200)
            }
            #expect(reader.join(timeout: .seconds(10)) != nil)
        }
    }
}
