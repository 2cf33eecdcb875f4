/// One 512-byte tar header block: the ustar fields this package reads and writes, and their encoding.
///
/// Layout (POSIX ustar): name[100] mode[8] uid[8] gid[8] size[12] mtime[12] chksum[8] typeflag[1]
/// linkname[100] magic[6] version[2] uname[32] gname[32] devmajor[8] devminor[8] prefix[155].
struct TarHeader: Equatable, Sendable {
    /// Size of a tar block.
    static let blockSize = 512

    /// Typeflags this package knows by name.
    enum TypeFlag {
        static let regular = UInt8(ascii: "0")
        static let regularOld: UInt8 = 0
        static let hardLink = UInt8(ascii: "1")
        static let symbolicLink = UInt8(ascii: "2")
        static let characterDevice = UInt8(ascii: "3")
        static let blockDevice = UInt8(ascii: "4")
        static let directory = UInt8(ascii: "5")
        static let fifo = UInt8(ascii: "6")
        static let contiguous = UInt8(ascii: "7")
        static let paxExtended = UInt8(ascii: "x")
        static let paxGlobal = UInt8(ascii: "g")
        static let gnuLongName = UInt8(ascii: "L")
        static let gnuLongLink = UInt8(ascii: "K")
    }

    /// Which magic the block carried; only POSIX ustar gives meaning to the `prefix` field.
    enum Format: Equatable, Sendable {
        case ustar
        case gnu
        case v7
    }

    /// The full name: `prefix/name` for ustar blocks, `name` otherwise.
    var name: String
    var mode: UInt32
    var uid: UInt64
    var gid: UInt64
    var size: UInt64
    var mtime: UInt64
    var typeflag: UInt8
    var linkname: String
    var format: Format = .ustar

    init(
        name: String,
        mode: UInt32,
        uid: UInt64 = 0,
        gid: UInt64 = 0,
        size: UInt64 = 0,
        mtime: UInt64 = 0,
        typeflag: UInt8,
        linkname: String = "",
        format: Format = .ustar
    ) {
        self.name = name
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.mtime = mtime
        self.typeflag = typeflag
        self.linkname = linkname
        self.format = format
    }

    // MARK: Encoding

