import Foundation
import Models
import NeuralNetworks
import Tensors
import Testing
import Training
@testable import Unlearning

/// The options that aim at what a retrained model does: targets from the model's own view of the
/// forgotten voice, a fresh forgotten row, and the pull of the forgotten embeddings to their neighbours.
@Suite(.serialized) struct QPAudioEraserReferenceTests {
    @Test func retainedRenormalisedTargetsAreTheModelsOwnViewWithoutTheForgottenClass() throws {
        let speakers = try ToySpeakers(examplesPerClass: 12)
        let task = try speakers.task(forget: [1])
        let references = QPAudioEraser.references(of: speakers.model, task: task, centroids: true)
        let logits = predictLogits(of: speakers.model, on: task.features, indices: task.forgetIndices,
                                   normalizedWith: task.statistics)
        #expect(references.targets.count == task.forgetIndices.count)
        for (position, index) in task.forgetIndices.enumerated() {
            let row = logits[position * 4 ..< (position + 1) * 4].map(Double.init)
            let kept = [0, 2, 3].map { Foundation.exp(row[$0]) }, total = kept.reduce(0, +)
            let expected = [kept[0] / total, 0, kept[1] / total, kept[2] / total]
            let target = try #require(references.targets[index])
            #expect(target.count == 4 && zip(target, expected).allSatisfy { Swift.abs(Double($0) - $1) < 1e-6 })
        }
        // Each forget example's centroid is the mean embedding of the retained class its target ranks first.
        let embedded = predictEmbeddings(of: speakers.model, on: task.features, normalizedWith: task.statistics)
        for index in task.forgetIndices.prefix(3) {
            let target = references.targets[index]!
            let nearest = [0, 2, 3].max { target[$0] < target[$1] }!
            let members = task.retainIndices.filter { task.labels[$0] == nearest }
            let mean = (0 ..< embedded.width).map { j in
                members.reduce(Float(0)) { $0 + embedded.embeddings[$1 * embedded.width + j] } / Float(members.count)
            }
            let centroid = try #require(references.centroids[index])
            #expect(centroid.count == mean.count && zip(centroid, mean).allSatisfy { Swift.abs($0 - $1) < 1e-4 })
        }
    }

