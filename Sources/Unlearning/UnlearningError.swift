import Foundation

/// An erasure request that cannot be carried out, or a run that went wrong, with the fix.
public enum UnlearningError: Error, Equatable, Sendable {
    case noForgetClass
    case classOutOfRange(Int, classCount: Int)
    /// The class was forgotten by an earlier request.
    case alreadyForgotten(String)
    /// The request (with earlier ones) would leave no class to recognise.
    case forgetsEveryClass(classCount: Int)
    /// A forget class has no training examples to unlearn from.
    case noTrainingExamples(className: String)
    /// Examples of a class forgotten earlier were passed in, though that data must stay deleted.
    case deletedDataPresent(className: String)
    /// The method needs a second network (a fresh one, or a frozen copy of the original) but the task
    /// has no ``UnlearningTask/makeModel`` factory.
    case missingModelFactory(method: String)
    /// The method retrains with the original recipe but the task has no ``UnlearningTask/recipe``.
    case missingRecipe(method: String)
    /// The configuration keeps at least as many stages as the model has (`keptStages`).
    case tooManyKeptStages(Int, stageCount: Int)
}

extension UnlearningError: CustomStringConvertible, LocalizedError {
    public var description: String {
        switch self {
        case .noForgetClass:
            "no class to forget was named: give at least one --forget CLASS"
        case let .classOutOfRange(index, count):
            "class index \(index) is outside the model's \(count) classes (0…\(count - 1))"
        case let .alreadyForgotten(name):
            "class '\(name)' was already forgotten by an earlier request; its data is deleted, so there is "
                + "nothing left to unlearn (`qpae evaluate --forget \(name)` re-tests it)"
        case let .forgetsEveryClass(count):
            "this request would leave none of the \(count) classes to recognise: forget fewer classes, or "
                + "delete the model instead"
        case let .noTrainingExamples(name):
            "class '\(name)' has no training examples in the data, so there is nothing to unlearn from: "
                + "check --data and the class name"
        case let .deletedDataPresent(name):
            "examples of '\(name)', forgotten by an earlier request, were passed in: that data was deleted "
                + "to honour the request and must not be used again"
        case let .missingModelFactory(method):
            "\(method) needs a freshly initialised model of the same architecture, but the task has no model "
                + "factory: pass `makeModel:` to UnlearningTask (the experiment builds it from the architecture "
                + "and a seed)"
        case let .missingRecipe(method):
            "\(method) retrains with the original model's training recipe, but the task has none: pass "
                + "`recipe:` (the TrainingConfiguration the model was trained with) to UnlearningTask"
        case let .tooManyKeptStages(kept, count):
            "keptStages \(kept) leaves nothing to repair: the model has \(count) stages below its head, so keep "
                + "0…\(count - 1) of them"
        }
    }

    public var errorDescription: String? { description }
}
