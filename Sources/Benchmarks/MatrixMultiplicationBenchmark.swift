import CBLAS
import Tensors

/// Square single-precision matrix products, `C = op(A)·op(B)` with `A`, `B`, `C` all `n × n`, timed two ways:
///
/// - **direct**: one `cblas_sgemm` on raw 64-byte-aligned buffers allocated once, `C` overwritten
///   (`β = 0`): the ceiling the engine can reach.
///   OpenBLAS uses the engine's thread count (its own threading).
/// - **engine**: `Tensor.matmul(a, b, transposeA:, transposeB:)`, which allocates its output tensor on
///   every call (that allocation is part of what is measured) and splits the product over the engine's
///   threads, one single-threaded `cblas_sgemm` each.
///
/// Both count `2n³` flops. The engine is timed first, then the direct call (see `measureEngineThenReference`).
struct MatrixMultiplicationBenchmark {
    /// One product to time: its size and transpose flags.
    struct Case {
        let size: Int
        var transposeA = false
        var transposeB = false

        var label: String {
            let flags = [transposeA ? "transposeA" : nil, transposeB ? "transposeB" : nil].compactMap { $0 }
            return "\(size)×\(size)·\(size)×\(size)" + (flags.isEmpty ? "" : " " + flags.joined(separator: "+"))
        }

        var flops: Double { 2 * Double(size) * Double(size) * Double(size) }
    }

    /// The products of a full run: 512, 1024, 2048 plain, and 1024 with each transpose flag.
    static let fullCases = [Case(size: 512), Case(size: 1024), Case(size: 2048),
                            Case(size: 1024, transposeA: true), Case(size: 1024, transposeB: true)]

    /// The products of a `--quick` run.
    static let quickCases = [Case(size: 512), Case(size: 1024), Case(size: 1024, transposeA: true),
                             Case(size: 1024, transposeB: true)]

    let cases: [Case]
    /// Repetitions for a product of `size`: more for small, fast products.
    let plan: (Int) -> RepetitionPlan

    /// Times every case and returns the table; `generator` makes the operands (standard normal).
    func run(using generator: inout SplitMix64) -> TextTable {
        var table = TextTable("product", "direct ms", "direct GFLOP/s", "engine ms", "engine GFLOP/s",
                              "engine/direct", "best engine/direct")
        for item in cases {
            let n = item.size
            let a = Tensor.randomNormal([n, n], using: &generator)
            let b = Tensor.randomNormal([n, n], using: &generator)
            let (rawA, rawB, rawC) = (AlignedBuffer(copying: a), AlignedBuffer(copying: b), AlignedBuffer(count: n * n))
            let direct = {
                withOpenBLASThreads {
                    cblas_sgemm(CblasRowMajor, item.transposeA ? CblasTrans : CblasNoTrans,
                                item.transposeB ? CblasTrans : CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                                rawA.pointer, Int32(n), rawB.pointer, Int32(n), 0, rawC.pointer, Int32(n))
                    return rawC.pointer[0]
                }
            }
            let engine = {
                Tensor.matmul(a, b, transposeA: item.transposeA, transposeB: item.transposeB)
                    .withUnsafeBufferPointer { $0[0] }
            }
            let timings = measureEngineThenReference(plan(n), engine: [engine], reference: [direct])
            let (d, e) = (timings.reference[0], timings.engine[0])
            table.append([item.label,
                          Format.milliseconds(d.medianMilliseconds), Format.rate(d.gigaflopsPerSecond(item.flops)),
                          Format.milliseconds(e.medianMilliseconds), Format.rate(e.gigaflopsPerSecond(item.flops)),
                          Format.ratio(d.median / e.median), Format.ratio(d.best / e.best)])
        }
        return table
    }
}
