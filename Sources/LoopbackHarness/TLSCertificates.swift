import Foundation

/// A throwaway certificate authority and a server certificate it signed, for `127.0.0.1` and `localhost`,
/// made with the `openssl` command-line tool (Debian package `openssl`). Elliptic-curve keys, valid for two
/// days: enough for a test or a demo, never for production.
public struct TLSCertificates: Sendable {
    /// The CA certificate (PEM): what a client trusts.
    public let caFile: String
    /// The server certificate (PEM), subject alternative names `IP:127.0.0.1` and `DNS:localhost`.
    public let certFile: String
    /// The server's private key (PEM).
    public let keyFile: String

    /// Generation failures, with what `openssl` said.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Writes a new CA and server certificate into `directory` (created if missing). Files already there
    /// are kept, so a restarted broker serves the same certificate.
    public static func generate(in directory: URL, caName: String = "mqbridge throwaway test CA") throws -> TLSCertificates {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let certificates = TLSCertificates(caFile: path("ca.crt"), certFile: path("server.crt"), keyFile: path("server.key"))
        if [certificates.caFile, certificates.certFile, certificates.keyFile].allSatisfy(FileManager.default.fileExists) {
            return certificates
        }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509"] + ec + [
            "-keyout", path("ca.key"), "-out", certificates.caFile, "-days", "2", "-subj", "/CN=\(caName)",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        try openssl(["req", "-new"] + ec + ["-keyout", certificates.keyFile, "-out", path("server.csr"), "-subj", "/CN=127.0.0.1"])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: path("server.ext"), atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", path("server.csr"), "-CA", certificates.caFile, "-CAkey", path("ca.key"),
            "-CAcreateserial", "-out", certificates.certFile, "-days", "2", "-extfile", path("server.ext"),
        ])
        return certificates
    }

    private static func openssl(_ arguments: [String]) throws {
        let tool = try ManagedProcess(executable: "openssl", arguments: arguments)
        let status = tool.waitForExit(timeout: .seconds(30)) ?? tool.terminate() ?? -1
        guard status == 0 else {
            throw Failure(description: "openssl \(arguments.prefix(2).joined(separator: " ")) failed (\(status)): \(tool.stderrText)")
        }
    }
}
