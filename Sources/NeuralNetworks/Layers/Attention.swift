import Foundation
import Tensors

/// Multi-head self-attention with one QKV projection, as timm's `Attention` (names `qkv`, `proj`).
///
/// Input `[B, N, D]`; `qkv` maps to `[B, N, 3·D]`, viewed as `[B, N, 3, H, D/H]` and permuted to
/// `[3, B, H, N, D/H]`; each head computes `softmax(Q·Kᵀ/√(D/H))·V`; heads are concatenated back to
/// `[B, N, D]` and projected by `proj`. The products are batched over `B·H` with transpose flags.
public final class MultiHeadAttention: Module, Layer {
    public let qkv: Linear, proj: Linear
    public let headCount: Int

    public init(dimension: Int, headCount: Int, qkvBias: Bool = true, using generator: inout some RandomNumberGenerator) {
        checkPrecondition(dimension % headCount == 0, "attention width \(dimension) not divisible by \(headCount) heads")
        qkv = Linear(inputCount: dimension, outputCount: 3 * dimension, bias: qkvBias, using: &generator)
        proj = Linear(inputCount: dimension, outputCount: dimension, using: &generator)
        self.headCount = headCount
    }

    public override var children: [(name: String, module: Module)] { [("qkv", qkv), ("proj", proj)] }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        checkPrecondition(input.rank == 3, "MultiHeadAttention needs [B, N, D], got \(input.shape)")
        let (batch, tokens, width) = (input.shape[0], input.shape[1], input.shape[2])
        let headWidth = width / headCount
        let projected = qkv(input).reshaped(to: [batch, tokens, 3, headCount, headWidth]).permuted([2, 0, 3, 1, 4])
        let q = projected.slice(alongAxis: 0, 0..<1).squeezingShape(at: [0])
        let k = projected.slice(alongAxis: 0, 1..<2).squeezingShape(at: [0])
        let v = projected.slice(alongAxis: 0, 2..<3).squeezingShape(at: [0])
        let scores = q.matmul(k, transposeOther: true) * (1 / Float(headWidth).squareRoot())
        let attended = scores.softmax(alongAxis: -1).matmul(v)           // [B, H, N, D/H]
        return proj(attended.permuted([0, 2, 1, 3]).reshaped(to: [batch, tokens, width]))
    }
}
