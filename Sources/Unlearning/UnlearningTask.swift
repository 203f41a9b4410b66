import Datasets
import Foundation
import NeuralNetworks
import Tensors
import Training

/// One erasure request as a method sees it: which classes to forget and the training examples it may
/// use, labelled, with the normalisation the model was trained with.
///
/// `features` and `labels` hold the training examples still on record: the forget classes' examples
/// (the data being erased, usable one last time to unlearn it) and the retained classes' examples.
/// Examples of classes forgotten by earlier requests must not be here: that data was deleted to honour
/// those requests (SPEC §2); ``previouslyForgottenClasses`` only names them, so a method can keep
/// their rows of the head untouched or out of its targets.
///
/// ```swift
/// let task = try UnlearningTask(classNames: ["george", "jackson", "theo"], forgetClasses: [0],
///                               features: train.features, labels: train.labels, statistics: statistics, seed: 7)
/// task.forgetIndices.count   // george's training examples
/// ```
public struct UnlearningTask: @unchecked Sendable {
    /// Class names in logit order.
    public let classNames: [String]
    /// The classes of this request (`F`), sorted.
    public let forgetClasses: [Int]
    /// Classes forgotten by earlier requests, sorted; none of their examples is in ``features``.
    public let previouslyForgottenClasses: [Int]
    public let features: FeatureSet
    public let labels: [Int]
    /// The mean and standard deviation every batch is normalised with (the model's training statistics).
    public let statistics: NormalizationStatistics
    /// Seeds every random choice of the method (shuffles, samples).
    public let seed: UInt64
    /// Makes a freshly initialised model of the same architecture and class count (seeded by the
    /// caller), for the methods that need a second network: retraining from scratch, a randomly
    /// initialised "incompetent teacher", a frozen copy of the original. `nil` when not supplied.
    public let makeModel: (@Sendable () -> any Classifier)?
    /// The training recipe of the original model, for methods that retrain with it.
    public let recipe: TrainingConfiguration?
    /// Indices into ``features`` of the forget classes' examples, ascending.
    public let forgetIndices: [Int]
    /// Indices into ``features`` of the other examples, ascending.
    public let retainIndices: [Int]

    /// - Throws: ``UnlearningError`` when the request cannot be carried out: no forget class, a class
    ///   out of range, every class forgotten, a forget class without training examples, or examples of
    ///   a previously forgotten class among the features.
    public init(classNames: [String], forgetClasses: [Int], previouslyForgottenClasses: [Int] = [],
                features: FeatureSet, labels: [Int], statistics: NormalizationStatistics, seed: UInt64,
                makeModel: (@Sendable () -> any Classifier)? = nil, recipe: TrainingConfiguration? = nil) throws {
        checkPrecondition(labels.count == features.count,
                          "UnlearningTask: \(labels.count) labels for \(features.count) examples")
        let forget = Set(forgetClasses), earlier = Set(previouslyForgottenClasses)
        guard !forget.isEmpty else { throw UnlearningError.noForgetClass }
        for index in forget.union(earlier) where !classNames.indices.contains(index) {
            throw UnlearningError.classOutOfRange(index, classCount: classNames.count)
        }
        if let again = forget.intersection(earlier).min() {
            throw UnlearningError.alreadyForgotten(classNames[again])
        }
        guard forget.count + earlier.count < classNames.count else {
            throw UnlearningError.forgetsEveryClass(classCount: classNames.count)
        }
        if let kept = labels.firstIndex(where: earlier.contains) {
            throw UnlearningError.deletedDataPresent(className: classNames[labels[kept]])
        }
        let present = Set(labels)
        if let missing = forget.sorted().first(where: { !present.contains($0) }) {
            throw UnlearningError.noTrainingExamples(className: classNames[missing])
        }
        self.classNames = classNames
        self.forgetClasses = forget.sorted()
        self.previouslyForgottenClasses = earlier.sorted()
        self.features = features
        self.labels = labels
        self.statistics = statistics
        self.seed = seed
        self.makeModel = makeModel
        self.recipe = recipe
        forgetIndices = labels.indices.filter { forget.contains(labels[$0]) }
        retainIndices = labels.indices.filter { !forget.contains(labels[$0]) }
    }

    public var classCount: Int { classNames.count }

    /// Up to `perClass` retain examples of each retained class, a shuffle drawn from `generator` per
    /// class: the seeded sample the methods read the retained classes' embeddings from.
    func retainedSample(perClass: Int, using generator: inout SplitMix64) -> [Int] {
        sample(of: retainedClasses, perClass: perClass, using: &generator)
    }

    /// Up to `perClass` examples of each of `classes`, a shuffle drawn from `generator` per class.
    func sample(of classes: [Int], perClass: Int, using generator: inout SplitMix64) -> [Int] {
        classes.flatMap { c in
            var members = labels.indices.filter { labels[$0] == c }
            generator.shuffleReproducibly(&members)
            return Array(members.prefix(perClass))
        }
    }

    /// The classes still recognised after this request: neither in ``forgetClasses`` nor forgotten earlier.
    public var retainedClasses: [Int] {
        let gone = Set(forgetClasses + previouslyForgottenClasses)
        return (0 ..< classCount).filter { !gone.contains($0) }
    }
}
