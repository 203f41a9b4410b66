// swift-tools-version: 6.1
import PackageDescription

/// AVX2 + FMA code generation for the numeric kernels (see ../shared/PLATFORM.md): without it the
/// element-wise loops vectorise with SSE only and fused multiply-adds become library calls.
/// `-fno-math-errno`: `Float.squareRoot()` goes through a C shim whose `__builtin_sqrtf` otherwise keeps
/// a call to libm's `sqrtf` (to set errno for negative inputs) beside `vsqrtss`, and that call stops every
/// loop with a square root from vectorising (Adam's update ran scalar: 12% of a ResNet18 training step).
let vectorizedKernels: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3", "-Xcc", "-fno-math-errno"])]

let package = Package(
    name: "QPAudioEraser",
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "NeuralNetworks", targets: ["NeuralNetworks"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "AudioFeatures", targets: ["AudioFeatures"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Unlearning", targets: ["Unlearning"]),
        .library(name: "Audit", targets: ["Audit"]),
        .library(name: "Experiments", targets: ["Experiments"]),
        .executable(name: "qpae", targets: ["qpae"]),
        .executable(name: "qpae-benchmark", targets: ["Benchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "pkg-config"])]
        ),
        .systemLibrary(
            name: "CDNNL",
            providers: [.apt(["libdnnl-dev"])]
        ),
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CSampleRate", pkgConfig: "samplerate", providers: [.apt(["libsamplerate0-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .target(name: "Checks"),
        .target(
            name: "AudioFeatures",
            dependencies: ["Checks", "CSndFile", "CSampleRate", "CFFTW"],
            swiftSettings: vectorizedKernels
        ),
        .target(
            name: "Datasets",
            dependencies: ["Checks", "AudioFeatures", "Tensors"],
            swiftSettings: vectorizedKernels
        ),
        .target(
            name: "Tensors",
            dependencies: ["Checks", "CBLAS", "CDNNL"],
            swiftSettings: vectorizedKernels
        ),
        .target(
            name: "NeuralNetworks",
            dependencies: ["Tensors"],
            swiftSettings: vectorizedKernels
        ),
        .target(
            name: "Models",
            dependencies: ["NeuralNetworks"],
            swiftSettings: vectorizedKernels
        ),
        .target(
            name: "Evaluation",
            dependencies: ["Tensors"],
            swiftSettings: vectorizedKernels
        ),
        .target(
            name: "Training",
            dependencies: ["NeuralNetworks", "Datasets", "Tensors"],
            swiftSettings: vectorizedKernels
        ),
        .target(
            name: "Unlearning",
            dependencies: ["Training", "NeuralNetworks", "Datasets", "Tensors"],
            swiftSettings: vectorizedKernels
        ),
        .target(
            name: "Audit",
            dependencies: ["Training", "Evaluation", "NeuralNetworks", "Datasets", "Tensors"],
            swiftSettings: vectorizedKernels
        ),
        .target(
            name: "Experiments",
            dependencies: ["Audit", "Unlearning", "Training", "Evaluation", "Models", "Datasets", "NeuralNetworks", "AudioFeatures", "Tensors"],
            swiftSettings: vectorizedKernels
        ),
        .target(
            name: "Service",
            dependencies: ["Experiments", "Audit", "Evaluation", "Unlearning", "Training", "Datasets",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Mustache", package: "swift-mustache"),
                           .product(name: "HTTPTypes", package: "swift-http-types"),
                           .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "Crypto", package: "swift-crypto")],
        ),
        .executableTarget(
            name: "qpae",
            dependencies: ["Service", "Experiments", "Audit", "Unlearning", "Training", "Models", "Datasets", "Tensors",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(
            name: "TestSupport",
            dependencies: ["Tensors", "NeuralNetworks", "Datasets", "AudioFeatures"]
        ),
        .executableTarget(
            name: "Benchmarks",
            dependencies: ["Tensors", "NeuralNetworks", "Models", "Datasets", "CBLAS", "CDNNL"],
            swiftSettings: vectorizedKernels
        ),
        .testTarget(
            name: "TensorsTests",
            dependencies: ["Tensors", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AudioFeaturesTests",
            dependencies: ["AudioFeatures"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "DatasetsTests",
            dependencies: ["Datasets", "AudioFeatures", "Tensors", "TestSupport"]
        ),
        .testTarget(
            name: "TrainingTests",
            dependencies: ["Training", "Models", "NeuralNetworks", "Datasets", "AudioFeatures", "Tensors", "TestSupport"]
        ),
        .testTarget(
            name: "EvaluationTests",
            dependencies: ["Evaluation", "Tensors", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "UnlearningTests",
            dependencies: ["Unlearning", "Models", "Training", "NeuralNetworks", "Datasets", "Tensors", "TestSupport"]
        ),
        .testTarget(
            name: "AuditTests",
            dependencies: ["Audit", "Training", "Models", "NeuralNetworks", "Datasets", "AudioFeatures", "Tensors"]
        ),
        .testTarget(
            name: "ExperimentsTests",
            dependencies: ["Experiments", "qpae", "Audit", "Unlearning", "Training", "Evaluation", "Datasets", "Models", "Tensors",
                           "TestSupport",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(
            name: "ServiceTests",
            dependencies: ["Service", "Experiments", "Audit", "Training", "Datasets", "TestSupport",
                           .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "NeuralNetworksTests",
            dependencies: ["NeuralNetworks", "Tensors", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "ModelsTests",
            dependencies: ["Models", "NeuralNetworks", "Tensors", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
