import Foundation
import LoopbackHarness

/// Network namespaces joined by veth pairs, made for one test and torn down after it: separate "hosts" on
/// this machine. Names carry a random run ID (`mqb<id>…`), so parallel runs do not collide. Addresses come
/// from 198.18.0.0/15 (set aside for network tests) and exist only on the links made here. Everything is
/// done with `ip`; ``tearDown()`` (also run by `deinit`) deletes the namespaces, which removes their links.
final class NamespaceNetwork: @unchecked Sendable {
    // Safe: used by one test's thread.

    /// One veth pair: an end in each namespace (nil: the test's own, the root namespace), a /30 between them.
    struct Link {
        let namespaceA: String?
        let interfaceA: String
        let addressA: String
        let namespaceB: String?
        let interfaceB: String
        let addressB: String
    }

    let id: String
    private let subnet: Int
    private(set) var namespaces: [String] = []
    private(set) var links: [Link] = []

    init() {
        id = String(format: "%06x", UInt32.random(in: 0..<0xFF_FFFF))
        subnet = Int.random(in: 0..<256)
    }

    deinit { tearDown() }

    /// Makes namespace `mqb<id><role>` with its loopback up.
    func addNamespace(_ role: String) throws -> String {
        let name = "mqb\(id)\(role)"
        try Self.ip(["netns", "add", name])
        namespaces.append(name)
        try Self.ip(["-n", name, "link", "set", "lo", "up"])
        return name
    }

    /// A veth pair between `a` and `b` (nil: the root namespace), both ends up with a /30 address each.
    func link(_ a: String?, _ b: String?) throws -> Link {
        let index = links.count
        precondition(index < 64, "at most 64 links")
        let base = index * 4
        let link = Link(
            namespaceA: a, interfaceA: "mqb\(id)l\(index)a", addressA: "198.18.\(subnet).\(base + 1)",
            namespaceB: b, interfaceB: "mqb\(id)l\(index)b", addressB: "198.18.\(subnet).\(base + 2)")
        try Self.ip(["link", "add", link.interfaceA, "type", "veth", "peer", "name", link.interfaceB])
        links.append(link)
        for (namespace, interface, address) in [(a, link.interfaceA, link.addressA), (b, link.interfaceB, link.addressB)] {
            if let namespace { try Self.ip(["link", "set", interface, "netns", namespace]) }
            try Self.ip(Self.in(namespace) + ["addr", "add", "\(address)/30", "dev", interface])
            try Self.ip(Self.in(namespace) + ["link", "set", interface, "up"])
        }
        return link
    }

    /// A route in `namespace` to one address through a link's far end (`via`).
    func route(in namespace: String?, to address: String, via gateway: String) throws {
        try Self.ip(Self.in(namespace) + ["route", "add", "\(address)/32", "via", gateway])
    }

    /// Takes a link down (both ends lose their carrier) or up again.
    func set(_ link: Link, up: Bool) throws {
        try Self.ip(Self.in(link.namespaceA) + ["link", "set", link.interfaceA, up ? "up" : "down"])
    }

    /// `ip netns exec <namespace> <executable> <arguments>`, as the executable and arguments of a process.
    func command(in namespace: String, _ executable: String, _ arguments: [String]) throws -> (executable: String, arguments: [String]) {
        (try Self.ipPath(), ["netns", "exec", namespace, executable] + arguments)
    }

    static func ipPath() throws -> String { try ManagedProcess.resolve("ip", extraDirectories: ["/usr/sbin", "/sbin"]) }

    /// Deletes every namespace made here (their links go with them) and any root end left over.
    func tearDown() {
        for namespace in namespaces.reversed() { try? Self.ip(["netns", "del", namespace]) }
        namespaces.removeAll()
        for link in links where link.namespaceA == nil { try? Self.ip(["link", "del", link.interfaceA], quiet: true) }
        links.removeAll()
    }

    private static func `in`(_ namespace: String?) -> [String] { namespace.map { ["-n", $0] } ?? [] }

    /// Runs `ip` and throws with its output when it fails.
    @discardableResult
    static func ip(_ arguments: [String], quiet: Bool = false) throws -> String {
        try runTool(try ipPath(), arguments, quiet: quiet)
    }
}

/// Runs a tool to its end and returns its output (standard output and error); throws with it when the tool
/// fails, unless `quiet`.
@discardableResult
func runTool(_ path: String, _ arguments: [String], quiet: Bool = false) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        if quiet { return output }
        throw FixtureError("\((path as NSString).lastPathComponent) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(output)")
    }
    return output
}
