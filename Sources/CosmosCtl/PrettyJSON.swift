/// Re-indents compact JSON the way `JSONEncoder`'s `.prettyPrinted` writes it, without decoding it.
///
/// `list --json` prints each job the daemon streams (compact, keys sorted) inside one array; going through
/// `JSONDecoder` and `JSONEncoder` for that cost more than everything else in a long list.
enum PrettyJSON {
    /// `compact` laid out with two-space indents, `"key" : value`, starting at `level`; strings are copied as
    /// they are (escapes included).
    static func format(_ compact: [UInt8], level: Int = 0) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(compact.count * 2)
        var depth = level
        var inString = false
        var escaped = false
        var index = 0
        func newline() {
            out.append(UInt8(ascii: "\n"))
            for _ in 0..<depth { out.append(contentsOf: [0x20, 0x20]) }
        }
        while index < compact.count {
            let byte = compact[index]
            if inString {
                out.append(byte)
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                out.append(byte)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                out.append(byte)
                depth += 1
                let next = index + 1 < compact.count ? compact[index + 1] : 0
                if next == UInt8(ascii: "}") || next == UInt8(ascii: "]") {
                    // An empty collection: JSONEncoder writes its opening and closing on lines of their own.
                    out.append(UInt8(ascii: "\n"))
                    depth -= 1
                    newline()
                    out.append(next)
                    index += 2
                    continue
                }
                newline()
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                newline()
                out.append(byte)
            case UInt8(ascii: ","):
                out.append(byte)
                newline()
            case UInt8(ascii: ":"):
                out.append(contentsOf: [0x20, UInt8(ascii: ":"), 0x20])
            default:
                out.append(byte)
            }
            index += 1
        }
        return out
    }
}
