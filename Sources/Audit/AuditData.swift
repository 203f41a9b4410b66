import Datasets
import Foundation
import Tensors

/// What an audit reads: the original training data (the forgotten classes' deleted clips included:
/// the head re-fit and the relearning attacks use them, as an attacker holding them would) and the
/// test split, labelled, with the normalisation the models were trained with, and which classes were
/// forgotten (every class a model's history forgot).
public struct AuditData: Sendable {
    public let classNames: [String]
    public let train: LabelledExamples
    public let test: LabelledExamples
    public let statistics: NormalizationStatistics
    /// The forgotten classes `F`, sorted.
    public let forgetClasses: [Int]
    /// Indices into ``train`` and ``test`` of `F`'s examples and of the others', ascending.
    public let forgetTrain: [Int], retainTrain: [Int], forgetTest: [Int], retainTest: [Int]

    /// - Throws: ``AuditError`` when `F` is empty, out of range, every class, or has no training or no
    ///   test examples to audit with.
    public init(classNames: [String], train: LabelledExamples, test: LabelledExamples,
                statistics: NormalizationStatistics, forgetClasses: [Int]) throws {
        let forget = Set(forgetClasses)
        guard !forget.isEmpty else { throw AuditError.noForgetClass }
        guard forget.allSatisfy(classNames.indices.contains) else {
            throw AuditError.classOutOfRange(forget.sorted(), classCount: classNames.count)
        }
        guard forget.count < classNames.count else { throw AuditError.everyClassForgotten }
        self.classNames = classNames
        self.train = train
        self.test = test
        self.statistics = statistics
        self.forgetClasses = forget.sorted()
        forgetTrain = train.indices(ofClasses: forget)
        retainTrain = train.indices(excludingClasses: forget)
        forgetTest = test.indices(ofClasses: forget)
        retainTest = test.indices(excludingClasses: forget)
        for (part, indices) in [("training", forgetTrain), ("test", forgetTest)] where indices.isEmpty {
            throw AuditError.noExamples(part: part, classes: self.forgetClasses.map { classNames[$0] })
        }
    }

    public var classCount: Int { classNames.count }

    /// The classes not forgotten, ascending.
    public var retainedClasses: [Int] {
        let forget = Set(forgetClasses)
        return (0 ..< classCount).filter { !forget.contains($0) }
    }
}

/// An audit that cannot be run as asked.
public enum AuditError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case noForgetClass
    case classOutOfRange([Int], classCount: Int)
    case everyClassForgotten
    case noExamples(part: String, classes: [String])
    /// An audit needs at least two oracles for a band.
    case tooFewOracles(Int)

    public var description: String {
        switch self {
        case .noForgetClass:
            "nothing to audit: name the forgotten classes (--forget), or audit a model that records them"
        case let .classOutOfRange(classes, count):
            "classes \(classes) are outside the model's \(count) classes"
        case .everyClassForgotten:
            "every class is forgotten: there is no model left to audit"
        case let .noExamples(part, classes):
            "the \(part) split has no example of \(classes.joined(separator: ", ")): the audit needs their "
                + "deleted training clips and held-out test clips (point --data at the original dataset)"
        case let .tooFewOracles(count):
            "\(count) oracle\(count == 1 ? "" : "s"): the band needs at least 2 models retrained without the "
                + "forgotten classes (--oracles 3 is the default)"
        }
    }

    public var errorDescription: String? { description }
}
