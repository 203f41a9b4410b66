import Foundation
import NeuralNetworks
import Tensors
import Training

/// Phase 4's head regrowth (``QPAudioEraser/HeadEdit/regrowth``): the last layer replaced by the one a
/// retraining without the forgotten classes would put on the model's embeddings.
///
/// In a model retrained without a class, that class's row is a freshly initialised row that only ever
/// met the other classes' examples: every step pushed it away from them and nothing pulled it towards
/// its own voice, while the other rows grew with their classes. Its norm, bias and direction are those
/// of such a row, not of a trained or edited one (on FSDD the retrained rows end near 0.65 where the
/// trained ones reach 0.93, a z of −3.5 against them; the paper's mixing leaves a row above the others,
/// which tells a white-box auditor whom it erased). Regrowth replays that training on the head alone:
/// every row drawn afresh as the initialiser draws it, then the recipe's epochs of Adam over batches of
/// the retained examples' embeddings under the model as it is. The forgotten classes (earlier requests'
/// too) never appear as labels, so their rows grow exactly as a retraining grows them, relative to rows
/// that grew with their own data. The embeddings are computed once, so it costs an inference pass over
/// a sample of the retained examples and a few thousand steps of a `d × K` product.
extension QPAudioEraser {
    /// At most this many retained examples per class (a seeded sample) are embedded for the regrowth or
    /// run through the network for the batch-norm recalibration.
    static let sampleExamplesPerClass = 128

    /// The recipe regrowth follows when the task carries none: `qpae train`'s defaults.
    static let defaultRegrowthRecipe = TrainingConfiguration(epochs: 20)

    /// Replaces `model`'s head (weights and bias) with fresh rows trained on the retained examples'
    /// embeddings. The fresh rows, the sample and the batches are drawn from `task.seed`; the steps
    /// follow `task.recipe` (epochs, batch size, learning rate and its schedule, weight decay), with as
    /// many steps per epoch as the retained examples fill, batches drawn at random from the sample.
    static func regrowHead(of model: any Classifier, task: UnlearningTask) {
        let recipe = task.recipe ?? defaultRegrowthRecipe
        let head = model.head
        var generator = SplitMix64(seed: task.seed ^ 0x2E62_0757)
        let sample = task.retainedSample(perClass: sampleExamplesPerClass, using: &generator)
        guard !sample.isEmpty else { return }
        let embedded = predictEmbeddings(of: model, on: task.features, indices: sample, normalizedWith: task.statistics)
        let embeddings = Tensor(shape: [sample.count, head.inputCount], scalars: embedded.embeddings)
        let labels = sample.map { task.labels[$0] }
        let fresh = model.freshHead(using: &generator)
        let batchSize = min(recipe.batchSize, sample.count)
        let stepsPerEpoch = (task.retainIndices.count + recipe.batchSize - 1) / recipe.batchSize
        let schedule = recipe.learningRateSchedule(stepsPerEpoch: stepsPerEpoch)
        let optimizer = Adam(learningRate: recipe.learningRate, weightDecay: recipe.weightDecay)
        for step in 0 ..< recipe.epochs * stepsPerEpoch {
            let rows = (0 ..< batchSize).map { _ in Int.random(in: 0 ..< sample.count, using: &generator) }
            let x = embeddings.indexSelect(alongAxis: 0, indices: rows), y = rows.map { labels[$0] }
            optimizer.learningRate = schedule.learningRate(at: step)
            let (_, gradients) = valueWithGradient(at: fresh) { crossEntropy(logits: $0(x), labels: y) }
            optimizer.update(fresh, along: gradients)
        }
        head.weight.value = fresh.weight.value
        if let bias = head.bias, let grown = fresh.bias { bias.value = grown.value }
    }
}
