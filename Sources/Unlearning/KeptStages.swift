import Datasets
import NeuralNetworks
import Tensors
import Training

/// The stages of `model` from stage `first` on, with its head, as a classifier of what stage `first`
/// reads. Its parameters are those stages' and the head's (the model's own objects, so a step on this
/// updates the model), and switching it to training mode leaves the first stages as they are.
final class LaterStages: Module, Classifier {
    let model: any Classifier
    let first: Int

    init(of model: any Classifier, from first: Int) {
        checkPrecondition(first >= 0 && first < model.stages.count,
                          "LaterStages: stage \(first) of a model with \(model.stages.count) stages")
        (self.model, self.first) = (model, first)
    }

    var head: Linear { model.head }
    var stages: [any Layer] { Array(model.stages[first...]) }

    override var children: [(name: String, module: Module)] {
        model.stages[first...].enumerated().map { ("\(first + $0.offset)", $0.element as Module) } + [("head", model.head)]
    }

    func embedding(_ input: Tensor) -> Tensor { runStages(stages.indices, on: input) }

    func callAsFunction(_ input: Tensor) -> Tensor { head(embedding(input)) }
}

/// What a model's first `stages` stages put out for some of a task's examples, computed once in
/// evaluation mode (batch norm's running statistics, no gradient) from the normalised features, so that
/// epochs over the later stages (``LaterStages``) need not run the first ones again.
struct KeptStageOutputs {
    /// How many of the model's stages were run.
    let stages: Int
    /// One example's output, without the batch axis.
    let shape: [Int]
    private let rows: [Int: Int]
    private let values: [Float]

    init(of model: any Classifier, stages: Int, task: UnlearningTask, examples: [Int], batchSize: Int = 64) {
        var values = [Float](), shape = [Int]()
        forEachBatch(of: model, training: false, indices: examples, batchSize: batchSize, purpose: "kept stages' outputs",
                     inputs: { task.features.batch($0, normalizedWith: task.statistics) }) { input in
            let output = model.runStages(0 ..< stages, on: input)
            shape = Array(output.shape.dropFirst())
            values += output.scalars
        }
        self.stages = stages
        self.shape = shape
        self.values = values
        rows = Dictionary(uniqueKeysWithValues: examples.enumerated().map { ($0.element, $0.offset) })
    }

    /// The outputs for `examples` (each among those computed), `[examples.count] + shape`.
    func batch(_ examples: [Int]) -> Tensor {
        let width = shape.reduce(1, *)
        var scalars = [Float]()
        scalars.reserveCapacity(examples.count * width)
        for example in examples {
            let row = rows[example]
            checkPrecondition(row != nil, "KeptStageOutputs: example \(example) was not computed")
            scalars += values[row! * width ..< (row! + 1) * width]
        }
        return Tensor(shape: [examples.count] + shape, scalars: scalars)
    }
}
