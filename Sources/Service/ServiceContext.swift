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

/// Finds the request's token (its SHA-256 among the stored ones) and puts it in the context: as
/// `Authorization: Bearer <token>` for the API, or as the password of HTTP Basic authentication, which
/// is how a browser sends it to the status page. A token that is sent but unknown is refused at once;
/// no token is left to the routes that need one.
struct TokenAuthentication: RouterMiddleware {
    let database: any ServiceDatabase

    func handle(_ request: Request, context: ServiceContext,
                next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            guard let presented = Self.presentedToken(header), let token = try await database.token(matching: presented) else {
                throw ProblemDetails(status: .unauthorized, detail: "the token is not one this service issued")
            }
            context.token = token
        }
        return try await next(request, context)
    }

    /// The token in an `Authorization` header: a bearer token, or a Basic password (any user name).
    static func presentedToken(_ header: String) -> String? {
        if header.hasPrefix("Bearer ") { return String(header.dropFirst(7)) }
        guard header.hasPrefix("Basic "), let decoded = Data(base64Encoded: String(header.dropFirst(6))),
              let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return nil }
        return String(text[text.index(after: colon)...])
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
