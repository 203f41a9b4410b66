import Testing
@testable import Tensors

/// Matrix products run in OpenBLAS or oneDNN (``MatrixKernels``): both must compute the same product,
/// and the choice must never leave a product on generic kernels when the CPU has better ones.
@Suite("Matrix-product kernels")
struct MatrixKernelTests {
    /// Every transpose combination, row strides wider than the rows, α and β, odd extents, a product
    /// big enough to be split over threads and one that is not: each library against a double-precision
    /// loop.
    @Test(arguments: [MatrixKernel.openBLAS, .oneDNN])
    func bothLibrariesComputeTheProduct(_ kernel: MatrixKernel) {
        var generator = SplitMix64(seed: 11)
        for (m, n, k) in [(7, 5, 3), (97, 64, 97), (130, 200, 70)] {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    let (rowsA, columnsA) = transposeA ? (k, m) : (m, k)
                    let (rowsB, columnsB) = transposeB ? (n, k) : (k, n)
                    let (lda, ldb, ldc) = (columnsA + 3, columnsB + 1, n + 2)
                    let a = (0 ..< rowsA * lda).map { _ in generator.nextUnitFloat() * 2 - 1 }
                    let b = (0 ..< rowsB * ldb).map { _ in generator.nextUnitFloat() * 2 - 1 }
                    var c = (0 ..< m * ldc).map { _ in generator.nextUnitFloat() * 2 - 1 }
                    let (alpha, beta): (Float, Float) = (0.75, 0.5)
                    var expected = c.map(Double.init)
                    for i in 0 ..< m {
                        for j in 0 ..< n {
                            var sum = 0.0
                            for p in 0 ..< k {
                                let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                                let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                                sum += Double(x) * Double(y)
                            }
                            expected[i * ldc + j] = Double(alpha) * sum + Double(beta) * expected[i * ldc + j]
                        }
                    }
                    c.withUnsafeMutableBufferPointer { c in
                        gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                             a, lda: lda, b, ldb: ldb, beta: beta, c.baseAddress!, ldc: ldc, kernel: kernel)
                    }
                    var worst = 0.0
                    for i in 0 ..< m {
                        for j in 0 ..< n { worst = max(worst, abs(Double(c[i * ldc + j]) - expected[i * ldc + j])) }
                        for j in n ..< ldc {
                            #expect(Double(c[i * ldc + j]) == expected[i * ldc + j], "padding of C written")
                        }
                    }
                    // Float32 sums of k terms of magnitude < 1: a few ulps of √k·k.
                    #expect(worst < 1e-5 * Double(k), "\(kernel) \(m)×\(n)×\(k) A\(transposeA ? "ᵀ" : "") B\(transposeB ? "ᵀ" : ""): off by \(worst)")
                }
            }
        }
    }

    @Test func generationOfTheKernelsDecidesTheLibrary() {
        let small = MatrixKernels.crossoverFlops - 1, large = MatrixKernels.crossoverFlops
        // OpenBLAS tuned for this CPU: small products there, the rest in oneDNN.
        #expect(MatrixKernels.kernel(flops: small, openBLAS: .avx512, cpu: .avx512) == .openBLAS)
        #expect(MatrixKernels.kernel(flops: large, openBLAS: .avx512, cpu: .avx512) == .oneDNN)
        #expect(MatrixKernels.kernel(flops: small, openBLAS: .avx2, cpu: .avx2) == .openBLAS)
        // Older kernels than the CPU (generic SSE3 on a Sapphire Rapids, Haswell's on an AVX-512 CPU),
        // or a core name we do not know: everything in oneDNN.
        for openBLAS in [VectorLevel.generic, .avx, .avx2, nil] {
            #expect(MatrixKernels.kernel(flops: small, openBLAS: openBLAS, cpu: .avx512) == .oneDNN)
            #expect(MatrixKernels.kernel(flops: large, openBLAS: openBLAS, cpu: .avx512) == .oneDNN)
        }
        #expect(MatrixKernels.level(ofOpenBLASCore: "Prescott") == .generic)
        #expect(MatrixKernels.level(ofOpenBLASCore: "Cooperlake") == .avx512)
        #expect(MatrixKernels.level(ofOpenBLASCore: "Zen") == .avx2)
        #expect(MatrixKernels.level(ofOpenBLASCore: "SomeFutureCore") == nil)
    }

    /// On this machine: a CPU with AVX2 or better never runs a product on generic kernels.
    @Test func noProductRunsOnGenericKernelsWhenTheCPUHasAVX2() {
        let cpu = MatrixKernels.instructionSet.level
        for flops in [2, 1_000, 100_000, MatrixKernels.crossoverFlops - 1, MatrixKernels.crossoverFlops, 1 << 30] {
            let level = MatrixKernels.level(flops: flops)
            if cpu >= .avx2 {
                #expect(level >= .avx2, "a \(flops)-flop product runs on \(level) kernels (\(MatrixKernels.summary))")
            }
        }
        #expect(MatrixKernels.summary.contains(MatrixKernels.openBLASCore))
    }
}
