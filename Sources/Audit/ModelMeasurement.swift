import Datasets
import Evaluation
import Foundation
import NeuralNetworks
import Tensors
import Training

/// Everything the audit measures on one model (the original, the unlearned model, or an oracle), before
/// any comparison: the values of the tests of `../shared/AUDIT.md` and the raw per-example outputs
/// that the distribution tests compare across models. Percentages are 0…100.
///
/// Nothing here depends on the other models, except ``distanceToOriginal``, so a measurement is
/// cached with the model it belongs to and reused by later audits (see ``key``).
public struct ModelMeasurement: Codable, Sendable, Equatable {
    /// What the measurement was made with: the audit configuration and data it depends on. A cached
    /// measurement is reused only under the same key.
    public var key: String
    /// FA: accuracy on the forgotten classes' test examples.
    public var forgetAccuracy: Double?
    /// IL: mean softmax probability of the true class on those examples.
    public var informationLeakage: Double?
    /// RA: accuracy on the retained classes' test examples, what the model is still for (utility, not a
    /// test of forgetting). `nil` in a measurement cached before it was measured.
    public var retainAccuracy: Double?
    /// Embedding probe: recall of the forgotten classes' clips under cross-validated logistic regression.
    public var probeRecall: Double?
    /// Embedding probe: one-vs-rest AUROC of the probe's probability of the forgotten classes, in percent.
    public var probeAUROC: Double?
    /// k-nearest-neighbour recall (cosine) of the forgotten classes' clips.
    public var neighbourRecall: Double?
    /// Forget accuracy after re-fitting the last layer (on frozen embeddings) to every class's training data.
    public var headRefitAccuracy: Double?
    /// Few-shot relearning curves, whole model and last layer only, per number of shots.
    public var relearning: [RelearningCurve]
    /// Forget accuracy after one epoch of fine-tuning on retained data, per learning rate.
    public var retainOnlyAccuracy: [Double?]
    /// Speaker-verification EER of the forgotten classes on cosine-scored embeddings.
    public var verificationEER: Double?
    /// The forgotten rows of the last layer: norm and bias as z-scores against the other rows (the mean
    /// over the forgotten classes).
    public var rowNormZ: Double
    public var biasZ: Double
    /// Relative distance `‖θ − θ_original‖ / ‖θ_original‖` over the trainable parameters.
    public var distanceToOriginal: Double?
    /// `φ = log(p/(1 − p))` of the true class, for each forgotten-class example: training examples
    /// (``forgetTrainCount`` of them) first, then test examples.
    public var forgetConfidences: [Double]
    public var forgetTrainCount: Int
    /// On each forgotten-class example (same order), the probabilities over the retained classes,
    /// renormalised: how the model hears the forgotten voice among the others.
    public var neighbourDistributions: [[Double]]
    /// Seconds per part.
    public var seconds: [String: Double]
}

/// One relearning curve: forget accuracy (mean over the seeded draws) at step 0 and at each checkpoint.
public struct RelearningCurve: Codable, Sendable, Equatable {
    public enum Mode: String, Codable, Sendable, CaseIterable {
        case wholeModel = "whole model"
        case lastLayer = "last layer"
    }

    public var mode: Mode
    public var shots: Int
    /// 0 followed by the checkpoints.
    public var steps: [Int]
    public var forgetAccuracy: [Double]

    /// The area under the curve over steps 0…last, divided by the last step: the mean forget accuracy
    /// over the attack (trapezoids between the measured steps).
    public var area: Double {
        var total = 0.0
        for i in 1 ..< steps.count {
            total += Double(steps[i] - steps[i - 1]) * (forgetAccuracy[i] + forgetAccuracy[i - 1]) / 2
        }
        return steps.last! > 0 ? total / Double(steps.last!) : forgetAccuracy[0]
    }
}

/// A model to measure, with what the relearning attacks need: a fresh network of the same
/// architecture to copy it into (they must not change the model itself).
public struct AuditedModel {
    public var name: String
    public var model: any Classifier
    public var makeModel: () -> any Classifier

