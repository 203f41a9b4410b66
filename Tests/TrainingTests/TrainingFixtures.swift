import AudioFeatures
import Datasets
import Foundation
import Models
import NeuralNetworks
import Tensors
import TestSupport

/// Three separable classes, 20 examples each (see ``separableFeatures(classCount:examplesPerClass:seed:)``).
func syntheticSet(seed: UInt64 = 11) -> (features: FeatureSet, labels: [Int]) {
    separableFeatures(classCount: 3, examplesPerClass: 20, seed: seed)
}

func makeModel(seed: UInt64 = 3) -> any Classifier {
    var generator = SplitMix64(seed: seed)
    return Architecture.cnn.makeModel(classCount: 3, using: &generator)
}

func parameterValues(_ model: any Classifier) -> [[Float]] {
    model.namedParameters().map(\.parameter.value.scalars)
}

/// Every parameter's bit patterns: equal only when the values are bit-identical (`-0` ≠ `0`).
func parameterBits(_ model: any Classifier) -> [[UInt32]] {
    model.namedParameters().map { $0.parameter.value.scalars.map(\.bitPattern) }
}
