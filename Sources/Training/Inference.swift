import Datasets
import NeuralNetworks
import Tensors

/// The logits of `model` for the examples at `indices` of `features` (all examples when `nil`), in
/// inference mode (batch norm uses its running statistics, dropout is off) and without recording
/// gradients: the batched inference every evaluation runs on.
///
/// The result is row-major `[indices.count × model.classCount]`; the model's training flag is restored
/// afterwards. Batches of `batchSize` keep memory flat for any number of examples.
///
/// ```swift
/// let logits = predictLogits(of: model, on: test, normalizedWith: statistics)
/// let predictions = Predictions(classCount: model.classCount, logits: logits, labels: labels,
///                               recordingIDs: test.recordingIDs)
/// ```
public func predictLogits(of model: any Classifier, on features: FeatureSet, indices: [Int]? = nil,
                          normalizedWith statistics: NormalizationStatistics, batchSize: Int = 128) -> [Float] {
    checkPrecondition(batchSize > 0, "predictLogits: batchSize \(batchSize) must be positive")
    let indices = indices ?? Array(0..<features.count)
    let wasTraining = model.isTraining
    model.setTraining(false)
    defer { model.setTraining(wasTraining) }
    var logits = [Float]()
    logits.reserveCapacity(indices.count * model.classCount)
    withoutGradients {
        for start in stride(from: 0, to: indices.count, by: batchSize) {
            let batch = Array(indices[start..<min(start + batchSize, indices.count)])
            logits += model(features.batch(batch, normalizedWith: statistics)).scalars
        }
    }
    return logits
}