    public init(name: String, model: any Classifier, makeModel: @escaping () -> any Classifier) {
        self.name = name
        self.model = model
        self.makeModel = makeModel
    }

    /// A copy of the model's parameters and buffers in a fresh network.
    func copy() throws -> any Classifier {
        let copy = makeModel()
        try copy.loadState(from: model.state())
        return copy
    }
}

extension ModelMeasurement {
    /// Measures `subject` on `data`; `original` (when given) for ``distanceToOriginal``. Leaves the
    /// model as it was.
    ///
    /// - Parameter log: told when each part starts (the relearning attacks take most of the time).
    public static func measure(_ subject: AuditedModel, on data: AuditData, configuration: AuditConfiguration,
                               original: (any Classifier)? = nil, key: String,
                               log: (String) -> Void = { _ in }) throws -> ModelMeasurement {
        var seconds: [String: Double] = [:]
        func timed<T>(_ part: String, _ body: () throws -> T) rethrows -> T {
            log("\(subject.name): \(part)")
            let start = DispatchTime.now().uptimeNanoseconds
            defer { seconds[part] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
            return try body()
        }
        let model = subject.model
        let outputs = timed("embeddings") { AuditOutputs(model: model, data: data) }
        let output = timed("outputs") { OutputMeasures(outputs, data: data) }
        let probe = timed("embedding probe") { ProbeMeasures(outputs, data: data, configuration: configuration) }
        let refit = timed("head re-fit") { measureHeadRefit(outputs, data: data) }
        let verification = timed("verification probe") {
            measureVerification(outputs, data: data, configuration: configuration)
        }
        let relearning = try timed("few-shot relearning") {
            try Relearning(subject: subject, outputs: outputs, data: data, configuration: configuration).curves()
        }
        let retainOnly = try timed("retain-only relearning") {
            try configuration.retainOnlyLearningRates.map {
                try measureRetainOnlyRelearning(subject, data: data, learningRate: $0, configuration: configuration)
            }
        }
        let (normZ, biasZ) = rowStatistics(of: model.head, classes: data.forgetClasses)
        return ModelMeasurement(
            key: key, forgetAccuracy: output.forgetAccuracy, informationLeakage: output.informationLeakage,
            retainAccuracy: output.retainAccuracy, probeRecall: probe.recall, probeAUROC: probe.auroc,
            neighbourRecall: probe.neighbourRecall,
            headRefitAccuracy: refit, relearning: relearning, retainOnlyAccuracy: retainOnly,
            verificationEER: verification, rowNormZ: normZ, biasZ: biasZ,
            distanceToOriginal: original.map { relativeDistance(model, from: $0) },
            forgetConfidences: output.confidences, forgetTrainCount: data.forgetTrain.count,
            neighbourDistributions: output.neighbourDistributions, seconds: seconds)
    }
}

/// The embeddings and logits of a model on every training and test example, in inference mode.
struct AuditOutputs {
    let width: Int
    let classCount: Int
    let trainEmbeddings: [Float], trainLogits: [Float]
    let testEmbeddings: [Float], testLogits: [Float]

    init(model: any Classifier, data: AuditData) {
        let train = predictEmbeddings(of: model, on: data.train.features, normalizedWith: data.statistics)
        let test = predictEmbeddings(of: model, on: data.test.features, normalizedWith: data.statistics)
        (width, classCount) = (train.width, model.classCount)
        (trainEmbeddings, trainLogits, testEmbeddings, testLogits) = (train.embeddings, train.logits,
                                                                     test.embeddings, test.logits)
    }

    func embedding(train: Bool, _ index: Int) -> ArraySlice<Float> {
        (train ? trainEmbeddings : testEmbeddings)[index * width ..< (index + 1) * width]
    }

