import CosmosAPI
import CosmosDomain
import Foundation
import HummingbirdTesting
import NIOCore
import Testing

@testable import CosmosDaemon

/// `GET /v1/jobs` in process: the streamed answer in both formats, its filters, and their refusals.
@Suite("Job list API")
struct JobListAPITests {
    /// Submits `count` jobs through the API; returns their ids in order.
    func submit(_ client: some TestClientProtocol, _ count: Int) async throws -> [String] {
        let specs = (0..<count).map { #"{"image": "img", "command": ["true"], "name": "n\#($0)"}"# }
        let body = #"{"jobs": ["# + specs.joined(separator: ",") + "]}"
        return try await client.execute(uri: APIPath.jobs, method: .post, body: ByteBuffer(string: body)) {
            try JSONDecoder().decode(JobsResponse.self, from: Data(buffer: $0.body)).jobs.map(\.id)
        }
    }

    @Test("jsonl is one job a line in queue order; json is the same jobs in {\"jobs\": [...]}")
    func formats() async throws {
        try await ControlAPITests().withAPI { client in
            let ids = try await submit(client, 1200)
            let lines = try await client.execute(uri: APIPath.jobs + "?format=jsonl", method: .get) { response in
                #expect(response.headers[.contentType] == "application/x-ndjson")
                return String(buffer: response.body).split(separator: "\n")
            }
            let jobs = try lines.map { try JSONDecoder().decode(JobView.self, from: Data($0.utf8)) }
            #expect(jobs.map(\.id) == ids)
            #expect(jobs.map(\.position) == (1...1200).map { $0 })
            let whole = try await client.execute(uri: APIPath.jobs, method: .get) {
                try JSONDecoder().decode(JobsResponse.self, from: Data(buffer: $0.body)).jobs
            }
            #expect(whole == jobs)
            let limited = try await client.execute(uri: APIPath.jobs + "?format=jsonl&limit=3", method: .get) {
                String(buffer: $0.body).split(separator: "\n").count
            }
            #expect(limited == 3)
        }
    }

    @Test("a bad filter is 400 and names it; an empty result is an empty array")
    func refusals() async throws {
        try await ControlAPITests().withAPI { client in
            for (query, field) in [
                ("state=sleeping", "state"), ("owner=no-such-user-here", "owner"), ("batch=x", "batch"),
                ("since=yesterday", "since"), ("format=xml", "format"), ("limit=-1", "limit"),
            ] {
                try await client.execute(uri: APIPath.jobs + "?" + query, method: .get) { response in
                    #expect(response.status == .badRequest, "\(query)")
                    #expect(String(buffer: response.body).contains("\(field)"), "\(query)")
                }
            }
            try await client.execute(uri: APIPath.jobs + "?state=running", method: .get) { response in
                #expect(String(buffer: response.body) == #"{"jobs":[]}"#)
            }
        }
    }
}
