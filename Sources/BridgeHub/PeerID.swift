/// The links the hub serves; each is one ROUTER socket.
public enum Link: String, Sendable, Hashable, CaseIterable {
    case workers
    case consumers
    case producers
}

/// A peer as the hub sees it: its link and its ZeroMQ routing id.
public struct PeerID: Sendable, Hashable, CustomStringConvertible {
    public let link: Link
    public let routingId: [UInt8]
    /// FNV-1a of the link and the routing id, made once: the router looks peers up in several dictionaries
    /// per message, and hashing an array feeds the hasher one byte at a time.
    private let digest: UInt64

    public init(link: Link, routingId: [UInt8]) {
        self.link = link
        self.routingId = routingId
        let prime: UInt64 = 0x0000_0100_0000_01b3
        let linkNumber: UInt64 = switch link {
        case .workers: 1
        case .consumers: 2
        case .producers: 3
        }
        var digest: UInt64 = 0xcbf2_9ce4_8422_2325 ^ linkNumber
        for byte in routingId {
            digest = (digest ^ UInt64(byte)) &* prime
        }
        self.digest = digest
    }

    public static func == (lhs: PeerID, rhs: PeerID) -> Bool {
        lhs.digest == rhs.digest && lhs.link == rhs.link && lhs.routingId == rhs.routingId
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(digest)
    }

    public var description: String {
        "\(link.rawValue)/" + routingId.map { String($0, radix: 16) }.joined()
    }
}

/// A first-in first-out queue with amortized O(1) push and pop.
struct FIFO<Element> {
    private var storage: [Element?] = []
    private var head = 0

    var isEmpty: Bool { head == storage.count }
    var count: Int { storage.count - head }

    mutating func push(_ element: Element) { storage.append(element) }

    mutating func pushFront(contentsOf elements: [Element]) {
        guard !elements.isEmpty else { return }
        storage = elements.map { Optional($0) } + storage[head...]
        head = 0
    }

    mutating func pop() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        storage[head] = nil
        head += 1
        if head > 1_024 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Removes and returns every element, in order.
    mutating func drain() -> [Element] {
        let elements = storage[head...].compactMap { $0 }
        storage.removeAll(keepingCapacity: true)
        head = 0
        return elements
    }
}

extension FIFO: Sendable where Element: Sendable {}
