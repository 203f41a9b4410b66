import Datasets
import Foundation
import Training
import Unlearning

/// One erasure request carried out and measured: the model before and after, and what the method did.
public struct ForgetOutcome {
    /// The model after unlearning, with the request added to its metadata (``TrainedModel/forgottenClasses``).
    public var model: TrainedModel
    /// The request's classes, by name.
    public var requestClasses: [String]
    /// Classes forgotten by earlier requests, by name (their data was not used).
    public var earlierForgottenClasses: [String]
    public var before: ModelEvaluation
    public var after: ModelEvaluation
    public var run: UnlearningRun
}

/// Forgets the classes `request` (indices into `data.classes`) from `trained` with `method`, measuring
/// the model on `data`'s test split before and after (the "before" model is the one PER is measured against).
///
/// The method sees `data`'s training examples minus those of classes `trained` forgot in earlier
/// requests (that data is deleted). `trained.model` is changed in place; the returned model carries the
/// updated metadata.
///
/// - Parameters:
///   - before: the model's evaluation for this request when already computed (an experiment runs many
///     methods from one original); computed here otherwise.
///   - observer: told of the method's steps and epochs.
/// - Throws: ``ExperimentError`` for data that does not fit the model; ``UnlearningError`` for a
///   request that cannot be carried out (every class, a class forgotten before, a class without
///   training examples); ``ConfigurationError`` for a setting out of range; `TrainingError` for a
///   diverging loss.
public func forgetClasses(_ request: [Int], in trained: TrainedModel, data: PreparedData,
                          method: any UnlearningMethod, seed: UInt64, before: ModelEvaluation? = nil,
                          observer: TrainingObserver = .silent) throws -> ForgetOutcome {
    try trained.checkCompatible(with: data)
    let earlier = try data.classIndices(named: trained.forgottenClasses)
    let kept = data.train.indices(excludingClasses: Set(earlier))
    let task = try UnlearningTask(classNames: data.classes, forgetClasses: request, previouslyForgottenClasses: earlier,
                                  features: data.train.features.subset(kept), labels: kept.map { data.train.labels[$0] },
                                  statistics: trained.statistics, seed: seed,
                                  makeModel: trained.modelFactory(seed: seed &+ 0x5EED), recipe: trained.recipe)
    let before = try before
        ?? evaluateModel(trained, on: data, forgetClasses: request, earlierForgottenClasses: earlier, seed: seed)
    let run = try method.unlearn(trained.model, task: task, observer: observer)
    let names = request.map { data.classes[$0] }
    var after = trained
    after.file = nil                                   // changed in memory: no longer what the file holds
    after.forgottenClasses += names
    after.appendToHistory(UnlearningRecord(classes: names, method: run.method, settings: run.settings, seed: seed,
                                           seconds: run.seconds))
    let evaluation = try evaluateModel(after, on: data, forgetClasses: request, earlierForgottenClasses: earlier,
                                       forgetAccuracyBefore: before.forget?.forgetAccuracy, seed: seed)
    return ForgetOutcome(model: after, requestClasses: names, earlierForgottenClasses: earlier.map { data.classes[$0] },
                         before: before, after: evaluation, run: run)
}

/// One past erasure request, as kept in a checkpoint's `unlearning_history`.
public struct UnlearningRecord: Codable, Sendable, Equatable {
    public var classes: [String]
    public var method: String
    public var settings: [String: String]
    public var seed: UInt64
    public var seconds: Double
    /// ISO 8601, UTC.
    public var date: String

    public init(classes: [String], method: String, settings: [String: String], seed: UInt64, seconds: Double,
                date: Date = Date()) {
        self.classes = classes
        self.method = method
        self.settings = settings
        self.seed = seed
        self.seconds = seconds
        self.date = ISO8601DateFormatter().string(from: date)
    }
}

extension TrainedModel {
    /// The erasure requests this model has been through, oldest first.
    public var unlearningHistory: [UnlearningRecord] {
        metadata.additional[Key.unlearningHistory]
            .flatMap { try? JSONDecoder().decode([UnlearningRecord].self, from: Data($0.utf8)) } ?? []
    }

    mutating func appendToHistory(_ record: UnlearningRecord) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        metadata.additional[Key.unlearningHistory] =
            String(decoding: try! encoder.encode(unlearningHistory + [record]), as: UTF8.self)
    }
}
