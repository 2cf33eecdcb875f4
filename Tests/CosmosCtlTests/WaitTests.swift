import Testing

@testable import CosmosCtl

/// `wait` reads again only the jobs a stream message names.
@Suite("Wait: the jobs a message names")
struct WaitTests {
    func message(_ data: String, event: String = "job.started") -> ServerSentEvents.Message {
        ServerSentEvents.Message(id: "7", event: event, data: data)
    }

    @Test("a lone event names its job")
    func loneEvent() {
        let ids = Wait.jobIDs(in: message(#"{"seq":7,"type":"job.succeeded","job_id":"abc","batch_id":null}"#))
        #expect(ids == ["abc"])
    }

    @Test("an aggregate names every job of its run")
    func aggregate() {
        let data = #"{"type":"job.started","count":2,"job_ids":["a","b"],"events":[]}"#
        #expect(Wait.jobIDs(in: message(data, event: "jobs.started")) == ["a", "b"])
    }

    @Test("a resync or a queue event names none, so every waited-for job is read again")
    func namesNone() {
        #expect(Wait.jobIDs(in: message(#"{"reason":"pruned","resume_after":9}"#, event: "resync")).isEmpty)
        #expect(Wait.jobIDs(in: message(#"{"type":"queue.paused","job_id":null}"#, event: "queue.paused")).isEmpty)
        #expect(Wait.jobIDs(in: message("not json")).isEmpty)
    }
}
