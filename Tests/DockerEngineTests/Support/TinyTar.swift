/// A minimal ustar writer and reader for the archive tests, independent of the TarArchive target.
enum TinyTar {
    /// An entry to write.
    enum Entry {
        case directory(String)
        case file(String, [UInt8])
    }

    /// A complete archive of `entries`, end marker included.
    static func archive(_ entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = []
        for entry in entries {
            switch entry {
            case .directory(let path):
                out += header(name: path.hasSuffix("/") ? path : path + "/", size: 0, mode: 0o755, type: "5")
            case .file(let path, let contents):
                out += header(name: path, size: contents.count, mode: 0o644, type: "0")
                out += contents
                out += [UInt8](repeating: 0, count: (512 - contents.count % 512) % 512)
            }
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    /// The regular files of an archive, by path; other entry types (directories, PAX headers) are skipped.
    static func files(in archive: [UInt8]) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        var offset = 0
        var paxPath: String?
        while offset + 512 <= archive.count {
            let block = Array(archive[offset..<(offset + 512)])
            if block.allSatisfy({ $0 == 0 }) {
                break
            }
            let name = string(block[0..<100])
            let prefix = string(block[345..<500])
            let sizeText = string(block[124..<136]).trimmingCharacters(in: " ")
            guard let size = Int(sizeText, radix: 8) else {
                throw TestFailure("bad tar size field '\(sizeText)'")
            }
            let type = block[156]
            let dataStart = offset + 512
            guard dataStart + size <= archive.count else {
                throw TestFailure("tar entry \(name) is truncated")
            }
            let data = Array(archive[dataStart..<(dataStart + size)])
            switch type {
            case UInt8(ascii: "x"):
                paxPath = paxRecords(data)["path"]
            case UInt8(ascii: "0"), 0:
                files[paxPath ?? (prefix.isEmpty ? name : prefix + "/" + name)] = data
                paxPath = nil
            default:
                paxPath = nil
            }
            offset = dataStart + (size + 511) / 512 * 512
        }
        return files
    }

    private static func header(name: String, size: Int, mode: Int, type: Character) -> [UInt8] {
        precondition(name.utf8.count < 100, "TinyTar only writes short names")
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (index, byte) in text.utf8.enumerated() {
                block[offset + index] = byte
            }
        }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: width - 1 - digits.count) + digits
        }
        put(name, at: 0)
        put(octal(mode, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(size, width: 12), at: 124)
        put(octal(1_700_000_000, width: 12), at: 136)
        put("        ", at: 148)
        block[156] = type.asciiValue!
        put("ustar\u{0}00", at: 257)
        put("root", at: 265)
        put("root", at: 297)
        let checksum = block.reduce(0) { $0 + Int($1) }
        put(octal(checksum, width: 7), at: 148)
        block[154] = 0
        block[155] = UInt8(ascii: " ")
        return block
    }

    private static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func paxRecords(_ data: [UInt8]) -> [String: String] {
        var records: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let space = line.firstIndex(of: " "), let equals = line.firstIndex(of: "=") else {
                continue
            }
            records[String(line[line.index(after: space)..<equals])] = String(line[line.index(after: equals)...])
        }
        return records
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) {
            slice = slice.dropFirst()
        }
        while let last = slice.last, set.contains(last) {
            slice = slice.dropLast()
        }
        return String(slice)
    }
}
