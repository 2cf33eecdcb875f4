import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation
import Hummingbird
import NIOFoundationCompat

/// The control API: the error middleware and one controller per resource, over the commands and queries.
struct ControlAPI: Sendable {
    let commands: Commands
    let queries: Queries
    let events: EventStreamer

    /// Adds every `/v1` route to `router`.
    func register<Context: ControlContext>(on router: Router<Context>) {
        router.add(middleware: APIErrorMiddleware())
        QueueController(commands: commands, queries: queries).register(on: router)
        JobsController(commands: commands, queries: queries).register(on: router)
        BatchesController(commands: commands, queries: queries).register(on: router)
        HostsController(commands: commands, queries: queries).register(on: router)
        SmartBatchController(commands: commands, queries: queries).register(on: router)
        EventsController(streamer: events, access: commands.access).register(on: router)
        MaintenanceController(commands: commands).register(on: router)
        UsageController(queries: queries).register(on: router)
    }
}

/// The parts of a request the controllers read: the `:id` and `:name` parameters, and JSON bodies.
enum RequestParts {
    /// The `:id` of a job route; a malformed id is simply not found.
    static func jobID(_ context: some RequestContext) throws -> String {
        let id = context.parameters.get("id") ?? ""
        guard JobID.isWellFormed(id) else { throw StoreError.jobNotFound(id) }
        return id
    }

    /// The `:id` of a batch route.
    static func batchID(_ context: some RequestContext) throws -> String {
        let id = context.parameters.get("id") ?? ""
        guard JobID.isWellFormed(id) else { throw StoreError.batchNotFound(id) }
        return id
    }

    /// The body as a JSON object, read up to the upload limit; `shape` describes what was expected.
    static func object(_ request: Request, context: some ControlContext, shape: String) async throws
        -> [String: JSONValue]
    {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard case .object(let object) = try JSONValue.parse(Data(buffer: body)) else {
            throw SpecError(field: "jobs", reason: "expected \(shape)")
        }
        return object
    }

    /// The body decoded as `type`, or nil when it is empty (every field has a default).
    static func decodeOptional<Body: Decodable>(_ type: Body.Type, _ request: Request, context: some ControlContext)
        async throws -> Body?
    {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard body.readableBytes > 0 else { return nil }
        do {
            return try JSONDecoder().decode(type, from: Data(buffer: body))
        } catch DecodingError.typeMismatch(_, let mismatch) {
            let field = mismatch.codingPath.map(\.stringValue).joined(separator: ".")
            throw InvalidRequest(field: field.isEmpty ? "body" : field, reason: "has the wrong type")
        } catch {
            throw InvalidRequest(field: "body", reason: "is not the expected JSON object")
        }
    }

    /// The `jobs` array of a submit-like body.
    static func jobs(_ object: [String: JSONValue], shape: String) throws -> [JSONValue] {
        guard case .array(let items)? = object["jobs"] else {
            throw SpecError(field: "jobs", reason: "expected \(shape)")
        }
        return items
    }
}
