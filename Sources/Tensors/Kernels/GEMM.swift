import CBLAS
import CDNNL
import Dispatch

/// `C ← α·op(A)·op(B) + β·C` for row-major matrices: `op(A)` is `[m, k]`, `op(B)` is `[k, n]`, `C` is
/// `[m, n]`; `lda`, `ldb`, `ldc` are the row strides of the matrices as stored. The one place the engine
/// runs a matrix product: in OpenBLAS's `cblas_sgemm` or oneDNN's `dnnl_sgemm`, as
/// ``MatrixKernels/kernel(flops:)`` chooses for the whole product.
///
/// Threading: both libraries run single-threaded, and a large product is split into one column block
/// (or row block, for tall results) per engine thread, each a single-threaded call on the engine's
/// threads. So every parallel loop of the engine — products, element-wise kernels, im2col — shares one
/// pool of `ComputeThreads.count` threads: no OpenBLAS or OpenMP workers spin beside them on a 2-core
/// machine (measured: they took 10–15% of the CPU and made two-thread steps erratic).
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
    // Each piece writes its own block of C; concurrentPerform returns when all are done.
    let shared = UncheckedSendable((call, a, b, c))
    DispatchQueue.concurrentPerform(iterations: pieces) { piece in
        let (call, a, b, c) = shared.value
        let start = piece * block, count = min(block, extent - start)
        if splitColumns {
            call(m, count, a, transposeB ? b + start * ldb : b + start, c + start)
        } else {
            call(count, n, transposeA ? a + start : a + start * lda, b, c + start * ldc)
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
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for index in stride(from: thread, to: count, by: threads) { shared.value(index, false) }
        }
    }
}