    @Test func aReinitialisedRowStartsAsANewLayerWouldAndLeavesTheOthers() throws {
        let speakers = try ToySpeakers(examplesPerClass: 8)
        let head = speakers.model.head
        let before = head.weight.value.scalars, biases = head.bias!.value.scalars
        QPAudioEraser.reinitialise(rowsOf: speakers.model, classes: [2], retained: [0, 1, 3], seed: 4)
        let width = head.inputCount, after = head.weight.value.scalars
        let bound = 1 / Float(width).squareRoot()
        #expect(after[2 * width ..< 3 * width].allSatisfy { Swift.abs($0) <= bound })
        #expect(after[2 * width ..< 3 * width] != before[2 * width ..< 3 * width])
        for row in [0, 1, 3] { #expect(after[row * width ..< (row + 1) * width] == before[row * width ..< (row + 1) * width]) }
        let others = [0, 1, 3].map { Double(biases[$0]) }, mean = others.reduce(0, +) / 3
        let deviation = (others.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 2).squareRoot()
        #expect(Swift.abs(Double(head.bias!.value.scalars[2]) - (mean - deviation)) < 1e-5)
    }

    /// A fresh head starts as the architecture starts one: PyTorch's `nn.Linear` draw for the CNN, timm's
    /// truncated normal σ 0.02 with zero biases for ViT-Tiny (which a `nn.Linear` draw, spread ±1/√d,
    /// would not match: its biases would start four times as spread as a trained ViT's end).
    @Test func aFreshHeadIsDrawnAsTheArchitectureDrawsOne() throws {
        var generator = SplitMix64(seed: 1)
        let vit = ViTTiny(classCount: 40, inputSize: (16, 16), dimension: 64, depth: 1, headCount: 2, mlpDimension: 64,
                          using: &generator)
        let trained = vit.head.weight.value.scalars
        QPAudioEraser.replaceHead(of: vit, seed: 7)
        let weights = vit.head.weight.value.scalars
        let spread = (weights.reduce(0) { $0 + Double($1 * $1) } / Double(weights.count)).squareRoot()
        #expect(vit.head.bias!.value.scalars.allSatisfy { $0 == 0 } && weights != trained)
        #expect(Swift.abs(spread - 0.02) < 0.002, "\(spread)")                      // 2,560 draws: ± 3%
        let cnn = ToySpeakers.freshModel(), width = cnn.head.inputCount
        QPAudioEraser.replaceHead(of: cnn, seed: 7)
        var same = SplitMix64(seed: 7 ^ 0xF2E5)
        let drawn = Linear(inputCount: width, outputCount: cnn.head.outputCount, using: &same)
        #expect(cnn.head.weight.value.scalars == drawn.weight.value.scalars && cnn.head.bias!.value.scalars == drawn.bias!.value.scalars)
    }

    /// The fresh head with low forgotten biases is the fresh head's draw, except the forgotten row's bias
    /// at the mean minus one standard deviation of the other rows' fresh biases (computed here apart).
    @Test func aFreshHeadWithLowForgottenBiasesIsTheFreshDrawWithThoseBiasesBelow() throws {
        let speakers = try ToySpeakers(examplesPerClass: 4), drawn = ToySpeakers.freshModel()
        let task = try speakers.task(forget: [1])
        var configuration = QPAudioEraser.Configuration()
        configuration.rowEdit = .freshHeadLowBias
        configuration.without = [.superposition, .fineTune, .entropy, .mixing]
        let run = try QPAudioEraser(configuration: configuration).unlearn(speakers.model, task: task)
        #expect(run.phases.filter(\.ran).map(\.name) == ["fresh head"])
        QPAudioEraser.replaceHead(of: drawn, seed: task.seed)
        #expect(speakers.model.head.weight.value.scalars == drawn.head.weight.value.scalars)
        let fresh = drawn.head.bias!.value.scalars, after = speakers.model.head.bias!.value.scalars
        let others = [0, 2, 3].map { Double(fresh[$0]) }, mean = others.reduce(0, +) / 3
        let deviation = (others.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 2).squareRoot()
        #expect(Swift.abs(Double(after[1]) - (mean - deviation)) < 1e-6)
        #expect([0, 2, 3].allSatisfy { after[$0] == fresh[$0] })
    }

    /// With `matchesRowLength` the forgotten row ends at the mean length of the retained rows (computed
    /// here apart), pointing where it pointed; every other row and every bias stay as they were.
    @Test func matchingRowLengthsScalesOnlyTheForgottenRowToTheOthersMeanLength() throws {
        let speakers = try ToySpeakers(examplesPerClass: 4)
        let task = try speakers.task(forget: [2])
        let head = speakers.model.head, width = head.inputCount
        var rows = head.weight.value.scalars
        for column in 2 * width ..< 3 * width { rows[column] *= 3 }           // a row far longer than the others
        head.weight.value = Tensor(shape: head.weight.shape, scalars: rows)
        let bias = head.bias!.value.scalars
        var configuration = QPAudioEraser.Configuration()
        configuration.matchesRowLength = true
        configuration.without = [.interference, .superposition, .fineTune, .entropy, .mixing]
        let run = try QPAudioEraser(configuration: configuration).unlearn(speakers.model, task: task)
        #expect(run.phases.filter(\.ran).map(\.name) == ["row length"])
        let after = head.weight.value.scalars
        func row(_ r: Int, of values: [Float]) -> [Double] { values[r * width ..< (r + 1) * width].map(Double.init) }
        func length(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        let target = [0, 1, 3].map { length(row($0, of: rows)) }.reduce(0, +) / 3
        #expect(Swift.abs(length(row(2, of: after)) - target) < 1e-5 * target)
        let ratio = length(row(2, of: after)) / length(row(2, of: rows))
        #expect(zip(row(2, of: after), row(2, of: rows)).allSatisfy { Swift.abs($0 - ratio * $1) < 1e-6 })
        #expect([0, 1, 3].allSatisfy { row($0, of: after) == row($0, of: rows) })
        #expect(head.bias!.value.scalars == bias)
    }

    /// Stated margin: with the pull the forgotten examples end at least 20% closer to their neighbour's
    /// centroid than with the same fine-tune without it.
    @Test func theEmbeddingPullBringsTheForgottenVoiceToItsNeighbour() throws {
        func distance(pull: Float) throws -> Float {
            let speakers = try ToySpeakers(examplesPerClass: 12)
            let task = try speakers.task(forget: [0])
            let references = QPAudioEraser.references(of: speakers.model, task: task, centroids: true)
            var configuration = QPAudioEraser.Configuration()
            configuration.forgetTarget = .retainedRenormalised
            configuration.rowEdit = .reinitialisation
            configuration.without = [.mixing, .entropy]
            configuration.epochs = 3
            configuration.embeddingPull = pull
            let run = try QPAudioEraser(configuration: configuration).unlearn(speakers.model, task: task)
            #expect(run.phases.first?.name == "reference outputs")
            let embedded = predictEmbeddings(of: speakers.model, on: task.features, indices: task.forgetIndices,
                                             normalizedWith: task.statistics)
            return task.forgetIndices.enumerated().reduce(Float(0)) { sum, item in
                let row = embedded.embeddings[item.offset * embedded.width ..< (item.offset + 1) * embedded.width]
                return sum + zip(row, references.centroids[item.element]!).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            } / Float(task.forgetIndices.count)
        }
        let without = try distance(pull: 0), with = try distance(pull: 5)
        #expect(with < 0.8 * without, "mean squared distance \(with) with the pull, \(without) without")
    }

    /// The distillation term: phase 3 on the retain examples minimises `CE(s, y) + α·T²·KL(softmax(t/T) ‖
    /// softmax(s/T))`, `t` the trained model's logits with the forgotten class removed. Reference: the same
    /// Adam steps written out here, the teacher read from the untouched model by `predictLogits` and the
    /// forgotten class's logit replaced by −1e4, the divergence by the same ``klDivergence`` (its values
    /// are checked in the loss tests: Adam turns the rounding noise of the batch-normalised layers' zero
    /// gradients into whole steps, so the reference must round as the method does). The two end at the
    /// same weights (to rounding); without the term the method ends elsewhere.
    @Test func theDistillationTermTeachesTheTrainedModelsViewOfTheRetainedVoices() throws {
        var configuration = QPAudioEraser.Configuration()
        configuration.without = [.interference, .superposition, .entropy, .mixing]
        configuration.batchPlan = BatchPlan(examples: .retain)
        configuration.epochs = 2
        configuration.batchSize = 8
        configuration.distillation = 0.5
        configuration.distillationTemperature = 2
        let fast = try ToySpeakers(examplesPerClass: 8), reference = try ToySpeakers(examplesPerClass: 8)
        let task = try fast.task(forget: [1])
        let references = QPAudioEraser.references(of: fast.model, task: task, centroids: false,
                                                  teacherExamples: task.retainIndices)
        let run = try QPAudioEraser(configuration: configuration).unlearn(fast.model, task: task)
        #expect(run.phases.filter(\.ran).map(\.name) == ["reference outputs", "uncertainty fine-tune"])

        let model = reference.model
        let trained = predictLogits(of: model, on: task.features, indices: task.retainIndices, normalizedWith: task.statistics)
        var teacher: [Int: [Float]] = [:]
        for (position, index) in task.retainIndices.enumerated() {
            teacher[index] = (0 ..< 4).map { $0 == 1 ? -1e4 : trained[position * 4 + $0] }
        }
        #expect(references.teacherLogits == teacher)
        let optimizer = Adam(learningRate: configuration.learningRate)
        for batch in configuration.batchPlan.schedule(for: task, epochs: configuration.epochs,
                                                      batchSize: configuration.batchSize).joined() {
            model.setTraining(true)
            let x = task.features.batch(batch, normalizedWith: task.statistics)
            let t = Tensor(shape: [batch.count, 4], scalars: batch.flatMap { teacher[$0]! })
            let (_, gradients) = valueWithGradient(at: model) { network in
                let logits = network(x)
                return crossEntropy(logits: logits, labels: batch.map { task.labels[$0] })
                    + klDivergence(logits: logits, teacherLogits: t, temperature: 2, reduction: .sum) * (0.5 / Float(batch.count))
            }
            optimizer.update(model, along: gradients)
        }
        for (fastValues, referenceValues) in zip(parameters(of: fast.model), parameters(of: model)) {
            let scale = referenceValues.map(Swift.abs).max() ?? 0
            let gap = zip(fastValues, referenceValues).map { Swift.abs($0 - $1) }.max() ?? 0
            #expect(gap <= 1e-4 * max(scale, 1), "largest gap \(gap) at scale \(scale)")
        }
        let untaught = try ToySpeakers(examplesPerClass: 8)
        configuration.distillation = 0
        _ = try QPAudioEraser(configuration: configuration).unlearn(untaught.model, task: try untaught.task(forget: [1]))
        #expect(parameters(of: untaught.model) != parameters(of: fast.model), "the term changed nothing")
    }

    @Test func shieldedForgottenRowsLearnNothingFromTheForgottenVoice() throws {
        func forgottenRowChanges(shielded: Bool) throws -> (row: Bool, others: Bool) {
            let speakers = try ToySpeakers(examplesPerClass: 8)
            let head = speakers.model.head, width = head.inputCount
            let weights = head.weight.value.scalars, biases = head.bias!.value.scalars
            var configuration = QPAudioEraser.Configuration()
            configuration.without = [.interference, .mixing]
            configuration.batchPlan.examples = .forget                         // only the forgotten voice is seen
            configuration.epochs = 2
            configuration.forgetTarget = .retainedUniform
            configuration.shieldsForgottenRows = shielded
            _ = try QPAudioEraser(configuration: configuration).unlearn(speakers.model, task: try speakers.task(forget: [1]))
            let after = head.weight.value.scalars
            return (after[width ..< 2 * width] != weights[width ..< 2 * width] || head.bias!.value.scalars[1] != biases[1],
                    after[0 ..< width] != weights[0 ..< width])
        }
        let shielded = try forgottenRowChanges(shielded: true), open = try forgottenRowChanges(shielded: false)
        #expect(!shielded.row && shielded.others)
        #expect(open.row && open.others)

        var uniform = QPAudioEraser.Configuration()
        uniform.shieldsForgottenRows = true
        let error = #expect(throws: ConfigurationError.self) { try uniform.validate() }
        #expect(error?.field == "shieldsForgottenRows")
    }

    /// Phase 4's regrowth: the whole head drawn afresh and trained by the recipe on the retained
    /// examples' embeddings, the network below it untouched. The forgotten classes (this request's and an
    /// earlier one's) never appear as labels, so their rows end shorter than every row that grew with its
    /// own examples, as a retraining leaves them. Stated margin: retained accuracy within 5 points.
    @Test func theRegrownHeadIsTheHeadARetrainingWouldGrow() throws {
        func regrown(seed: UInt64) throws -> (speakers: ToySpeakers, retainedBefore: Double, head: [Float]) {
            let speakers = try ToySpeakers(examplesPerClass: 12)
            let retainedBefore = speakers.accuracy(of: [2, 3])
            let shortened = try speakers.task(forget: [1], earlier: [0])
            let task = try UnlearningTask(classNames: shortened.classNames, forgetClasses: [1], previouslyForgottenClasses: [0],
                                          features: shortened.features, labels: shortened.labels,
                                          statistics: shortened.statistics, seed: seed,
                                          recipe: TrainingConfiguration(epochs: 20, batchSize: 8, learningRate: 3e-3))
            let head = speakers.model.head
            let below = speakers.model.namedParameters().filter { $0.parameter !== head.weight && $0.parameter !== head.bias }
            let belowBefore = below.map(\.parameter.value.scalars)
            var configuration = QPAudioEraser.Configuration()
            configuration.epochs = 0
            configuration.headEdit = .regrowth
            let run = try QPAudioEraser(configuration: configuration).unlearn(speakers.model, task: task)
            #expect(run.phases.last?.name == "head regrowth" && run.phases.last?.ran == true)
            #expect(below.map(\.parameter.value.scalars) == belowBefore)
            return (speakers, retainedBefore, head.weight.value.scalars + head.bias!.value.scalars)
        }
        let (speakers, retainedBefore, weights) = try regrown(seed: 7)
        #expect(speakers.accuracy(of: [0]) == 0 && speakers.accuracy(of: [1]) == 0)
        #expect(speakers.accuracy(of: [2, 3]) >= retainedBefore - 5)
        let width = speakers.model.head.inputCount
        let norms = (0 ..< 4).map { row in weights[row * width ..< (row + 1) * width].reduce(0) { $0 + $1 * $1 }.squareRoot() }
        #expect(max(norms[0], norms[1]) < min(norms[2], norms[3]), "row norms \(norms)")
        #expect(try regrown(seed: 7).head == weights)
        #expect(try regrown(seed: 8).head != weights)
    }

    /// The repair preset: the network below the head perturbed where the forget examples' gradient is
    /// largest, every head row drawn afresh (the forgotten rows' biases below the retained rows'), both
    /// trained together on retained examples only, then batch norm recalibrated. Forgetting one class after an
    /// earlier one (the toy's budget raised: 2 epochs over half of 24 examples is a single step), both
    /// forgotten classes end at 0% and their rows shorter than every retained row, which grew with their
    /// classes; every head row and every running statistic is new; same seed → same model, other seed →
    /// another. Stated margin: retained accuracy within 10 points (a fresh head after 16 steps).
    @Test func theRepairGrowsAFreshHeadWithTheRepairedNetwork() throws {
        func repaired(seed: UInt64) throws -> (speakers: ToySpeakers, retainedBefore: Double, model: [[Float]]) {
            let speakers = try ToySpeakers(examplesPerClass: 12)
            let retainedBefore = speakers.accuracy(of: [2, 3])
            let head = speakers.model.head
            let rowsBefore = head.weight.value.scalars, width = head.inputCount
            let statisticsBefore = speakers.model.namedParameters().filter { $0.name.hasSuffix("running_mean") }
                .map(\.parameter.value.scalars)
            var configuration = QPAudioEraser.Configuration.repair
            configuration.epochs = 8
            configuration.learningRate = 3e-3
            configuration.batchPlan.retainFraction = 1
            let run = try QPAudioEraser(configuration: configuration)
                .unlearn(speakers.model, task: try speakers.task(forget: [1], earlier: [0], seed: seed))
            #expect(run.phases.filter(\.ran).map(\.name)
                    == ["saliency", "fresh head", "backbone perturbation", "uncertainty fine-tune",
                        "batch-norm recalibration"])
            let rowsAfter = head.weight.value.scalars
            #expect((0 ..< 4).allSatisfy { rowsAfter[$0 * width ..< ($0 + 1) * width] != rowsBefore[$0 * width ..< ($0 + 1) * width] })
            let statisticsAfter = speakers.model.namedParameters().filter { $0.name.hasSuffix("running_mean") }
                .map(\.parameter.value.scalars)
            #expect(!statisticsAfter.isEmpty && zip(statisticsAfter, statisticsBefore).allSatisfy { $0 != $1 })
            return (speakers, retainedBefore, parameters(of: speakers.model))
        }
        let (speakers, retainedBefore, model) = try repaired(seed: 7)
        #expect(speakers.accuracy(of: [0]) == 0 && speakers.accuracy(of: [1]) == 0)
        #expect(speakers.accuracy(of: [2, 3]) >= retainedBefore - 10, "retained \(speakers.accuracy(of: [2, 3])), before \(retainedBefore)")
        let head = speakers.model.head, width = head.inputCount, weights = head.weight.value.scalars
        let norms = (0 ..< 4).map { row in weights[row * width ..< (row + 1) * width].reduce(0) { $0 + $1 * $1 }.squareRoot() }
        #expect(max(norms[0], norms[1]) < min(norms[2], norms[3]), "row norms \(norms)")
        #expect(try repaired(seed: 7).model == model)
        #expect(try repaired(seed: 8).model != model)
    }

    /// With `keptStages` k the repair runs the first k stages once and trains the rest on what they put
    /// out. Reference: the same steps through the whole network, recomputed step by step, with those stages
    /// in evaluation mode and their gradients dropped. The two end at the same weights (to rounding); the
    /// kept stages' weights and batch-norm statistics are exactly as before, every later weight moved.
    @Test func keptStagesTrainAsTheWholeNetworkWithThoseStagesFrozen() throws {
        let kept = 2
        var configuration = QPAudioEraser.Configuration.repair
        configuration.keptStages = kept
        configuration.perturbation = 0
        configuration.salientShare = 1
        configuration.recalibratesNormalization = false
        configuration.epochs = 3
        configuration.batchSize = 8
        let fast = try ToySpeakers(examplesPerClass: 8), reference = try ToySpeakers(examplesPerClass: 8)
        #expect(parameters(of: fast.model) == parameters(of: reference.model))
        func keptParameters(of model: any Classifier) -> [[Float]] {
            model.stages[..<kept].flatMap { ($0 as Module).namedParameters().map(\.parameter.value.scalars) }
        }
        let keptBefore = keptParameters(of: fast.model)
        let laterBefore = LaterStages(of: fast.model, from: kept).stages.map { ($0 as Module).trainableParameters }
            .joined().filter { $0.shape.count >= 2 }.map(\.value.scalars)

        let task = try fast.task(forget: [1])
        let run = try QPAudioEraser(configuration: configuration).unlearn(fast.model, task: task)
        #expect(run.phases.filter(\.ran).map(\.name) == ["fresh head", "kept stages' outputs", "uncertainty fine-tune"])
        let rate = try #require(run.trainingRate)   // timed on a fresh whole model, not the partial steps
        #expect(rate.examples == 2 * configuration.batchSize && rate.seconds > 0)
        #expect(keptParameters(of: fast.model) == keptBefore)
        let laterAfter = LaterStages(of: fast.model, from: kept).stages.map { ($0 as Module).trainableParameters }
            .joined().filter { $0.shape.count >= 2 }.map(\.value.scalars)
        #expect(!laterBefore.isEmpty && zip(laterAfter, laterBefore).allSatisfy { $0 != $1 })

        let model = reference.model
        QPAudioEraser.replaceHead(of: model, seed: task.seed)
        QPAudioEraser.lowerBiases(of: model.head, classes: task.forgetClasses, retained: task.retainedClasses)
        let frozen = Set(model.stages[..<kept].flatMap { ($0 as Module).trainableParameters.map(ObjectIdentifier.init) })
        let optimizer = Adam(learningRate: configuration.learningRate)
        for batch in configuration.batchPlan.schedule(for: task, epochs: configuration.epochs,
                                                      batchSize: configuration.batchSize).joined() {
            model.setTraining(true)
            for stage in model.stages[..<kept] { (stage as Module).setTraining(false) }
            let x = task.features.batch(batch, normalizedWith: task.statistics)
            var (_, gradients) = valueWithGradient(at: model) { crossEntropy(logits: $0(x), labels: batch.map { task.labels[$0] }) }
            for parameter in model.trainableParameters where frozen.contains(ObjectIdentifier(parameter)) {
                gradients[parameter] = nil
            }
            optimizer.update(model, along: gradients)
        }
        for (fastValues, referenceValues) in zip(parameters(of: fast.model), parameters(of: model)) {
            let scale = referenceValues.map(Swift.abs).max() ?? 0
            let gap = zip(fastValues, referenceValues).map { Swift.abs($0 - $1) }.max() ?? 0
            #expect(gap <= 1e-4 * max(scale, 1), "largest gap \(gap) at scale \(scale)")
        }
    }

    /// Keeping every stage would leave nothing to repair: refused before anything changes.
    @Test func keepingEveryStageIsRefused() throws {
        let speakers = try ToySpeakers(examplesPerClass: 4)
        var configuration = QPAudioEraser.Configuration.repair
        configuration.keptStages = speakers.model.stages.count
        let before = parameters(of: speakers.model)
        #expect(throws: UnlearningError.tooManyKeptStages(4, stageCount: 4)) {
            try QPAudioEraser(configuration: configuration).unlearn(speakers.model, task: try speakers.task(forget: [1]))
        }
        #expect(parameters(of: speakers.model) == before)
    }
}
