import Foundation
import Tensors

extension Adam {
    /// The suffixes of the state tensors, PyTorch's `optimizer.state_dict()` keys for Adam.
    public enum StateKey {
        /// The first moment `m` (PyTorch `exp_avg`).
        public static let firstMoment = "exp_avg"
        /// The second moment `v` (PyTorch `exp_avg_sq`).
        public static let secondMoment = "exp_avg_sq"
        /// AMSGrad's running maximum `v̂` (PyTorch `max_exp_avg_sq`); present only with `amsgrad`.
        public static let secondMomentMaximum = "max_exp_avg_sq"
        /// The update count `t` (PyTorch `step`), stored in the metadata because Float32 tensors count
        /// exactly only up to 2²⁴.
        public static let step = "step"
    }

    /// Everything this optimizer remembers about `model`'s parameters, under their names, so that
    /// ``loadState(_:for:)`` on a fresh optimizer continues bit for bit.
    ///
    /// For each trainable parameter `name` that has been updated at least once (PyTorch's names; see
    /// ``StateKey``):
    ///
    /// | where    | key                       | value                                    |
    /// |----------|---------------------------|------------------------------------------|
    /// | tensor   | `name.exp_avg`            | `m`, the parameter's shape               |
    /// | tensor   | `name.exp_avg_sq`         | `v`, the parameter's shape               |
    /// | tensor   | `name.max_exp_avg_sq`     | `v̂`, only with AMSGrad                   |
    /// | metadata | `name.step`               | `t` as a decimal integer                 |
    ///
    /// A parameter that has not been updated yet has no entry (PyTorch keeps no state for it either).
    /// A parameter the model holds under two names is stored under the first, in
    /// ``Module/namedParameters()`` order. The hyperparameters (learning rate, betas, ε, λ) are not state:
    /// the code that builds the optimizer sets them. The tensors are copies; later updates do not change them.
    ///
    /// ```swift
    /// try optimizer.state(for: model).write(to: url)
    /// let resumed = Adam(learningRate: 1e-3)
    /// try resumed.loadState(SafeTensors(contentsOf: url), for: model)
    /// ```
    public func state(for model: Module) -> SafeTensors {
        var tensors: [(name: String, tensor: Tensor)] = []
        var metadata: [String: String] = [:]
        for (name, parameter) in Self.stateParameters(of: model) {
            guard let state = core.states[ObjectIdentifier(parameter)] else { continue }
            tensors.append(("\(name).\(StateKey.firstMoment)", state.first.detached))
            tensors.append(("\(name).\(StateKey.secondMoment)", state.second.detached))
            if core.amsgrad { tensors.append(("\(name).\(StateKey.secondMomentMaximum)", state.secondMaximum.detached)) }
            metadata["\(name).\(StateKey.step)"] = String(state.step)
        }
        return SafeTensors(tensors, metadata: metadata)
    }

    /// Replaces all of this optimizer's state with `state`, as written by ``state(for:)`` for a model
    /// with `model`'s parameter names and shapes (PyTorch `optimizer.load_state_dict`).
    ///
    /// All or nothing: every name, shape and step count is checked first, and the optimizer is unchanged
    /// when any is wrong. A trainable parameter without entries starts fresh (`t = 0`), as it would have
    /// before its first update. Other metadata entries are ignored, so the state may share a file's
    /// metadata map with other records.
    ///
    /// - Throws: ``CheckpointError`` with `file` `nil` (the caller knows the file):
    ///   `.stateMismatch` listing tensors that belong to no trainable parameter of `model` (or an
    ///   AMSGrad maximum for an optimizer without AMSGrad), the missing partners of a parameter's
    ///   tensors, and mis-shaped ones; `.invalidMetadata` for a step count that is absent or not a
    ///   positive integer.
    public func loadState(_ state: SafeTensors, for model: Module) throws {
        let suffixes = [StateKey.firstMoment, StateKey.secondMoment]
            + (core.amsgrad ? [StateKey.secondMomentMaximum] : [])
        var fileTensors: [String: Tensor] = [:]
        for (name, tensor) in state.tensors { fileTensors[name] = tensor }
        var expected = Set<String>()
        var missing: [String] = [], misshaped: [CheckpointError.ShapeMismatch] = []
        var loaded: [(parameter: Parameter, step: Int, tensors: [Tensor])] = []
        for (name, parameter) in Self.stateParameters(of: model) {
            let keys = suffixes.map { "\(name).\($0)" }
            expected.formUnion(keys)
            let stepKey = "\(name).\(StateKey.step)"
            guard keys.contains(where: { fileTensors[$0] != nil }) || state.metadata[stepKey] != nil else { continue }
            var tensors: [Tensor] = []
            for key in keys {
                guard let tensor = fileTensors[key] else { missing.append(key); continue }
                if tensor.shape != parameter.shape {
                    misshaped.append(.init(name: key, modelShape: parameter.shape, fileShape: tensor.shape))
                }
                tensors.append(tensor)
            }
            guard let text = state.metadata[stepKey] else {
                throw CheckpointError(file: nil, problem: .invalidMetadata(key: stepKey, reason: "is missing"))
            }
            guard let step = Int(text), step > 0 else {
                throw CheckpointError(file: nil, problem: .invalidMetadata(
                    key: stepKey, reason: "is not a positive decimal integer: \(text.prefix(80))"))
            }
            loaded.append((parameter, step, tensors))
        }
        let unexpected = state.names.filter { !expected.contains($0) }
        guard missing.isEmpty && unexpected.isEmpty && misshaped.isEmpty else {
            throw CheckpointError(file: nil, problem: .stateMismatch(missing: missing, unexpected: unexpected,
                                                                     misshaped: misshaped))
        }
        var states: [ObjectIdentifier: ParameterState] = [:]
        for (parameter, step, tensors) in loaded {
            let parameterState = ParameterState(for: parameter, first: false, second: false, secondMaximum: false)
            parameterState.step = step
            parameterState.first = tensors[0].detached
            parameterState.second = tensors[1].detached
            if core.amsgrad { parameterState.secondMaximum = tensors[2].detached }
            states[ObjectIdentifier(parameter)] = parameterState
        }
        core.states = states
    }

    /// The trainable parameters under their first name, in ``Module/namedParameters()`` order: the
    /// parameters ``AdamUpdate`` keeps state for, each once.
    private static func stateParameters(of model: Module) -> [(name: String, parameter: Parameter)] {
        var visited = Set<ObjectIdentifier>()
        return model.namedParameters().filter {
            $0.parameter.isTrainable && visited.insert(ObjectIdentifier($0.parameter)).inserted
        }
    }
}
