import Datasets
import Foundation
import NeuralNetworks
import Tensors
import Training

/// The knowledge-distillation pieces that ``SCRUB`` and ``BadTeacher`` share: teachers made from the
/// task's model factory and teacher logits computed without recording. The student's passes are the
/// shared training loop, with a loss that asks the teachers.
///
/// A teacher is a second network of the student's architecture, in inference mode (batch norm uses its
/// running statistics, PyTorch `teacher.eval()`), whose logits are computed inside
/// ``withoutGradients(_:)`` (PyTorch `with torch.no_grad()`): it receives no gradient and no update, so
/// it stays exactly as it was made.
///
/// The divergence itself is ``klDivergence(logits:teacherLogits:temperature:reduction:)``,
/// `T²·KL(softmax(t/T) ‖ softmax(s/T))` per example, the teacher's distribution first: SCRUB's
/// `DistillKL` and, at `T = 1`, Bad Teacher's `UnlearnerLoss` up to its constant factor.
enum Distillation {
    /// A frozen copy of `model`: a fresh network from `task`'s factory loaded with `model`'s parameters and
    /// buffers (PyTorch `copy.deepcopy(model).eval()`), in inference mode. Later changes to `model` do not
    /// reach it (tensors are values: an update copies the storage it writes).
    ///
    /// - Throws: ``UnlearningError/missingModelFactory(method:)`` without a factory; `CheckpointError`
    ///   when the factory's architecture differs from `model`'s.
    static func frozenCopy(of model: any Classifier, task: UnlearningTask, method: String) throws -> any Classifier {
        let copy = try freshModel(task: task, method: method)
        try copy.loadState(from: model.state())
        return copy
    }

    /// A freshly initialised network from `task`'s factory, in inference mode: Bad Teacher's
    /// "incompetent teacher".
    ///
    /// - Throws: ``UnlearningError/missingModelFactory(method:)`` without a factory.
    static func freshModel(task: UnlearningTask, method: String) throws -> any Classifier {
        guard let makeModel = task.makeModel else { throw UnlearningError.missingModelFactory(method: method) }
        let model = makeModel()
        model.setTraining(false)
        return model
    }

    /// `teacher(x)` without recording: logits `[N, K]` that carry no gradient history.
    static func teacherLogits(_ teacher: any Classifier, for x: Tensor) -> Tensor {
        withoutGradients { teacher(x) }
    }

    /// Row `i` of `first` where `takeSecond[i]` is `false`, of `second` where it is `true`; both `[N, K]`.
    ///
    /// Choosing whole rows of logits chooses the rows of their softmax too, so this is Bad Teacher's
    /// `labels·softmax(u) + (1 − labels)·softmax(f)` for 0/1 labels.
    static func rows(of first: Tensor, or second: Tensor, takingSecondWhere takeSecond: [Bool]) -> Tensor {
        checkPrecondition(first.rank == 2 && first.shape == second.shape && first.shape[0] == takeSecond.count,
                          "Distillation.rows: \(first.shape) and \(second.shape) need one flag per row (\(takeSecond.count))")
        let width = first.shape[1]
        let a = first.scalars, b = second.scalars
        var mixed = [Float]()
        mixed.reserveCapacity(a.count)
        for (row, useSecond) in takeSecond.enumerated() {
            mixed += (useSecond ? b : a)[row * width ..< (row + 1) * width]
        }
        return Tensor(shape: first.shape, scalars: mixed)
    }
}
