import CosmosDomain
import Testing

@Suite("Queue keys")
struct QueueKeyTests {
    @Test("a key lands strictly between its neighbours")
    func between() {
        #expect(QueueKey.between(nil, nil) == 0)
        #expect(QueueKey.between(10, nil) == 10 + QueueKey.gap)
        #expect(QueueKey.between(nil, 10) == 10 - QueueKey.gap)
        #expect(QueueKey.between(0, 10) == 5)
        #expect(QueueKey.between(4, 6) == 5)
        #expect(QueueKey.between(4, 5) == nil)
        #expect(QueueKey.between(Int64.max - 1, nil) == nil)
    }

    @Test("bisecting one gap works about log2(gap) times before a respace is needed")
    func bisectionDepth() {
        var upper: Int64 = QueueKey.gap
        var count = 0
        while let key = QueueKey.between(0, upper) {
            upper = key
            count += 1
        }
        #expect(count == 20)
    }

    @Test("respacing spreads keys evenly, or says the window is too dense")
    func respace() {
        let keys = QueueKey.respace(count: 3, lower: 0, upper: 1000)
        #expect(keys == [250, 500, 750])
        #expect(QueueKey.respace(count: 10, lower: 0, upper: 100) == nil)
        let open = QueueKey.respace(count: 3, lower: nil, upper: 0)
        #expect(open == [-3 * QueueKey.gap, -2 * QueueKey.gap, -QueueKey.gap])
    }
}
