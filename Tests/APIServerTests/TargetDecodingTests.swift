import APIServer
import Testing

@Suite struct TargetDecodingTests {
    private func request(_ target: String) throws -> APIRequest {
        try APIRequest(method: "GET", target: target)
    }

    @Test func percentEncodingIsDecodedInPathAndQuery() throws {
        let decoded = try request("/v1/clients/a%2Fb?ClientId=%40%40%40&name=a+b%2Bc&flag&empty=&check=%E2%9C%93&eq=a%3Db=c")
        #expect(decoded.path == "/v1/clients/a/b")
        #expect(decoded.pathSegments == ["v1", "clients", "a/b"])
        #expect(decoded.query.map(\.name) == ["ClientId", "name", "flag", "empty", "check", "eq"])
        #expect(decoded.query.map(\.value) == ["@@@", "a b+c", "", "", "✓", "a=b=c"])
    }

    @Test func plusIsASpaceOnlyInTheQuery() throws {
        let decoded = try request("/a+b?a+b=c+d")
        #expect(decoded.path == "/a+b")
        #expect(decoded.query.first?.name == "a b")
        #expect(decoded.query.first?.value == "c d")
    }

    @Test func queryOrderAndRepeatsAreKept() throws {
        let decoded = try request("/?b=2&a=1&b=3&&a")
        #expect(decoded.query.map { "\($0.name)=\($0.value)" } == ["b=2", "a=1", "b=3", "a="])
        #expect(decoded.queryValue("b") == "2")
        #expect(decoded.queryValue("z") == nil)
    }

    @Test func emptySegmentsAreLeftOut() throws {
        #expect(try request("/").pathSegments == [])
        #expect(try request("//a///b/").pathSegments == ["a", "b"])
        #expect(try request("/a%20b").path == "/a b")
        #expect(try request("/%41%62").path == "/Ab")
    }

    @Test func aFragmentIsIgnored() throws {
        let decoded = try request("/a?x=1#frag?y=2")
        #expect(decoded.path == "/a")
        #expect(decoded.query.map(\.name) == ["x"])
    }

    @Test(arguments: ["/%zz", "/%4", "/%", "/?a=%", "/?a=%g0", "/?%zz=1", "/a%2", "/%00", "/?a=%00", "/%C3%28", "/%FF"])
    func invalidEncodingIsRefused(target: String) {
        let error = #expect(throws: APIRefusal.self) { try request(target) }
        #expect(error?.status == 400)
        #expect(error?.detail.contains("request target") == true)
    }

    @Test(arguments: ["/a b", "/a\u{0}", "/\u{1F}", "/\u{7F}", "/ü", "relative", ""])
    func invalidTargetsAreRefused(target: String) {
        let error = #expect(throws: APIRefusal.self) { try request(target) }
        #expect(error?.status == 400)
    }
}
