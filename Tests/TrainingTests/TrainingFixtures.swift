import AudioFeatures
import Datasets
import Foundation
import Models
import NeuralNetworks
import Tensors

/// Three separable classes of 1×64×20 features: class `c` raises mel bands `c·22 ..< c·22 + 22` by 2 on
/// top of unit Gaussian noise, 20 examples per class, interleaved by label.
func syntheticSet(seed: UInt64 = 11) -> (features: FeatureSet, labels: [Int]) {
    let settings = LogMelSettings(exampleLength: 3_520)          // 20 frames of hop 160 → 64 × 20
    var generator = SplitMix64(seed: seed)
    var values: [Float] = [], labels: [Int] = []
    for example in 0..<60 {
        let label = example % 3
        labels.append(label)
        for band in 0..<settings.melBandCount {
            let raised = band / 22 == label
            for _ in 0..<settings.frameCount {
                values.append(generator.nextStandardNormal() + (raised ? 2 : 0))
            }
        }
    }
    let set = FeatureSet(settings: settings, values: values, recordingIDs: (0..<60).map { "clip\($0)" },
                         exampleIndices: Array(repeating: 0, count: 60))
    return (set, labels)
}

func makeModel(seed: UInt64 = 3) -> any Classifier {
    var generator = SplitMix64(seed: seed)
    return Architecture.cnn.makeModel(classCount: 3, using: &generator)
}

func parameterValues(_ model: any Classifier) -> [[Float]] {
    model.namedParameters().map(\.parameter.value.scalars)
}

func temporaryURL() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("trainer-\(UUID().uuidString).safetensors")
}

/// A fresh folder under the temporary directory, for a checkpoint and its training state.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("trainer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Every parameter's bit patterns: equal only when the values are bit-identical (`-0` ≠ `0`).
func parameterBits(_ model: any Classifier) -> [[UInt32]] {
    model.namedParameters().map { $0.parameter.value.scalars.map(\.bitPattern) }
}
