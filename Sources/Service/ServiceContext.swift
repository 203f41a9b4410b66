import Foundation
import Hummingbird

/// Each HTTP request's context: Hummingbird's own, and the token that authenticated it.
public struct ServiceContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The bearer token's stored record, set by ``TokenAuthentication`` when the request carried a valid one.
    public var token: AccessToken?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// The token, when its role is one of `roles`.
    ///
    /// - Throws: ``ProblemDetails`` 401 without a (valid) token, 403 with a token of another role.
    public func require(_ roles: AccessToken.Role...) throws -> AccessToken {
        guard let token else {
            throw ProblemDetails(status: .unauthorized, detail: "send `Authorization: Bearer <token>` (`qpae serve token create`)")
        }
        guard roles.contains(token.role) else {
            throw ProblemDetails(status: .forbidden, detail: "a \(token.role.rawValue) token may not do this; it needs "
                                 + roles.map(\.rawValue).joined(separator: " or "))
        }
        return token
    }
}

/// Finds the request's bearer token (its SHA-256 among the stored ones) and puts it in the context.
/// A token that is sent but unknown is refused at once; no token is left to the routes that need one.
struct TokenAuthentication: RouterMiddleware {
    let database: ServiceDatabase

    func handle(_ request: Request, context: ServiceContext,
                next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer "), let token = try database.token(matching: String(header.dropFirst(7))) else {
                throw ProblemDetails(status: .unauthorized, detail: "the bearer token is not one this service issued")
            }
            context.token = token
        }
        return try await next(request, context)
    }
}

/// Times every answer for `/metrics` by method, route pattern and status.
struct LatencyRecording: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: ServiceContext,
                next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        func record(_ status: Int) {
            metrics.recordHTTP(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: status,
                               seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        do {
            let response = try await next(request, context)
            record(response.status.code)
            return response
        } catch let error as any HTTPResponseError {
            record(error.status.code)
            throw error
        }
    }
}
