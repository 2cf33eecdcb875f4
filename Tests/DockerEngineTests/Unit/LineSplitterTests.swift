import DockerEngine
import Testing

@Suite("LineSplitter")
struct LineSplitterTests {
    @Test("lines split across chunks are reassembled", arguments: [1, 2, 5, 100])
    func reassembles(pieceSize: Int) {
        let input = Array("{\"a\":1}\n{\"b\":2}\r\n\n{\"c\":3}".utf8)
        var splitter = LineSplitter()
        var lines: [String] = []
        var offset = 0
        while offset < input.count {
            let end = min(offset + pieceSize, input.count)
            splitter.append(input[offset..<end])
            offset = end
            while let line = splitter.next() {
                lines.append(String(decoding: line, as: UTF8.self))
            }
        }
        #expect(lines == ["{\"a\":1}", "{\"b\":2}", ""])
        #expect(splitter.finish().map { String(decoding: $0, as: UTF8.self) } == "{\"c\":3}")
        #expect(splitter.finish() == nil)
    }

    @Test("an over-long line comes in pieces")
    func overLong() {
        var splitter = LineSplitter(maximumLineLength: 4)
        splitter.append(Array("abcdefghij\nk\n".utf8))
        var lines: [String] = []
        while let line = splitter.next() {
            lines.append(String(decoding: line, as: UTF8.self))
        }
        #expect(lines == ["abcd", "efgh", "ij", "k"])
    }
}
