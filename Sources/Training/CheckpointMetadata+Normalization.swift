import Datasets
import NeuralNetworks

extension CheckpointMetadata {
    /// The normalisation a model's inputs need (its training split's feature mean and standard
    /// deviation), kept as `mean` and `standardDeviation` among the ``featureSettings``; `nil` when
    /// either is missing. The one place these entries are read and written.
    public var normalization: NormalizationStatistics? {
        get {
            guard let mean = featureSettings[Self.meanKey],
                  let deviation = featureSettings[Self.standardDeviationKey] else { return nil }
            return NormalizationStatistics(mean: Float(mean), standardDeviation: Float(deviation))
        }
        set {
            featureSettings[Self.meanKey] = newValue.map { Double($0.mean) }
            featureSettings[Self.standardDeviationKey] = newValue.map { Double($0.standardDeviation) }
        }
    }

    private static let meanKey = "mean", standardDeviationKey = "standardDeviation"
}
