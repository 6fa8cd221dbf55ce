import JetStreamMapping
import TestSupport
import Testing

@Suite struct SubjectTokenTests {
    static let examples: [(tag: String?, token: String)] = [
        (nil, "_"),
        ("", "%"),
        ("_", "%5F"),
        ("__", "__"),
        ("a_b", "a_b"),
        ("connect", "connect"),
        ("tcpclean", "tcpclean"),
        ("a.b", "a%2Eb"),
        ("50%", "50%25"),
        ("a b", "a%20b"),
        ("*", "%2A"),
        (">", "%3E"),
        ("x\ty", "x%09y"),
        ("\r\n", "%0D%0A"),
        ("\u{7F}", "%7F"),
        ("ü", "%C3%BC"),
        ("😀", "%F0%9F%98%80"),
        ("$SYS", "$SYS"),
        ("a|b-c~!", "a|b-c~!"),
        ("%41", "%2541"),
    ]

    @Test(arguments: examples)
    func escapesAsDocumented(tag: String?, token: String) throws {
        #expect(SubjectToken.escape(tag) == token)
        #expect(try SubjectToken.unescape(token) == tag)
    }

    static let malformed: [(token: String, message: String)] = [
        ("", "subject token '' is not an escaped tag: it is empty"),
        ("a%", "subject token 'a%' is not an escaped tag: '%' at offset 1 must be followed by two uppercase hex digits"),
        ("%4", "subject token '%4' is not an escaped tag: '%' at offset 0 must be followed by two uppercase hex digits"),
        ("%2e", "subject token '%2e' is not an escaped tag: '%' at offset 0 must be followed by two uppercase hex digits"),
        ("%%", "subject token '%%' is not an escaped tag: '%' at offset 0 must be followed by two uppercase hex digits"),
        ("a b", "subject token 'a b' is not an escaped tag: byte 0x20 at offset 1 must be written as %XX"),
        ("a*", "subject token 'a*' is not an escaped tag: byte 0x2A at offset 1 must be written as %XX"),
        ("ü", "subject token 'ü' is not an escaped tag: byte 0xC3 at offset 0 must be written as %XX"),
        ("%C3", "subject token '%C3' is not an escaped tag: its escapes do not form UTF-8 text"),
        ("%FF%FE", "subject token '%FF%FE' is not an escaped tag: its escapes do not form UTF-8 text"),
    ]

    @Test(arguments: malformed)
    func refusesWhatEscapeCannotProduce(token: String, message: String) {
        #expect(throws: JetStreamMappingError(.malformedToken, message)) { try SubjectToken.unescape(token) }
    }

    @Test func acceptsUnnecessaryEscapes() throws {
        #expect(try SubjectToken.unescape("%41%5F") == "A_")
        #expect(try SubjectToken.unescape("%5F%5F") == "__")
    }

    /// Random strings from a mix of ASCII (with the characters that need escaping), control characters,
    /// two-, three- and four-byte characters.
    static func randomTag(_ random: inout SplitMix64) -> String? {
        switch random.next() % 20 {
        case 0: return nil
        case 1: return ""
        case 2: return "_"
        default: break
        }
        let alphabet: [Unicode.Scalar] = ["a", "Z", "0", "_", "%", ".", "*", ">", " ", "\t", "\r", "\n", "\0", "\u{7F}", "$", "-", "|", "é", "€", "😀", "\u{2028}", "\u{FEFF}"]
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int(random.next() % 12) {
            if random.next() % 3 == 0, let scalar = Unicode.Scalar(UInt32(random.next() % 0x11_0000)) {
                scalars.append(scalar)
            } else {
                scalars.append(alphabet[Int(random.next() % UInt64(alphabet.count))])
            }
        }
        return String(scalars)
    }

    @Test func unescapeUndoesEscapeForRandomStrings() throws {
        let seed: UInt64 = 0x5EED_0001
        var random = SplitMix64(seed: seed)
        for _ in 0..<20_000 {
            let tag = Self.randomTag(&random)
            let token = SubjectToken.escape(tag)
            #expect(SubjectToken.isValidToken(Substring(token)), "seed \(seed): '\(token)'")
            #expect(try SubjectToken.unescape(token) == tag, "seed \(seed): '\(token)'")
        }
    }

    @Test func escapeOutputIsCanonical() throws {
        // Tokens that unescape are re-escaped to themselves unless they escape a byte needlessly.
        for token in ["a%2Eb", "%", "_", "%5F", "x%20y%25"] {
            #expect(SubjectToken.escape(try SubjectToken.unescape(token)) == token)
        }
    }
}