    func logits(train: Bool, _ index: Int) -> ArraySlice<Float> {
        (train ? trainLogits : testLogits)[index * classCount ..< (index + 1) * classCount]
    }
}

/// FA, IL, RA, and the per-example outputs on the forgotten classes.
struct OutputMeasures {
    var forgetAccuracy: Double?
    var informationLeakage: Double?
    var retainAccuracy: Double?
    var confidences: [Double] = []
    var neighbourDistributions: [[Double]] = []

    init(_ outputs: AuditOutputs, data: AuditData) {
        var correct = 0, probabilitySum = 0.0
        for index in data.forgetTest {
            let z = outputs.logits(train: false, index).map(Double.init)
            let label = data.test.labels[index]
            if z.indices.max(by: { z[$0] < z[$1] }) == label { correct += 1 }
            probabilitySum += Foundation.exp(z[label] - logSumExp(z))
        }
        forgetAccuracy = 100 * Double(correct) / Double(data.forgetTest.count)
        informationLeakage = 100 * probabilitySum / Double(data.forgetTest.count)
        if !data.retainTest.isEmpty {
            let right = data.retainTest.filter { index in
                let z = Array(outputs.logits(train: false, index))
                return z.indices.max { z[$0] < z[$1] } == data.test.labels[index]
            }
            retainAccuracy = 100 * Double(right.count) / Double(data.retainTest.count)
        }
        let retained = data.retainedClasses
        for (isTrain, indices, labels) in [(true, data.forgetTrain, data.train.labels), (false, data.forgetTest, data.test.labels)] {
            for index in indices {
                let z = outputs.logits(train: isTrain, index).map(Double.init)
                let label = labels[index]
                confidences.append(z[label] - logSumExp(z.indices.filter { $0 != label }.map { z[$0] }))
                let others = retained.map { z[$0] }
                let total = logSumExp(others)
                neighbourDistributions.append(others.map { Foundation.exp($0 - total) })
            }
        }
    }
}

/// ``ModelMeasurement/retainAccuracy`` of `model` on `data`, from one inference pass: what a measurement
/// cached before it was measured lacks.
public func measureRetainAccuracy(of model: any Classifier, on data: AuditData) -> Double? {
    OutputMeasures(AuditOutputs(model: model, data: data), data: data).retainAccuracy
}

func logSumExp(_ values: [Double]) -> Double {
    guard let top = values.max(), top.isFinite else { return values.max() ?? -.infinity }
    return top + Foundation.log(values.reduce(0) { $0 + Foundation.exp($1 - top) })
}

/// Each row's norm and bias as z-scores against the other rows, averaged over `classes`.
func rowStatistics(of head: Linear, classes: [Int]) -> (norm: Double, bias: Double) {
    let weights = head.weight.value.scalars.map(Double.init), width = head.inputCount
    let norms = (0 ..< head.outputCount).map { row in
        weights[row * width ..< (row + 1) * width].reduce(0) { $0 + $1 * $1 }.squareRoot()
    }
    let biases = head.bias.map { $0.value.scalars.map(Double.init) } ?? Array(repeating: 0, count: head.outputCount)
    func z(_ values: [Double], _ row: Int) -> Double {
        let others = values.indices.filter { $0 != row }.map { values[$0] }
        let mean = others.reduce(0, +) / Double(others.count)
        let deviation = (others.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(Swift.max(others.count - 1, 1))).squareRoot()
        return deviation > 0 ? (values[row] - mean) / deviation : 0
    }
    let count = Double(classes.count)
    return (classes.reduce(0) { $0 + z(norms, $1) } / count, classes.reduce(0) { $0 + z(biases, $1) } / count)
}

/// `‖θ − θ₀‖ / ‖θ₀‖` over the trainable parameters.
func relativeDistance(_ model: any Classifier, from original: any Classifier) -> Double {
    var difference = 0.0, norm = 0.0
    for (a, b) in zip(model.trainableParameters, original.trainableParameters) {
        for (x, y) in zip(a.value.scalars, b.value.scalars) {
            difference += Double(x - y) * Double(x - y)
            norm += Double(y) * Double(y)
        }
    }
    return norm > 0 ? (difference / norm).squareRoot() : 0
}
