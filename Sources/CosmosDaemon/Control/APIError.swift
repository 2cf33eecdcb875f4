import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1

/// An error the control API answers with: a status and `{"error": {"code", "message"}}`.
struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    let status: HTTPResponse.Status
    let code: String
    let message: String

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    var description: String { "\(code): \(message)" }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONEncoder().encode(ErrorResponse(code: code, message: message))
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Maps any error thrown by a handler to the API's error shape.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as InvalidRequest:
            return APIError(.badRequest, "invalid_request", error.description)
        case let error as AccessDenied:
            return APIError(.forbidden, "forbidden", error.message)
        case let error as SpecError:
            return APIError(.badRequest, "invalid_spec", error.description)
        case let error as StoreError:
            switch error {
            case .jobNotFound, .batchNotFound: return APIError(.notFound, "not_found", error.description)
            case .batchNotFinished, .batchRunRetry: return APIError(.conflict, "invalid_state", error.description)
            case .illegalTransition: return APIError(.conflict, "invalid_state", error.description)
            case .notInQueue, .differentPriority, .moveRelativeToItself:
                return APIError(.conflict, "invalid_move", error.description)
            case .invalidPosition: return APIError(.badRequest, "invalid_request", error.description)
            case .backupFailed: return APIError(.internalServerError, "backup_failed", error.description)
            case .unknownDependency, .brokenDependency, .dependencyChainTooDeep:
                return APIError(.badRequest, "invalid_spec", error.description)
            case .retryWithBrokenDependency, .enhanceSourceRefused, .enhanceItemRetry:
                return APIError(.conflict, "invalid_state", error.description)
            }
        case let error as SmartBatchError:
            switch error {
            case .notPaused: return APIError(.conflict, "not_paused", error.description)
            case .noAnalysis, .noExecutedPlan: return APIError(.notFound, "no_analysis", error.description)
            case .stale: return APIError(.conflict, "stale_analysis", error.description)
            }
        case let error as HTTPParserError:
            // A body that breaks off or has bad chunk framing is the client's fault, not a server fault.
            return APIError(.badRequest, "bad_request", "the request is malformed: \(error)")
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, "body_too_large", "request body is larger than the 16 MiB limit")
        case let error as HTTPError where error.status == .contentTooLarge:
            return APIError(.contentTooLarge, "body_too_large", "request body is larger than the 16 MiB limit")
        case let error as HTTPError:
            return APIError(error.status, "http_error", error.body ?? error.status.reasonPhrase)
        default:
            return APIError(.internalServerError, "internal", "\(error)")
        }
    }
}

/// Turns every error a route throws into the API's JSON error shape, and logs server faults.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError.from(error)
            if apiError.status.code >= 500 {
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            }
            return try apiError.response(from: request, context: context)
        }
    }
}
