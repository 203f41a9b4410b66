import AudioFeatures
import Datasets
import Tensors

/// Separable log-mel-shaped examples for training tests: `classCount` classes of 1×64×20 features, where
/// class `c` raises mel bands `c·w ..< (c+1)·w` (`w = ⌈64 / classCount⌉`) by 2 on top of unit Gaussian
/// noise. Examples are interleaved by label (`example % classCount`); each is its own recording `clipN`.
///
/// ```swift
/// let (features, labels) = separableFeatures(classCount: 3, examplesPerClass: 20, seed: 11)
/// ```
public func separableFeatures(classCount: Int = 3, examplesPerClass: Int = 20,
                              seed: UInt64 = 11) -> (features: FeatureSet, labels: [Int]) {
    let settings = LogMelSettings(exampleLength: 3_520)          // 20 frames of hop 160 → 64 × 20
    let bandsPerClass = (settings.melBandCount + classCount - 1) / classCount
    let count = classCount * examplesPerClass
    var generator = SplitMix64(seed: seed)
    var values: [Float] = [], labels: [Int] = []
    values.reserveCapacity(count * settings.featureCount)
    for example in 0 ..< count {
        let label = example % classCount
        labels.append(label)
        for band in 0 ..< settings.melBandCount {
            let raised = band / bandsPerClass == label
            for _ in 0 ..< settings.frameCount {
                values.append(generator.nextStandardNormal() + (raised ? 2 : 0))
            }
        }
    }
    let set = FeatureSet(settings: settings, values: values, recordingIDs: (0 ..< count).map { "clip\($0)" },
                         exampleIndices: Array(repeating: 0, count: count))
    return (set, labels)
}
