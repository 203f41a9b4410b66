import Datasets
import Foundation
import NeuralNetworks
import Tensors
import Training

/// The relearning attacks (protocols 3 and 4), each on a copy of the model so the model itself never
/// changes.
///
/// **Few-shot**: for every k of ``AuditConfiguration/relearnShots`` and every seeded draw, k training
/// clips of the forgotten classes (the same draw for every model audited) go into each batch with
/// `batchSize − k` retained training examples (a fresh seeded shuffle); Adam at
/// ``AuditConfiguration/relearnLearningRate``, cross-entropy, the model in training mode, through the
/// shared training step (``trainingPass(of:on:labels:normalizedWith:batches:optimizer:epoch:epochs:phase:clock:observer:loss:)``);
/// forget accuracy on the forgotten classes' test examples at step 0 and after every checkpoint, the
/// mean over the draws. **Last layer only**: the same batches and steps, but only the head is trained,
/// on the embeddings the frozen backbone gives in inference mode.
struct Relearning {
    let subject: AuditedModel
    let outputs: AuditOutputs
    let data: AuditData
    let configuration: AuditConfiguration

    func curves() throws -> [RelearningCurve] {
        let steps = [0] + configuration.relearnCheckpoints
        var curves: [RelearningCurve] = []
        for shots in configuration.relearnShots {
            var whole: [[Double]] = [], head: [[Double]] = []
            for draw in 0 ..< configuration.relearnDraws {
                let batches = plan(shots: shots, draw: draw)
                whole.append(try wholeModel(batches))
                head.append(lastLayer(batches))
            }
            for (mode, runs) in [(RelearningCurve.Mode.wholeModel, whole), (.lastLayer, head)] {
                let mean = steps.indices.map { i in runs.reduce(0) { $0 + $1[i] } / Double(runs.count) }
                curves.append(RelearningCurve(mode: mode, shots: shots, steps: steps, forgetAccuracy: mean))
            }
        }
        return curves
    }

    /// The batches of one draw, one per step: the draw's shots and a seeded stream of retained examples.
    func plan(shots: Int, draw: Int) -> [[Int]] {
        var generator = SplitMix64(seed: configuration.seed &+ UInt64(shots) &* 0x1_0000 &+ UInt64(draw))
        var forget = data.forgetTrain
        generator.shuffleReproducibly(&forget)
        let chosen = Array(forget.prefix(shots))
        var stream: [Int] = []
        return (0 ..< configuration.relearnCheckpoints.last!).map { _ in
            var batch = chosen
            while batch.count < configuration.relearnBatchSize {
                if stream.isEmpty {
                    stream = data.retainTrain
                    generator.shuffleReproducibly(&stream)
                }
                batch.append(stream.removeLast())
            }
            return batch
        }
    }

    /// Forget accuracy at step 0 and after each checkpoint, training the whole model.
    func wholeModel(_ batches: [[Int]]) throws -> [Double] {
        let model = try subject.copy()
        let optimizer = Adam(learningRate: configuration.relearnLearningRate)
        var clock = ProgressClock(totalSteps: batches.count)
        var accuracy = [forgetAccuracy(logits: predictLogits(of: model, on: data.test.features, indices: data.forgetTest,
                                                              normalizedWith: data.statistics))]
        var done = 0
        for (segment, checkpoint) in configuration.relearnCheckpoints.enumerated() {
            _ = try trainingPass(of: model, on: data.train.features, labels: data.train.labels,
                                 normalizedWith: data.statistics, batches: Array(batches[done ..< checkpoint]),
                                 optimizer: optimizer, epoch: segment + 1, epochs: configuration.relearnCheckpoints.count,
                                 phase: "relearning", clock: &clock, observer: .silent) { logits, _, batch in
                crossEntropy(logits: logits, labels: batch.map { data.train.labels[$0] })
            }
            done = checkpoint
            accuracy.append(forgetAccuracy(logits: predictLogits(of: model, on: data.test.features,
                                                                 indices: data.forgetTest, normalizedWith: data.statistics)))
        }
        return accuracy
    }

    /// Forget accuracy at step 0 and after each checkpoint, training the head alone on frozen embeddings.
    func lastLayer(_ batches: [[Int]]) -> [Double] {
        var generator = SplitMix64(seed: 0)
        let original = subject.model.head
        let head = Linear(inputCount: original.inputCount, outputCount: original.outputCount,
                          bias: original.bias != nil, using: &generator)
        head.weight.value = original.weight.value
        if let bias = head.bias, let value = original.bias?.value { bias.value = value }
        let width = outputs.width
        func embeddings(_ indices: [Int], train: Bool) -> Tensor {
            Tensor(shape: [indices.count, width], scalars: indices.flatMap { outputs.embedding(train: train, $0) })
        }
        let test = embeddings(data.forgetTest, train: false)
        func accuracy() -> Double { forgetAccuracy(logits: withoutGradients { head(test) }.scalars) }
        let optimizer = Adam(learningRate: configuration.relearnLearningRate)
        var curve = [accuracy()]
        for (step, batch) in batches.enumerated() {
            let x = embeddings(batch, train: true), labels = batch.map { data.train.labels[$0] }
            let (_, gradients) = valueWithGradient(at: head) { head in crossEntropy(logits: head(x), labels: labels) }
            optimizer.update(head, along: gradients)
            if configuration.relearnCheckpoints.contains(step + 1) { curve.append(accuracy()) }
        }
        return curve
    }

    func forgetAccuracy(logits: [Float]) -> Double { Audit.forgetAccuracy(of: logits, data: data) }
}

/// Percent of the forgotten classes' test examples whose largest logit is their class; `logits` holds
/// one row per example of ``AuditData/forgetTest``.
func forgetAccuracy(of logits: [Float], data: AuditData) -> Double {
    let k = data.classCount
    let correct = data.forgetTest.enumerated().filter { position, index in
        let row = logits[position * k ..< (position + 1) * k]
        return row.indices.max { row[$0] < row[$1] }! - position * k == data.test.labels[index]
    }.count
    return 100 * Double(correct) / Double(data.forgetTest.count)
}

/// Protocol 4: forget accuracy after one epoch of Adam at `learningRate` on the retained training
/// examples alone (seeded shuffle, batches of ``AuditConfiguration/relearnBatchSize``), on a copy.
func measureRetainOnlyRelearning(_ subject: AuditedModel, data: AuditData, learningRate: Float,
                        configuration: AuditConfiguration) throws -> Double? {
    let model = try subject.copy()
    var order = data.retainTrain
    var generator = SplitMix64(seed: configuration.seed ^ 0x4E7A1)
    generator.shuffleReproducibly(&order)
    let batches = consecutiveBatches(of: order, size: configuration.relearnBatchSize)
    var clock = ProgressClock(totalSteps: batches.count)
    _ = try trainingPass(of: model, on: data.train.features, labels: data.train.labels, normalizedWith: data.statistics,
                         batches: batches, optimizer: Adam(learningRate: learningRate), epoch: 1, epochs: 1,
                         phase: "retain-only relearning", clock: &clock, observer: .silent) { logits, _, batch in
        crossEntropy(logits: logits, labels: batch.map { data.train.labels[$0] })
    }
    return forgetAccuracy(of: predictLogits(of: model, on: data.test.features, indices: data.forgetTest,
                                            normalizedWith: data.statistics), data: data)
}
