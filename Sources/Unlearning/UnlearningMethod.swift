import Foundation
import NeuralNetworks
import Training

/// An unlearning method: changes a trained classifier in place so that it forgets a task's classes.
///
/// Each method is one file: a ``MethodConfiguration`` whose defaults are its paper's values (the only
/// place its settings are named), its entry in the registry (``MethodName``, which also gives its
/// display name), and the work itself in ``unlearn(_:task:observer:into:)``.
///
/// Methods never score themselves (no accuracy, no attack inside `unlearn`): evaluation is separate, so
/// every method is measured the same way.
///
/// ```swift
/// let method = try MethodName.qpaudioeraser.makeMethod(changes: JSONValue(parsing: #"{"epochs": 1}"#))
/// let run = try method.unlearn(model, task: task)
/// run.method            // "QPAudioEraser"
/// run.settings["epochs"] // "1"
/// ```
public protocol UnlearningMethod: Sendable {
    associatedtype Configuration: MethodConfiguration
    var configuration: Configuration { get set }
    /// The method with its published defaults.
    init()
    /// The method's work, on a configuration already checked by ``unlearn(_:task:observer:)``: makes
    /// `model` forget `task.forgetClasses` using only `task`'s examples, recording its phases, steps and
    /// losses in `run`. Call ``unlearn(_:task:observer:)`` instead.
    ///
    /// - Throws: ``TrainingError/nonFiniteLoss(phase:epoch:step:)`` when a loss diverges;
    ///   ``UnlearningError`` when the task lacks what the method needs.
    func unlearn(_ model: any Classifier, task: UnlearningTask, observer: TrainingObserver,
                 into run: inout UnlearningRun) throws
}

/// A method's settings: a ``CheckedConfiguration`` whose `init()` holds the published defaults.
public protocol MethodConfiguration: CheckedConfiguration {
    init()
    /// Configurations a user asks for by name (`qpae forget --preset paper`), each written out in full
    /// so that a change of the defaults never changes a preset. Default: none.
    static var presets: [String: Self] { get }
}

extension MethodConfiguration {
    public static var presets: [String: Self] { [:] }
}

extension UnlearningMethod {
    /// The method with `configuration`.
    public init(configuration: Configuration) {
        self.init()
        self.configuration = configuration
    }

    /// The method's entry in the registry: the ``MethodName`` whose ``MethodName/methodType`` this is.
    public static var methodName: MethodName {
        guard let name = MethodName.allCases.first(where: { ObjectIdentifier($0.methodType) == ObjectIdentifier(Self.self) })
        else { fatalError("\(Self.self) is missing from MethodName.methodType") }
        return name
    }

    /// The name tables and reports print (``MethodName/displayName``).
    public var name: String { Self.methodName.displayName }

    /// Every setting, by its configuration field's name (``CheckedConfiguration/settings``).
    public var settings: [String: String] { configuration.settings }

    /// Checks the configuration, then makes `model` forget `task.forgetClasses`.
    ///
    /// - Parameter observer: told of every step and epoch of the method's passes.
    /// - Throws: ``ConfigurationError`` for a setting out of range (nothing has changed then);
    ///   ``TrainingError/nonFiniteLoss(phase:epoch:step:)`` when a loss diverges; ``UnlearningError``
    ///   when the task lacks what the method needs.
    public func unlearn(_ model: any Classifier, task: UnlearningTask,
                        observer: TrainingObserver = .silent) throws -> UnlearningRun {
        try ConfigurationError.within(owner: name) { try configuration.validate() }
        var run = UnlearningRun(method: name, settings: settings)
        try unlearn(model, task: task, observer: observer, into: &run)
        return run
    }
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

    /// The method's display name.
    public var method: String
    /// Every setting of the method's configuration (``CheckedConfiguration/settings``).
    public var settings: [String: String]
    public var phases: [Phase]
    /// Mean loss of each fine-tuning epoch, in order.
    public var epochLosses: [Double]
    /// Optimizer steps taken, over all epochs.
    public var steps: Int
    /// Examples seen, over all epochs.
    public var examplesSeen: Int
    /// How fast the run's optimizer steps over the task's examples went, `nil` when it took none or its
    /// steps did more than train (teachers' passes): what training the model costs on this machine at
    /// the time of the run. Steps over later stages only (kept stages) leave the rate of whole-model steps
    /// timed on a fresh model instead.
    public var trainingRate: TrainingRate?

    /// Wall time of optimizer steps and the examples they took.
    public struct TrainingRate: Codable, Sendable, Equatable {
        public var examples: Int
        public var seconds: Double

        public init(examples: Int, seconds: Double) {
            (self.examples, self.seconds) = (examples, seconds)
        }

        /// Seconds per example of a step (forward, backward, update).
        public var secondsPerExample: Double { seconds / Double(examples) }
    }

    public init(method: String, settings: [String: String], phases: [Phase] = [], epochLosses: [Double] = [],
                steps: Int = 0, examplesSeen: Int = 0, trainingRate: TrainingRate? = nil) {
        self.method = method
        self.settings = settings
        self.phases = phases
        self.epochLosses = epochLosses
        self.steps = steps
        self.examplesSeen = examplesSeen
        self.trainingRate = trainingRate
    }

    /// The settings as one line for people, by name: `batchSize 32, epochs 5, …`.
    public var settingsLine: String { Self.settingsLine(settings) }

    /// `settings` as ``settingsLine`` prints them.
    public static func settingsLine(_ settings: [String: String]) -> String {
        settings.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
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
