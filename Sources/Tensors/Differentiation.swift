/// One recorded operation: the nodes of its differentiable inputs and the pullback that maps the gradient
/// of its output to the gradients of those inputs.
final class GradientNode: @unchecked Sendable {
    /// The input nodes, one per operand; `nil` where the operand is not recorded.
    let inputs: [GradientNode?]
    /// Maps the output gradient to one gradient per input (`nil` where the input is not recorded).
    /// `nil` for a leaf, the tensors whose gradients `valueWithGradient(at:of:)` returns.
    let pullback: ((Tensor) -> [Tensor?])?

    init(inputs: [GradientNode?], pullback: ((Tensor) -> [Tensor?])?) {
        self.inputs = inputs
        self.pullback = pullback
    }
}

/// Whether operations on recorded tensors record themselves. Off while pullbacks run and inside
/// ``withoutGradients(_:)``.
enum GradientRecording {
    @TaskLocal static var isEnabled = true
}

/// Runs `body` without recording any operation: use it for inference on tensors that may carry history.
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientRecording.$isEnabled.withValue(false, operation: body)
}

extension Tensor {
    /// Returns `value`, recording it as computed from `inputs` when any of them is recorded.
    ///
    /// Every differentiable primitive ends with this call, its forward computation just above and its
    /// pullback in the closure, so the two read side by side. The pullback receives the gradient of the
    /// output and returns one gradient per input, each of that input's shape, or `nil` for an input that
    /// is not recorded (check ``isRecorded`` before doing expensive work for it).
    static func record(_ value: Tensor, inputs: [Tensor], pullback: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        guard GradientRecording.isEnabled, inputs.contains(where: { $0.node != nil }) else { return value }
        let node = GradientNode(inputs: inputs.map(\.node), pullback: pullback)
        return Tensor(shape: value.shape, storage: value.storage, node: node)
    }

    /// A leaf of a new recording: gradients with respect to it are collected.
    func makingLeaf() -> (Tensor, GradientNode) {
        let node = GradientNode(inputs: [], pullback: nil)
        return (Tensor(shape: shape, storage: storage, node: node), node)
    }

    /// Sums this gradient over the axes that broadcasting expanded, giving a tensor of `shape`.
    /// The one place where broadcasting is undone for every operation.
    func unbroadcast(to shape: [Int]) -> Tensor {
        if self.shape == shape { return self }
        let offset = rank - shape.count
        checkPrecondition(offset >= 0, "cannot unbroadcast \(self.shape) to \(shape)")
        var axes = Array(0..<offset)
        for axis in shape.indices where shape[axis] == 1 && self.shape[axis + offset] != 1 {
            axes.append(axis + offset)
        }
        return sum(alongAxes: axes, keepingDimensions: true).reshaped(to: shape)
    }
}

/// Propagates `seed` (the gradient of `root`) back through the recorded graph and returns the gradient
/// of every leaf in `leaves`, zeros for a leaf that `root` does not depend on.
private func backpropagate(from root: Tensor, seed: Tensor, leaves: [GradientNode], shapes: [[Int]]) -> [Tensor] {
    guard let rootNode = root.node else {
        return shapes.map { Tensor.zeros($0) }
    }
    // Reverse topological order by an iterative depth-first search (graphs can be thousands deep).
    var order: [GradientNode] = []
    var visited: Set<ObjectIdentifier> = []
    var stack: [(GradientNode, Bool)] = [(rootNode, false)]
    while let (node, expanded) = stack.popLast() {
        if expanded { order.append(node); continue }
        guard visited.insert(ObjectIdentifier(node)).inserted else { continue }
        stack.append((node, true))
        for input in node.inputs { if let input, !visited.contains(ObjectIdentifier(input)) { stack.append((input, false)) } }
    }
    var gradients: [ObjectIdentifier: Tensor] = [ObjectIdentifier(rootNode): seed]
    let leafIDs = Set(leaves.map(ObjectIdentifier.init))
    withoutGradients {
        for node in order.reversed() {
            let id = ObjectIdentifier(node)
            guard let pullback = node.pullback else { continue }
            guard let upstream = gradients[id] else { continue }
            if !leafIDs.contains(id) { gradients[id] = nil }   // release as soon as it is consumed
            let inputGradients = pullback(upstream)
            checkPrecondition(inputGradients.count == node.inputs.count, "pullback returned the wrong number of gradients")
            for (input, gradient) in zip(node.inputs, inputGradients) {
                guard let input, let gradient else { continue }
                let key = ObjectIdentifier(input)
                gradients[key] = gradients[key].map { $0 + gradient } ?? gradient
            }
        }
    }
    return zip(leaves, shapes).map { leaf, shape in
        gradients[ObjectIdentifier(leaf)]?.detached ?? Tensor.zeros(shape)
    }
}

/// Evaluates `body` at `points` and returns its scalar value with the gradient with respect to each point.
///
/// Operations inside `body` record a graph; it is released when this function returns. Gradients
/// accumulate where a value is used more than once. `body` must return a tensor with one element.
///
/// ```swift
/// let (loss, grads) = valueWithGradient(at: [w, b]) { p in ((x.matmul(p[0]) + p[1]) - y).squared().mean() }
/// ```
public func valueWithGradient(at points: [Tensor], of body: ([Tensor]) throws -> Tensor) rethrows
    -> (value: Tensor, gradients: [Tensor]) {
    let leaves = points.map { $0.detached.makingLeaf() }
    let value = try GradientRecording.$isEnabled.withValue(true) { try body(leaves.map(\.0)) }
    checkPrecondition(value.count == 1, "valueWithGradient needs a scalar result, got shape \(value.shape)")
    let seed = Tensor.ones(value.shape)
    let gradients = backpropagate(from: value, seed: seed, leaves: leaves.map(\.1), shapes: points.map(\.shape))
    return (value.detached, gradients)
}

/// Evaluates `body` at `point` and returns its scalar value with the gradient with respect to `point`.
public func valueWithGradient(at point: Tensor, of body: (Tensor) throws -> Tensor) rethrows
    -> (value: Tensor, gradient: Tensor) {
    let (value, gradients) = try valueWithGradient(at: [point]) { try body($0[0]) }
    return (value, gradients[0])
}

/// The gradient of the scalar `body` at `point`.
public func gradient(at point: Tensor, of body: (Tensor) throws -> Tensor) rethrows -> Tensor {
    try valueWithGradient(at: point, of: body).gradient
}

/// The vector-Jacobian product: the gradient of `sum(body(x) ⊙ cotangent)` at `point`, for any output shape.
public func pullback(at point: Tensor, cotangent: Tensor, of body: (Tensor) throws -> Tensor) rethrows -> Tensor {
    let (leaf, node) = point.detached.makingLeaf()
    let value = try GradientRecording.$isEnabled.withValue(true) { try body(leaf) }
    checkPrecondition(value.shape == cotangent.shape,
                      "cotangent shape \(cotangent.shape) differs from the output shape \(value.shape)")
    return backpropagate(from: value, seed: cotangent, leaves: [node], shapes: [point.shape])[0]
}
