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
    inferBatches(of: model, on: features, indices: indices, normalizedWith: statistics, batchSize: batchSize) {
        [model($0)]
    }[0]
}

/// The embeddings (``Classifier/embedding(_:)``, row-major `[indices.count × width]`) and the logits
/// (`[indices.count × classCount]`) of `model` for the examples at `indices`, from one forward pass,
/// under the same conditions as ``predictLogits(of:on:indices:normalizedWith:batchSize:)``.
public func predictEmbeddings(of model: any Classifier, on features: FeatureSet, indices: [Int]? = nil,
                              normalizedWith statistics: NormalizationStatistics,
                              batchSize: Int = 128) -> (embeddings: [Float], width: Int, logits: [Float]) {
    let outputs = inferBatches(of: model, on: features, indices: indices, normalizedWith: statistics,
                               batchSize: batchSize) { x in
        let embedding = model.embedding(x)
        return [embedding, model.head(embedding)]
    }
    return (outputs[0], model.head.inputCount, outputs[1])
}

/// Recomputes the running statistics of every batch-norm layer of `model` from the examples at
/// `indices`: reset, then the plain average of their batch statistics over one training-mode pass
/// without recording (PyTorch's `torch.optim.swa_utils.update_bn`). Nothing else changes. After the
/// weights moved fast (a short fine-tune from a disturbed start), the exponential running averages lag
/// behind them and evaluation mode no longer computes what training mode did; this sets them to the
/// statistics the weights produce now. The model's training flag is restored afterwards.
public func recalibrateBatchNormalization(of model: any Classifier, on features: FeatureSet, indices: [Int],
                                          normalizedWith statistics: NormalizationStatistics, batchSize: Int = 128) {
    recalibrateBatchNormalization(of: model, indices: indices, batchSize: batchSize) {
        features.batch($0, normalizedWith: statistics)
    }
}

/// The same with each batch's inputs from `inputs(batchIndices)`: a model that starts part-way through a
/// network reads what the earlier part put out (kept stages' outputs).
public func recalibrateBatchNormalization(of model: any Classifier, indices: [Int], batchSize: Int = 128,
                                          inputs: (_ batch: [Int]) -> Tensor) {
    let layers = model.modules().compactMap { $0 as? BatchNorm2d }
    guard !layers.isEmpty, !indices.isEmpty else { return }
    let momenta = layers.map(\.momentum)
    for layer in layers {
        layer.resetRunningStatistics()
        layer.momentum = nil
    }
    forEachBatch(of: model, training: true, indices: indices, batchSize: batchSize, purpose: "batch-norm recalibration",
                 inputs: inputs) { _ = model($0) }
    for (layer, momentum) in zip(layers, momenta) { layer.momentum = momentum }
}

/// `body` over the batches of `indices` in inference mode without recording; each output's rows
/// concatenated across batches.
private func inferBatches(of model: any Classifier, on features: FeatureSet, indices: [Int]?,
                          normalizedWith statistics: NormalizationStatistics, batchSize: Int,
                          _ body: (Tensor) -> [Tensor]) -> [[Float]] {
    var outputs: [[Float]] = []
    forEachBatch(of: model, training: false, indices: indices ?? Array(0..<features.count), batchSize: batchSize,
                 purpose: "inference", inputs: { features.batch($0, normalizedWith: statistics) }) { batch in
        let results = body(batch)
        if outputs.isEmpty { outputs = Array(repeating: [], count: results.count) }
        for (k, result) in results.enumerated() { outputs[k] += result.scalars }
    }
    return outputs.isEmpty ? [[], []] : outputs
}

/// `body` over the inputs of the batches of `indices` (`batchSize` examples each, the last one shorter),
/// `model` in training or inference mode and nothing recorded; the model's training flag is restored
/// afterwards.
public func forEachBatch(of model: any Classifier, training: Bool, indices: [Int], batchSize: Int, purpose: String,
                         inputs: (_ batch: [Int]) -> Tensor, _ body: (Tensor) -> Void) {
    checkPrecondition(batchSize > 0, "\(purpose): batchSize \(batchSize) must be positive")
    let wasTraining = model.isTraining
    model.setTraining(training)
    defer { model.setTraining(wasTraining) }
    withoutGradients {
        for start in stride(from: 0, to: indices.count, by: batchSize) {
            body(inputs(Array(indices[start..<min(start + batchSize, indices.count)])))
        }
    }
}
