import Datasets
import Models
import NeuralNetworks
import Tensors
import TestSupport
import Testing
import Training

@Suite("Batch-norm recalibration")
struct BatchNormRecalibrationTests {
    /// After the weights below a batch-norm layer change, its running statistics describe the old ones;
    /// recalibrating over one batch holding every example sets them to that batch's statistics, so that
    /// evaluation mode computes what training mode computes on the same batch, up to the unbiased
    /// variance's factor n/(n − 1) over the n values per channel (n ≥ 60 here, so the stated margin is
    /// 1% relative; stale statistics miss it). The weights, the layers' momenta and the training flag are
    /// left as they were.
    @Test func evaluationModeComputesWhatTrainingModeDidAfterRecalibration() throws {
        let (features, _) = syntheticSet()
        let statistics = NormalizationStatistics(of: features.values)
        let model = makeModel()
        disturb(model)
        let all = Array(0 ..< features.count)
        let batch = features.batch(all, normalizedWith: statistics)
        model.setTraining(true)
        let trainingLogits = withoutGradients { model(batch) }
        model.setTraining(false)
        let staleLogits = withoutGradients { model(batch) }
        #expect(!closeness(staleLogits, trainingLogits, absoluteTolerance: 1e-3, relativeTolerance: 1e-2).passed, "the test needs stale statistics")

        let layers = model.modules().compactMap { $0 as? BatchNorm2d }
        try #require(layers.count == 4)
        let weights = model.trainableParameters.map(\.value.scalars)
        recalibrateBatchNormalization(of: model, on: features, indices: all, normalizedWith: statistics,
                                      batchSize: features.count)
        #expect(!model.isTraining)
        #expect(layers.allSatisfy { $0.momentum == 0.1 && $0.batchesTracked.value.item == 1 })
        #expect(model.trainableParameters.map(\.value.scalars) == weights)
        let recalibrated = withoutGradients { model(batch) }
        let check = closeness(recalibrated, trainingLogits, absoluteTolerance: 1e-3, relativeTolerance: 1e-2)
        #expect(check.passed, "\(check)")
    }
}

/// Every weight of `model` scaled and shifted, so that its running statistics no longer describe it.
private func disturb(_ model: any Classifier) {
    var generator = SplitMix64(seed: 17)
    for parameter in model.trainableParameters {
        parameter.value = parameter.value * 1.5
            + Tensor.randomNormal(parameter.shape, standardDeviation: 0.2, using: &generator)
    }
}
