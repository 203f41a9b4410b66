import Foundation
import NeuralNetworks
import Training

/// An unlearning method: changes a trained classifier in place so that it forgets a task's classes.
///
/// Methods never score themselves (no accuracy, no attack inside `unlearn`): evaluation is separate, so
/// every method is measured the same way. Each method is one file with a `Configuration` whose defaults
/// are its paper's values.
public protocol UnlearningMethod {
    /// The name reports and the command line use.
    var name: String { get }
    /// Every setting of the method, by its configuration field name, for reports.
    var settings: [String: String] { get }
    /// Makes `model` forget `task.forgetClasses`, using only `task`'s examples.
    ///
    /// - Parameter progress: called after every optimizer step of a fine-tuning phase.
    /// - Throws: ``UnlearningError/nonFiniteLoss(phase:epoch:step:)`` when a loss diverges.
    func unlearn(_ model: any Classifier, task: UnlearningTask,
                 progress: ((TrainingProgress) -> Void)?) throws -> UnlearningRun
}

/// What one run of a method did and how long each part took (not how well it worked).
public struct UnlearningRun: Codable, Sendable, Equatable {
    /// One phase (or step) of a method.
    public struct Phase: Codable, Sendable, Equatable {
        public var name: String
        /// `false` when the configuration switched the phase off.
        public var ran: Bool
        public var seconds: Double
    }

    public var method: String
    public var settings: [String: String]
    public var phases: [Phase]
    /// Mean loss of each fine-tuning epoch, in order.
    public var epochLosses: [Double]
    /// Optimizer steps taken, over all epochs.
    public var steps: Int
    /// Examples seen, over all epochs.
    public var examplesSeen: Int

    public init(method: String, settings: [String: String], phases: [Phase] = [], epochLosses: [Double] = [],
                steps: Int = 0, examplesSeen: Int = 0) {
        self.method = method
        self.settings = settings
        self.phases = phases
        self.epochLosses = epochLosses
        self.steps = steps
        self.examplesSeen = examplesSeen
    }

    /// Wall time of all phases.
    public var seconds: Double { phases.reduce(0) { $0 + $1.seconds } }

    /// Runs `body` as the phase `name` when `enabled`, recording its time; records it as skipped otherwise.
    /// `body` gets the run to record its steps and losses in.
    @discardableResult
    mutating func phase<T>(_ name: String, enabled: Bool = true, _ body: (inout UnlearningRun) throws -> T) rethrows -> T? {
        guard enabled else {
            phases.append(Phase(name: name, ran: false, seconds: 0))
            return nil
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body(&self)
        phases.append(Phase(name: name, ran: true,
                            seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
        return result
    }
}
