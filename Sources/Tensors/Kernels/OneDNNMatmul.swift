import CDNNL
import Synchronization

/// Matrix products in bf16 (``Precision/bf16``) through oneDNN's matmul primitive: both operands
/// converted from our Float32 row-major matrices (transposed ones read through strides) to bfloat16 by
/// reorders, multiplied with bf16 dot products (AVX512-BF16, AMX), accumulated and written in Float32.
/// A batch of products of one shape is one primitive.
///
/// One `OneDNNMatmul` holds the primitive of one geometry and its reorders, made once and cached.
final class OneDNNMatmul: @unchecked Sendable {   // immutable after init; execution is serialised
    /// `batch` products `op(A)·op(B)`, `op(A)` `m × k`, `op(B)` `k × n`, each operand and result
    /// contiguous row-major matrices one after the other.
    struct Geometry: Hashable {
        let batch: Int, m: Int, n: Int, k: Int
        let transposeA: Bool, transposeB: Bool
    }

    private static let cache = Mutex<[Geometry: OneDNNMatmul?]>([:])

    /// The primitive for `geometry`, made on first use; `nil` when oneDNN is unavailable or declines.
    static func primitive(for geometry: Geometry) -> OneDNNMatmul? {
        if let cached = cache.withLock({ $0[geometry] }) { return cached }
        let made = OneDNNMatmul(geometry)
        cache.withLock { $0[geometry] = .some(made) }
        return made
    }

    private let step: OneDNNStep

    private init?(_ g: Geometry) {
        guard let engine = OneDNN.engine else { return nil }
        let (b, m, n, k) = (Int64(g.batch), Int64(g.m), Int64(g.n), Int64(g.k))
        let batched = g.batch > 1
        func dims(_ rows: Int64, _ columns: Int64) -> [Int64] { (batched ? [b] : []) + [rows, columns] }
        func strides(_ rows: Int64, _ columns: Int64, transposed: Bool) -> [Int64] {
            (batched ? [rows * columns] : []) + (transposed ? [1, rows] : [columns, 1])
        }
        let plain = batched ? dnnl_abc : dnnl_ab
        guard let a = MemoryDescriptor(dims(m, k), strides: strides(m, k, transposed: g.transposeA)),
              let bMatrix = MemoryDescriptor(dims(k, n), strides: strides(k, n, transposed: g.transposeB)),
              let c = MemoryDescriptor(dims(m, n), plain),
              let aOperand = MemoryDescriptor(dims(m, k), plain, dnnl_bf16),
              let bOperand = MemoryDescriptor(dims(k, n), dnnl_format_tag_any, dnnl_bf16) else { return nil }
        var (source, weights, destination) = (aOperand.value, bOperand.value, c.value)
        var descriptor = dnnl_matmul_desc_t()
        guard dnnl_matmul_desc_init(&descriptor, &source, &weights, nil, &destination) == dnnl_success,
              let step = OneDNNStep(&descriptor, hint: nil, engine: engine,
                                    arguments: [(DNNL_ARG_SRC, a, dnnl_query_src_md, .input),
                                                (DNNL_ARG_WEIGHTS, bMatrix, dnnl_query_weights_md, .input),
                                                (DNNL_ARG_DST, c, dnnl_query_dst_md, .output)])
        else { return nil }
        self.step = step
    }

    /// `c ← op(a)·op(b)` for every product of the batch.
    func run(a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        step.run([UnsafeMutableRawPointer(mutating: a), UnsafeMutableRawPointer(mutating: b), UnsafeMutableRawPointer(c)])
    }
}
