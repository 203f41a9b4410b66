import Foundation
import Tensors

/// `qpae-benchmark kernels`: the engine's matmul against direct `cblas_sgemm`, every model product shape
/// in OpenBLAS and in oneDNN with the engine's choice, and conv2d forward and forward+backward for every
/// ResNet18 convolution shape against the bare GEMMs it needs.
func runKernelsBenchmark(_ options: Options) {
    var generator = SplitMix64(seed: 20_240_601)
    let backgroundLoad = BackgroundLoad()

    print("Tensors benchmark\(options.quick ? " (--quick)" : "")")
    Machine.current().headerLines(threads: ComputeThreads.count).forEach { print($0) }
    print("Load:     \(BackgroundLoad.loadAverages) (1/5/15-min load averages at start; another process on a core"
          + " spoils two-thread figures)")

    // GEMM: about 25 ms of work per timed run at 512, fewer runs for the bigger products.
    let gemmPlan: (Int) -> RepetitionPlan = { size in
        if options.quick { return RepetitionPlan(warmUps: 1, repetitions: size <= 512 ? 10 : 4) }
        return RepetitionPlan(warmUps: 2, repetitions: size <= 512 ? 30 : size <= 1024 ? 15 : 7)
    }
    let gemm = MatrixMultiplicationBenchmark(
        cases: options.quick ? MatrixMultiplicationBenchmark.quickCases : MatrixMultiplicationBenchmark.fullCases,
        plan: gemmPlan)
    let gemmRuns = gemmPlan(1024)
    print("\nGEMM  C = op(A)·op(B), n×n, 2n³ flops; direct cblas_sgemm on raw buffers vs Tensor.matmul (allocates C)")
    print("      median of \(gemmRuns.repetitions) timed runs at 1024 (more at 512, fewer at 2048)"
          + " after \(gemmRuns.warmUps) warm-up(s), direct and engine interleaved; best = fastest run")
    print(gemm.run(using: &generator).rendered)

    let productPlan = options.quick ? RepetitionPlan(warmUps: 1, repetitions: 5) : RepetitionPlan(warmUps: 3, repetitions: 21)
    print("\nModel products  every matrix-product shape of the three models, one thread, OpenBLAS (core"
          + " \(MatrixKernels.openBLASCore)) against oneDNN's sgemm on raw buffers; median of \(productPlan.repetitions) runs,"
          + " alternated; 'choice vs faster' = the faster library's time ÷ the chosen one's (1.000: the choice is the faster)")
    print(ModelGEMMBenchmark(plan: productPlan).run(using: &generator).rendered)

    let convolutionPlan = options.quick ? RepetitionPlan(warmUps: 1, repetitions: 3) : RepetitionPlan(warmUps: 2, repetitions: 7)
    let convolution = ConvolutionBenchmark(layers: resNet18Convolutions, batch: 32, plan: convolutionPlan)
    print("\nConvolution  Tensor.conv2d (oneDNN; QPAE_CONVOLUTION=im2col for im2col + OpenBLAS), torchvision ResNet18"
          + " with a 1-channel stem, batch 32 of 1×64×96, no bias")
    print("      median of \(convolutionPlan.repetitions) timed runs after \(convolutionPlan.warmUps) warm-up(s);"
          + " × = occurrences per forward pass; fwd+bwd flops = 3× fwd (2× for conv1: no input gradient)")
    print("      fwd+bwd: valueWithGradient(at: [x, w]) of sum(conv2d ⊙ c), incl. the ⊙/sum of 'loss ms';"
          + " conv1: pullback(at: w, cotangent: c)")
    print("      sgemm ms: the same flops as whole-batch im2col GEMMs (W·col, ∂Y·colᵀ, Wᵀ·∂Y) by cblas_sgemm on"
          + " raw buffers: the floor of any im2col + OpenBLAS convolution (no im2col, col2im, copies or allocation)")
    let (table, summary) = convolution.report(convolution.run(using: &generator))
    print(table.rendered)
    print()
    summary.forEach { print($0) }
    print()
    print(backgroundLoad.summary())
}