    /// The ustar block for this header. Names longer than their field are cut (the caller adds a PAX record);
    /// numbers too large for octal are written in GNU base-256.
    func encode() -> [UInt8] {
        var block = [UInt8](repeating: 0, count: TarHeader.blockSize)
        TarHeader.put(Array(name.utf8), into: &block, at: 0, width: 100)
        TarHeader.putNumber(UInt64(mode & 0o7777), into: &block, at: 100, width: 8)
        TarHeader.putNumber(uid, into: &block, at: 108, width: 8)
        TarHeader.putNumber(gid, into: &block, at: 116, width: 8)
        TarHeader.putNumber(size, into: &block, at: 124, width: 12)
        TarHeader.putNumber(mtime, into: &block, at: 136, width: 12)
        block[156] = typeflag
        TarHeader.put(Array(linkname.utf8), into: &block, at: 157, width: 100)
        TarHeader.put(Array("ustar".utf8) + [0], into: &block, at: 257, width: 6)
        TarHeader.put(Array("00".utf8), into: &block, at: 263, width: 2)
        TarHeader.putNumber(0, into: &block, at: 329, width: 8)
        TarHeader.putNumber(0, into: &block, at: 337, width: 8)
        // Checksum: sum of all bytes with the checksum field read as spaces; six octal digits, NUL, space.
        for index in 148..<156 { block[index] = UInt8(ascii: " ") }
        let sum = block.reduce(0) { $0 + Int($1) }
        let digits = Array(String(sum, radix: 8).utf8)
        let padded = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, 6 - digits.count)) + digits
        TarHeader.put(padded + [0, UInt8(ascii: " ")], into: &block, at: 148, width: 8)
        return block
    }

    /// Copies `bytes` into a field, cut to `width` (never splitting a UTF-8 sequence), NUL-padded.
    static func put(_ bytes: [UInt8], into block: inout [UInt8], at offset: Int, width: Int) {
        let cut = truncatedUTF8(bytes, maxBytes: width)
        for (index, byte) in cut.enumerated() { block[offset + index] = byte }
    }

    /// The longest prefix of `bytes` no longer than `maxBytes` that does not end inside a UTF-8 sequence.
    static func truncatedUTF8(_ bytes: [UInt8], maxBytes: Int) -> [UInt8] {
        guard bytes.count > maxBytes else { return bytes }
        var end = maxBytes
        // Back off over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
        while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return Array(bytes[..<end])
    }

    /// Writes `value` as zero-padded octal with a NUL terminator, or GNU base-256 when it does not fit.
    static func putNumber(_ value: UInt64, into block: inout [UInt8], at offset: Int, width: Int) {
        let digits = Array(String(value, radix: 8).utf8)
        if digits.count <= width - 1 {
            let padded = [UInt8](repeating: UInt8(ascii: "0"), count: width - 1 - digits.count) + digits
            put(padded + [0], into: &block, at: offset, width: width)
        } else {
            // Base-256: high bit of the first byte set, the value big-endian in the remaining bytes.
            var remaining = value
            for index in stride(from: offset + width - 1, to: offset, by: -1) {
                block[index] = UInt8(truncatingIfNeeded: remaining)
                remaining >>= 8
            }
            block[offset] = 0x80
        }
    }

    /// The largest value a 12-byte octal field holds (8 GiB − 1).
    static let maxOctalSize: UInt64 = 0o77777777777

    // MARK: Decoding

    /// Whether a block is all zeros (half of the end-of-archive marker).
    static func isZeroBlock(_ block: some Collection<UInt8>) -> Bool {
        block.allSatisfy { $0 == 0 }
    }

    /// Parses and checksum-verifies a 512-byte block.
    static func decode(_ block: [UInt8]) throws(TarError) -> TarHeader {
        precondition(block.count == blockSize)
        let rawName = cString(block, at: 0, width: 100)
        let nameForErrors = String(decoding: rawName, as: UTF8.self)

        let stored = try parseNumber(block, at: 148, width: 8, field: "checksum", entry: nameForErrors)
        var unsigned = 0
        var signed = 0
        for (index, byte) in block.enumerated() {
            let value = (148..<156).contains(index) ? UInt8(ascii: " ") : byte
            unsigned += Int(value)
            signed += Int(Int8(bitPattern: value))
        }
        guard stored == UInt64(unsigned) || Int64(signed) == Int64(truncatingIfNeeded: stored) else {
            throw .corrupt("bad header checksum for entry '\(nameForErrors)' (stored \(stored), computed \(unsigned))")
        }

        let magic = Array(block[257..<263])
        let version = Array(block[263..<265])
        let format: Format
        if magic == Array("ustar".utf8) + [0] {
            format = .ustar
        } else if magic == Array("ustar ".utf8) && version == [UInt8(ascii: " "), 0] {
            format = .gnu
        } else {
            format = .v7
        }

        var nameBytes = rawName
        if format == .ustar {
            let prefix = cString(block, at: 345, width: 155)
            if !prefix.isEmpty { nameBytes = prefix + [UInt8(ascii: "/")] + rawName }
        }
        let name = String(decoding: nameBytes, as: UTF8.self)

        return TarHeader(
            name: name,
            mode: UInt32(truncatingIfNeeded: try parseNumber(block, at: 100, width: 8, field: "mode", entry: name)),
            uid: try parseNumber(block, at: 108, width: 8, field: "uid", entry: name),
            gid: try parseNumber(block, at: 116, width: 8, field: "gid", entry: name),
            size: try parseNumber(block, at: 124, width: 12, field: "size", entry: name),
            mtime: try parseNumber(block, at: 136, width: 12, field: "mtime", entry: name),
            typeflag: block[156],
            linkname: String(decoding: cString(block, at: 157, width: 100), as: UTF8.self),
            format: format
        )
    }

    /// The bytes of a field up to its first NUL.
    static func cString(_ block: [UInt8], at offset: Int, width: Int) -> [UInt8] {
        let field = block[offset..<(offset + width)]
        if let end = field.firstIndex(of: 0) { return Array(field[..<end]) }
        return Array(field)
    }

    /// Reads an octal field (leading spaces, digits, then NUL or space) or a GNU base-256 field.
    static func parseNumber(
        _ block: [UInt8],
        at offset: Int,
        width: Int,
        field: String,
        entry: String
    ) throws(TarError) -> UInt64 {
        let bytes = block[offset..<(offset + width)]
        if let first = bytes.first, first & 0x80 != 0 {
            // Base-256. 0xff marks a negative number, which no field here may hold.
            guard first == 0x80 else {
                throw .corrupt("negative or oversized base-256 \(field) field in entry '\(entry)'")
            }
            var value: UInt64 = 0
            for byte in bytes.dropFirst() {
                guard value >> 56 == 0 else {
                    throw .corrupt("base-256 \(field) field overflows in entry '\(entry)'")
                }
                value = value << 8 | UInt64(byte)
            }
            return value
        }
        var value: UInt64 = 0
        var index = bytes.startIndex
        while index < bytes.endIndex && bytes[index] == UInt8(ascii: " ") { index += 1 }
        while index < bytes.endIndex, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "7") {
            guard value >> 61 == 0 else { throw .corrupt("octal \(field) field overflows in entry '\(entry)'") }
            value = value << 3 | UInt64(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        // What follows the digits may only be NUL or space terminators.
        while index < bytes.endIndex {
            guard bytes[index] == 0 || bytes[index] == UInt8(ascii: " ") else {
                throw .corrupt("invalid \(field) field in entry '\(entry)'")
            }
            index += 1
        }
        return value
    }

    // MARK: PAX records

    /// Encodes one PAX extended-header record: `"<length> <key>=<value>\n"`, the length counting itself.
    static func paxRecord(key: String, value: String) -> [UInt8] {
        let body = Array(" \(key)=\(value)\n".utf8)
        var length = body.count + 1
        while String(length).utf8.count + body.count != length {
            length = String(length).utf8.count + body.count
        }
        return Array(String(length).utf8) + body
    }

    /// Parses the data of a PAX extended header into its key/value records (later records win).
    static func parsePAXRecords(_ data: [UInt8], entry: String) throws(TarError) -> [String: String] {
        var records: [String: String] = [:]
        var index = 0
        while index < data.count {
            // Tolerate trailing NUL padding some writers leave after the last record.
            if data[index...].allSatisfy({ $0 == 0 }) { break }
            var length = 0
            var cursor = index
            while cursor < data.count, data[cursor] >= UInt8(ascii: "0"), data[cursor] <= UInt8(ascii: "9") {
                length = length * 10 + Int(data[cursor] - UInt8(ascii: "0"))
                guard length <= data.count else { throw .corrupt("PAX record length too large in '\(entry)'") }
                cursor += 1
            }
            guard cursor > index, cursor < data.count, data[cursor] == UInt8(ascii: " "),
                length > cursor - index + 1, index + length <= data.count,
                data[index + length - 1] == UInt8(ascii: "\n")
            else {
                throw .corrupt("malformed PAX record in '\(entry)'")
            }
            let record = data[(cursor + 1)..<(index + length - 1)]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")), equals > record.startIndex else {
                throw .corrupt("PAX record without a key in '\(entry)'")
            }
            let key = String(decoding: record[..<equals], as: UTF8.self)
            let value = String(decoding: record[(equals + 1)...], as: UTF8.self)
            records[key] = value
            index += length
        }
        return records
    }
}
