import Foundation
import LoopbackHarness
import Mosquitto
import Testing

/// The harness's TLS listener and throwaway CA, with libmosquitto as the client.
@Suite("MosquittoBroker TLS listener")
struct TLSListenerTests {
    @Test("a client trusting the broker's CA connects with its password; another CA is refused")
    func tlsListenerWithPassword() throws {
        let broker = try MosquittoBroker(options: MosquittoBroker.Options(users: ["u": "p"], tlsListener: true))
        defer { broker.stop() }
        let tlsPort = try #require(broker.tlsPort)
        let certificates = try #require(broker.certificates)
        #expect(broker.tlsURL == "mqtts://127.0.0.1:\(tlsPort)")
        #expect(tlsPort != broker.port)
        #expect(FileManager.default.fileExists(atPath: certificates.caFile))

        let trusted = try MQTTClient(clientID: "tls-ok")
        try trusted.setCredentials(username: "u", password: "p")
        try trusted.setTLS(caFile: certificates.caFile)
        #expect(try trusted.connectAndWait(host: "127.0.0.1", port: tlsPort).isSuccess)
        try trusted.disconnect()
        try trusted.stopLoop()

        let otherDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("mqbridge-ca-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: otherDirectory) }
        let other = try TLSCertificates.generate(in: otherDirectory)
        #expect(other.caFile != certificates.caFile)
        let wary = try MQTTClient(clientID: "tls-untrusted")
        try wary.setTLS(caFile: other.caFile)
        #expect(throws: MosquittoError.self) { try wary.connectAndWait(host: "127.0.0.1", port: tlsPort, timeout: .seconds(5)) }
        try? wary.stopLoop(force: true)

        // The plain listener stays, and a restart keeps the certificates.
        let certificate = try String(contentsOfFile: certificates.certFile, encoding: .utf8)
        try broker.restart()
        #expect(try String(contentsOfFile: certificates.certFile, encoding: .utf8) == certificate)
        #expect(FreePort.isAcceptingConnections(port: broker.port) && FreePort.isAcceptingConnections(port: tlsPort))
    }
}
