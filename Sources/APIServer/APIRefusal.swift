/// An answer the server gives on its own, without calling the routes: a request it cannot parse (400), a
/// method other than GET and HEAD (405, with `Allow`), a request with a body (411, 413), a request line or
/// header section over the limit (414, 431), an unknown transfer coding (501), another HTTP version (505).
/// ``APIServer`` turns one into a response with its `refusalResponse` function, so the API gives these
/// answers the same shape as its own errors.
public struct APIRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The status code.
    public var status: Int
    /// What was wrong, for people.
    public var detail: String
    /// Fields the answer must carry, such as `Allow` for a 405; a `refusalResponse` keeps them.
    public var headers: [String: String]

    public init(status: Int, detail: String, headers: [String: String] = [:]) {
        self.status = status
        self.detail = detail
        self.headers = headers
    }

    public var description: String { "\(status): \(detail)" }

    /// The default answer: `detail` as `text/plain`, with ``headers``.
    public var textResponse: APIResponse {
        var response = APIResponse.text(status: status, body: detail + "\n")
        response.headers.merge(headers) { _, new in new }
        return response
    }
}
