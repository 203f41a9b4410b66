import Foundation
import Hummingbird
import Training

/// An error answered as RFC 9457 problem details: `application/problem+json` with the status, a title
/// and a detail that says what to change.
public struct ProblemDetails: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var detail: String

    /// The JSON an API client receives.
    public struct Body: Codable, Sendable, Equatable {
        public var type: String
        public var title: String
        public var status: Int
        public var detail: String
    }

    public init(status: HTTPResponse.Status, detail: String) {
        self.status = status
        self.detail = detail
    }

    public var body: Body { Body(type: "about:blank", title: status.reasonPhrase, status: status.code, detail: detail) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(body))))
    }

    /// `error` as the problem an API client is told.
    init(_ error: any Error) {
        switch error {
        case let problem as ProblemDetails: self = problem
        case let error as ServiceError:
            switch error {
            case .notFound: self.init(status: .notFound, detail: error.description)
            case .conflict: self.init(status: .conflict, detail: error.description)
            case .invalidRequest: self.init(status: .unprocessableContent, detail: error.description)
            default: self.init(status: .internalServerError, detail: error.description)
            }
        case let error as DecodingError: self.init(status: .badRequest, detail: "malformed JSON: \(Self.describe(error))")
        case let error as ConfigurationError: self.init(status: .unprocessableContent, detail: error.description)
        case let error as any HTTPResponseError:
            self.init(status: error.status, detail: error.status == .contentTooLarge
                      ? "the request body is larger than this service accepts" : error.status.reasonPhrase)
        default: self.init(status: .internalServerError, detail: "\(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.isEmpty ? "" : " at " + context.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(key, context): return "missing field \(key.stringValue)\(path(context))"
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            return context.debugDescription + path(context)
        @unknown default: return "\(error)"
        }
    }
}

/// Turns every error a route throws into ``ProblemDetails``, so no client ever sees a bare 500 page.
struct ProblemResponses: RouterMiddleware {
    func handle(_ request: Request, context: ServiceContext,
                next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            throw ProblemDetails(error)
        }
    }
}
