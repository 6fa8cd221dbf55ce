import TestSupport
import HTTPServer
import Testing


@Suite struct RandomizedParserTests {
    static let limits = HTTPRequestParser.Limits(maxHeaderBytes: 4096, maxBodyBytes: 64)

    /// A valid request with random method, encoded path and query, headers and body.
    private func randomRequest(_ random: inout SplitMix64) -> String {
        let methods = ["GET", "HEAD", "POST", "DELETE", "BREW", "M-SEARCH"]
        let pieces = ["a", "b", "Z9", "%2F", "%40", "%E2%9C%93", "+", "-", "_", "~", "%20", "."]
        func word() -> String { (0..<Int.random(in: 1...4, using: &random)).map { _ in pieces.randomElement(using: &random) ?? "a" }.joined() }
        var target = "/" + (0..<Int.random(in: 0...3, using: &random)).map { _ in word() }.joined(separator: "/")
        if Bool.random(using: &random) {
            target += "?" + (0..<Int.random(in: 1...3, using: &random)).map { _ in "\(word())=\(word())" }.joined(separator: "&")
        }
        let version = Bool.random(using: &random) ? "HTTP/1.1" : "HTTP/1.0"
        var head = "\(methods.randomElement(using: &random) ?? "GET") \(target) \(version)\r\nHost: test\r\n"
        for index in 0..<Int.random(in: 0...4, using: &random) {
            head += "X-Field-\(index): \(String(repeating: "v", count: Int.random(in: 0...20, using: &random)))\r\n"
        }
        let body = String(repeating: "b", count: Int.random(in: 0...8, using: &random))
        if !body.isEmpty || Bool.random(using: &random) { head += "Content-Length: \(body.utf8.count)\r\n" }
        let terminator = Int.random(in: 0..<5, using: &random) == 0 ? "\n" : "\r\n"
        return head + terminator + body
    }

    /// Feeds `bytes` in chunks ending at `cuts` and collects the requests.
    private func parse(_ bytes: [UInt8], cuts: [Int]) throws -> [HTTPRequest] {
        var parser = HTTPRequestParser(limits: Self.limits)
        var requests: [HTTPRequest] = []
        var start = 0
        for cut in cuts + [bytes.count] {
            parser.append(bytes[start..<cut])
            start = cut
            while let request = try parser.next() { requests.append(request) }
        }
        #expect(parser.bufferedByteCount == 0)
        return requests
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func anySplitOfPipelinedRequestsGivesTheSameRequests(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let texts = (0..<Int.random(in: 1...12, using: &random)).map { _ in randomRequest(&random) }
        let bytes = Array(texts.joined().utf8)
        let whole = try parse(bytes, cuts: [])
        #expect(whole.count == texts.count, "seed \(seed)")
        for _ in 0..<40 {
            let cuts = (0..<Int.random(in: 1...20, using: &random)).map { _ in Int.random(in: 0...bytes.count, using: &random) }.sorted()
            #expect(try parse(bytes, cuts: cuts) == whole, "seed \(seed), cuts \(cuts)")
        }
        #expect(try parse(bytes, cuts: Array(0..<bytes.count)) == whole, "seed \(seed), one byte at a time")
    }

    @Test(arguments: [11, 12, 13, 14] as [UInt64])
    func garbageNeverCrashesTheParser(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let alphabet = Array("GET POST / HTTP/1.1 \r\n\r\n: Host Content-Length 12 % %zz + ? & = chunked\u{0}\u{7F}é".utf8)
        for _ in 0..<300 {
            let bytes = (0..<Int.random(in: 0...600, using: &random)).map { _ in
                Int.random(in: 0..<4, using: &random) == 0 ? UInt8.random(in: 0...255, using: &random) : alphabet.randomElement(using: &random) ?? 0
            }
            feedInRandomChunks(bytes, seed: seed, random: &random)
        }
    }

    @Test(arguments: [21, 22, 23] as [UInt64])
    func mutatedRequestsNeverCrashTheParser(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        for _ in 0..<300 {
            var bytes = Array((0..<3).map { _ in randomRequest(&random) }.joined().utf8)
            for _ in 0..<Int.random(in: 1...5, using: &random) where !bytes.isEmpty {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.remove(at: index)
                default: bytes.insert(UInt8.random(in: 0...255, using: &random), at: index)
                }
            }
            feedInRandomChunks(bytes, seed: seed, random: &random)
        }
    }

    /// Feeds `bytes` in random chunks; the parser must return requests or throw, and once it
    /// throws it must keep throwing the same error.
    private func feedInRandomChunks(_ bytes: [UInt8], seed: UInt64, random: inout SplitMix64) {
        var parser = HTTPRequestParser(limits: Self.limits)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + Int.random(in: 1...64, using: &random))
            parser.append(bytes[offset..<end])
            offset = end
            do {
                while try parser.next() != nil {}
            } catch {
                let again = #expect(throws: HTTPParseError.self) { try parser.next() }
                #expect(again == error, "seed \(seed)")
                #expect((400...599).contains(error.status), "seed \(seed)")
                return
            }
        }
    }
}
