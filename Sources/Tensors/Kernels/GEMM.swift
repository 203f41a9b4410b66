import CBLAS
import CDNNL

/// `C ← α·op(A)·op(B) + β·C` for row-major matrices: `op(A)` is `[m, k]`, `op(B)` is `[k, n]`, `C` is
/// `[m, n]`; `lda`, `ldb`, `ldc` are the row strides of the matrices as stored. The one place the engine
/// runs a matrix product: in OpenBLAS's `cblas_sgemm` or oneDNN's `dnnl_sgemm`, as
/// ``MatrixKernels/kernel(flops:)`` chooses for the whole product.
///
/// Threading: both libraries run single-threaded, and a large product is split into one column block
/// (or row block, for tall results) per engine thread, each a single-threaded call on the engine's
/// threads (``runConcurrently(_:_:)``, OpenMP's, which oneDNN's convolutions use too). So every parallel
/// loop of the engine — products, element-wise kernels, im2col, convolutions — shares one pool of
/// `ComputeThreads.count` threads: no OpenBLAS workers or second pool spin beside them on a 2-core
/// machine (measured: they took 10–20% of the CPU and made two-thread steps erratic).
/// `splitting: false` runs it on the calling thread only (for products already spread over threads);
/// `kernel` overrides the choice (tests run both libraries on the same product).
func gemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
          _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
          beta: Float = 0, _ c: UnsafeMutablePointer<Float>, ldc: Int, splitting: Bool = true,
          kernel: MatrixKernel? = nil) {
    let kernel = kernel ?? MatrixKernels.kernel(flops: 2 * m * n * k)
    func call(m: Int, n: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        if kernel == .oneDNN {
            // OpenMP's thread count is per calling thread: one here, the engine's count for convolutions.
            omp_set_num_threads(1)
            if dnnl_sgemm(CChar(UInt8(ascii: transposeA ? "T" : "N")), CChar(UInt8(ascii: transposeB ? "T" : "N")),
                          Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc)) == dnnl_success {
                return
            }
        }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    let threads = splitting ? ComputeThreads.count : 1
    // Below about 2 MFLOP the split costs more than it gains.
    guard threads > 1, m * n * k >= 1 << 20, max(m, n) >= 2 * threads else {
        call(m: m, n: n, a: a, b: b, c: c)
        return
    }
    let splitColumns = n >= m
    let extent = splitColumns ? n : m
    // Blocks of a multiple of 16 columns or rows keep the microkernel's tiles whole.
    let block = ((extent + threads - 1) / threads + 15) / 16 * 16
    let pieces = (extent + block - 1) / block
    // Each piece writes its own block of C; runConcurrently returns when all are done.
    runConcurrently(pieces) { piece in
        let start = piece * block, count = min(block, extent - start)
        if splitColumns {
            call(m: m, n: count, a: a, b: transposeB ? b + start * ldb : b + start, c: c + start)
        } else {
            call(m: count, n: n, a: transposeA ? a + start : a + start * lda, b: b, c: c + start * ldc)
        }
    }
}

/// Runs `count` independent products, `body(index, splitting)`: spread over the engine's threads (each
/// product single-threaded, `splitting == false`) when there are enough of them — batched products of
/// small matrices such as attention heads — else one after another, each free to split.
func forEachProduct(_ count: Int, flopsPerProduct: Int, _ body: (_ index: Int, _ splitting: Bool) -> Void) {
    let threads = ComputeThreads.count
    guard threads > 1, count >= threads, count * flopsPerProduct >= 1 << 20 else {
        for index in 0..<count { body(index, true) }
        return
    }
    runConcurrently(threads) { thread in
        for index in stride(from: thread, to: count, by: threads) { body(index, false) }
    }
}
