import Audit
import Datasets
import Evaluation
import Foundation
import Mustache

/// The status page (`GET /status`): server-rendered HTML, no JavaScript. The requests the viewer may
/// see, with state, deadline and time left; for each finished one its certificate, the before/after
/// table and the charts the reports draw (before/after bars, the audit's relearning curves).
///
/// Who sees what follows the API: requesters their own requests, operators everything; subject
/// names only to operators and to the requester who named them.
struct StatusPage {
    /// Everything the template shows. Optional blocks are arrays of zero or one element, so the
    /// template's sections need no notion of `nil`.
    struct View {
        var generatedAt: String
        var role: String
        var tokenName: String
        var publicKey: String
        var counts: [Count]
        var models: [Model]
        var requests: [Request]
        var hasRequests: Bool
    }

    struct Count { var state: String; var count: Int }
    struct Model { var name: String; var activeVersion: Int; var versionCount: Int; var forgottenCount: Int }
    struct Metric { var name: String; var before: String; var after: String }
    struct Certificate { var link: String; var ledgerSequence: Int; var baseVersion: Int; var resultVersion: Int }
    struct Verdict { var verdict: String; var failedTests: String }

    struct Request {
        var id: String
        var shortID: String
        var model: String
        var reference: String
        var subjects: String
        var state: String
        var stateClass: String
        var activity: [String]
        var submitted: String
        var deadline: String
        var timeLeft: String
        var overdue: Bool
        var certificate: [Certificate]
        var verdict: [Verdict]
        var fallback: [String]
        var error: [String]
        var metrics: [Metric]
        var hasMetrics: Bool
        var charts: [String]
        var hasDetails: Bool
    }

    static let template: MustacheTemplate = {
        do {
            return try MustacheTemplate(string: StatusPage.templateText)
        } catch {
            preconditionFailure("the status page template does not parse: \(error)")
        }
    }()

    static func render(_ view: View) -> String { template.render(view) }

    /// The page for `token`, from the service's current state.
    static func view(service: ErasureService, token: AccessToken, now: Date = Date()) async throws -> View {
        let revealing = token.role == .operator
        let requests = try await service.database.requests(model: nil, state: nil, owner: token.role == .requester ? token.id : nil,
                                                           before: nil, limit: 200)
        let counts = try await service.database.requestCounts()
        var models: [Model] = []
        for model in try await service.database.models() {
            let versions = try await service.database.versions(of: model.name)
            models.append(Model(name: model.name, activeVersion: model.activeVersion, versionCount: versions.count,
                                forgottenCount: versions.first { $0.version == model.activeVersion }?.forgottenClasses.count ?? 0))
        }
        return View(generatedAt: Self.format(now), role: token.role.rawValue, tokenName: token.name,
                    publicKey: service.identity.publicKeyText,
                    counts: ErasureRequest.State.allCases.map { Count(state: $0.rawValue, count: counts[$0] ?? 0) },
                    models: models,
                    requests: requests.map { request(for: $0, revealing: revealing || token.role == .requester, now: now) },
                    hasRequests: !requests.isEmpty)
    }

    static func request(for request: ErasureRequest, revealing: Bool, now: Date) -> Request {
        let outcome = request.outcome
        var activity: [String] = []
        if let phase = request.phase {
            activity.append(phase + (request.progress.map { String(format: " (%.0f%%)", 100 * $0) } ?? ""))
        }
        let left = request.deadline.timeIntervalSince(now)
        let metrics = metricRows(outcome?.metrics ?? [:])
        var charts: [String] = []
        if !metrics.isEmpty, let chart = beforeAfterChart(outcome?.metrics ?? [:]) { charts.append(chart) }
        if let chart = outcome?.auditReport?.relearningChart(label: "this erasure") { charts.append(chart) }
        let certificate = request.ledgerSequence.map {
            Certificate(link: "/v1/requests/\(request.id)/certificate", ledgerSequence: $0, baseVersion: request.baseVersion ?? 0,
                        resultVersion: request.resultVersion ?? 0)
        }
        let verdict = outcome?.audit.map { Verdict(verdict: $0.verdict, failedTests: $0.failedTests.joined(separator: "; ")) }
        return Request(
            id: request.id, shortID: String(request.id.prefix(8)), model: request.model, reference: request.reference,
            subjects: revealing ? request.subjects.joined(separator: ", ")
                : "\(request.subjects.count) subject\(request.subjects.count == 1 ? "" : "s")",
            state: request.state.rawValue, stateClass: request.state.rawValue, activity: activity,
            submitted: format(request.submittedAt), deadline: format(request.deadline),
            timeLeft: request.state == .completed ? "done" : (left < 0 ? "overdue by " : "") + timeSpan(abs(left)),
            overdue: request.state != .completed && left < 0,
            certificate: certificate.map { [$0] } ?? [], verdict: verdict.map { [$0] } ?? [],
            fallback: outcome?.fallback.map { [$0] } ?? [], error: request.error.map { [$0] } ?? [],
            metrics: metrics, hasMetrics: !metrics.isEmpty, charts: charts,
            hasDetails: outcome != nil || request.error != nil)
    }

    /// The figures shown before and after, in the reports' order.
    static let metricNames = ["accuracy", "FA", "RA", "IL", "PER", "FAR", "FRR", "ERB", "MIA"]

    static func metricRows(_ metrics: [String: Double]) -> [Metric] {
        func text(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "" }
        var rows = metricNames.compactMap { name -> Metric? in
            let before = metrics["before.\(name)"], after = metrics["after.\(name)"]
            guard before != nil || after != nil else { return nil }
            return Metric(name: name, before: text(before), after: text(after))
        }
        let erasure = metrics[ErasureJob.erasureSecondsMetric]
        if let erasure {
            rows.append(Metric(name: "erasure time", before: "", after: ProgressReporter.formatDuration(erasure)))
        }
        if let retraining = metrics[ErasureJob.retrainingSecondsMetric] {
            let share = erasure.map { String(format: " (erasure: %.0f%%)", 100 * $0 / retraining) } ?? ""
            rows.append(Metric(name: "retraining (estimated)", before: "", after: ProgressReporter.formatDuration(retraining) + share))
        }
        return rows
    }

    static func beforeAfterChart(_ metrics: [String: Double]) -> String? {
        let names = ["FA", "RA", "MIA"].filter { metrics["before.\($0)"] != nil || metrics["after.\($0)"] != nil }
        guard !names.isEmpty else { return nil }
        return SVGChart.groupedBars(title: "Before and after the erasure", categories: names,
                                    series: ["before", "after"].map { when in
                                        ChartSeries(name: when, values: names.map { metrics["\(when).\($0)"] })
                                    }, yLabel: "%")
    }

    /// A span for deadlines: days and hours from a day up (`29d 23h`), else as progress lines write it.
    static func timeSpan(_ seconds: Double) -> String {
        guard seconds >= 86_400 else { return ProgressReporter.formatDuration(seconds) }
        let hours = Int(seconds / 3600)
        return "\(hours / 24)d \(hours % 24)h"
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        return formatter.string(from: date) + " UTC"
    }
}
