// qpae-benchmark: how fast QPAudioEraser's engine and models run on this machine, side by side with
// direct OpenBLAS calls and with PyTorch.
//
//     swift run -c release qpae-benchmark kernels [--threads N] [--quick]
//     swift run -c release qpae-benchmark models  [--threads N] [--quick] [--models cnn,resnet18,vit-tiny] [--no-pytorch]
//
// kernels      matmul against direct cblas_sgemm; conv2d for every ResNet18 layer shape (the default)
// models       one training step (batch 32) and inference (batch 256) per model, with PyTorch's figures
//              from scripts/pytorch/benchmark_training_step.py measured in the same run
// features     decode + resample + log-mel of a dataset (default ../shared/data/fsdd), cold and from the
//              feature cache, beside scripts/reference/features_numpy.py in the same run
// service      a bounded load on a running `qpae serve` (submits with retries, status reads) while
//              its workers run jobs: latency percentiles and jobs per hour (scripts/service-load)
// --threads N  sets ComputeThreads (engine loops and OpenBLAS) to N; default: QPAE_THREADS or all cores.
// --quick      fewer repetitions: a smoke check that finishes in seconds.

import Foundation
import Tensors

let options = Options(Array(CommandLine.arguments.dropFirst()))
if let threads = options.threads { ComputeThreads.set(threads) }
switch options.command {
case .kernels: runKernelsBenchmark(options)
case .models: runModelsBenchmark(options)
case .features: runFeaturesBenchmark(options)
case .service:
    guard !options.token.isEmpty, !options.serviceModels.isEmpty, !options.subjects.isEmpty else {
        Options.fail("service needs QPAE_TOKEN, --models and --subjects")
    }
    await ServiceLoad(url: options.url, token: options.token, models: options.serviceModels, subjects: options.subjects,
                      duration: options.duration, concurrency: options.concurrency, statusRate: options.statusRate,
                      seed: options.seed).run()
}
