extension Tensor {
    /// The matrix product `op(A)·op(B)`, with `op` the transpose where the flag says so.
    ///
    /// - Shapes: `a` is `[…, m, k]` (or `[…, k, m]` when `transposeA`), `b` is `[…, k, n]` (or
    ///   `[…, n, k]` when `transposeB`); the leading batch axes broadcast as in NumPy, so
    ///   `[B, T, d]·[d, e]` and `[B, H, T, d]·[B, H, d, T]` both work. Result `[…, m, n]`.
    /// - Every product is one `cblas_sgemm` call with the transpose flags, never a transposed copy;
    ///   a batched left operand times a matrix is folded into a single `[B·m, k]·[k, n]` product.
    /// - Pullback: `∂op(A) = G·op(B)ᵀ`, `∂op(B) = op(A)ᵀ·G`, each again one product with flags, in
    ///   the precision of the forward product.
    /// - Precision: under ``Precision/bf16`` the operands are rounded to bfloat16 and multiplied by
    ///   oneDNN's bf16 matmul, accumulating in Float32 (``OneDNNMatmul``).
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        Tensor.matmul(self, other, transposeA: transposeSelf, transposeB: transposeOther)
    }

    /// See ``matmul(_:transposeSelf:transposeOther:)``.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        matmul(a, b, transposeA: transposeA, transposeB: transposeB, precision: Precision.current)
    }

    private static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false,
                               precision: Precision) -> Tensor {
        checkPrecondition(a.rank >= 2 && b.rank >= 2, "matmul needs operands of rank ≥ 2, got \(a.shape) and \(b.shape)")
        if b.rank == 2 && a.rank > 2 && !transposeA {
            let rows = a.shape[a.rank - 2]
            let product = matmul(a.reshaped(to: [-1, a.shape[a.rank - 1]]), b, transposeB: transposeB, precision: precision)
            return product.reshaped(to: Array(a.shape.dropLast(2)) + [rows, product.shape[1]])
        }
        let output = gemm(a, b, transposeA: transposeA, transposeB: transposeB, precision: precision)
        let (x, y, needA, needB) = (a.detached, b.detached, a.isRecorded, b.isRecorded)
        return record(output, inputs: [a, b]) { g in
            let gradientA: Tensor? = !needA ? nil : transposeA
                ? matmul(y, g, transposeA: transposeB, transposeB: true, precision: precision)
                : matmul(g, y, transposeB: !transposeB, precision: precision)
            let gradientB: Tensor? = !needB ? nil : transposeB
                ? matmul(g, x, transposeA: true, transposeB: transposeA, precision: precision)
                : matmul(x, g, transposeA: !transposeA, precision: precision)
            return [gradientA?.unbroadcast(to: x.shape), gradientB?.unbroadcast(to: y.shape)]
        }
    }
}

/// `op(A)·op(B)` for every pair of broadcast batch entries: one product per batch entry in Float32; in
/// bf16 one oneDNN primitive for a whole batch whose operands have the same batch shape, else one per entry.
func gemm(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool, precision: Precision) -> Tensor {
    let (rowsA, columnsA) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
    let (rowsB, columnsB) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
    let (m, k) = transposeA ? (columnsA, rowsA) : (rowsA, columnsA)
    let (kB, n) = transposeB ? (columnsB, rowsB) : (rowsB, columnsB)
    checkPrecondition(k == kB, "matmul inner extents differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
    let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
    let batch = broadcastShape(batchA, batchB)
    let stridesA = broadcastStrides(of: batchA, to: batch), stridesB = broadcastStrides(of: batchB, to: batch)
    let batchCount = batch.elementCount
    return Tensor(shape: batch + [m, n]) { output in
        guard m > 0 && n > 0 else { return }
        if k == 0 { output.initialize(repeating: 0); return }
        if precision == .bf16 {
            let whole = batchA == batchB ? batchCount : 1
            if let matmul = OneDNNMatmul.primitive(for: .init(batch: whole, m: m, n: n, k: k,
                                                              transposeA: transposeA, transposeB: transposeB)) {
                for first in stride(from: 0, to: batchCount, by: whole) {
                    let (offsetA, offsetB) = broadcastOffsets(first, batch, stridesA, stridesB)
                    matmul.run(a: a.storage.pointer + offsetA * rowsA * columnsA, b: b.storage.pointer + offsetB * rowsB * columnsB,
                               c: output.baseAddress! + first * m * n)
                }
                return
            }
        }
        forEachProduct(batchCount, flopsPerProduct: 2 * m * n * k) { entry, splitting in
            let (offsetA, offsetB) = broadcastOffsets(entry, batch, stridesA, stridesB)
            gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                 a.storage.pointer + offsetA * rowsA * columnsA, lda: columnsA,
                 b.storage.pointer + offsetB * rowsB * columnsB, ldb: columnsB,
                 output.baseAddress! + entry * m * n, ldc: n, splitting: splitting)
        }
    }
}

/// The batch entries of `a` and `b` (in matrices) that broadcast entry `entry` of `batch` reads.
private func broadcastOffsets(_ entry: Int, _ batch: [Int], _ stridesA: [Int], _ stridesB: [Int]) -> (Int, Int) {
    var offsetA = 0, offsetB = 0, remainder = entry
    for axis in batch.indices.reversed() {
        let index = remainder % batch[axis]
        remainder /= batch[axis]
        offsetA += index * stridesA[axis]
        offsetB += index * stridesB[axis]
    }
    return (offsetA, offsetB)
}
