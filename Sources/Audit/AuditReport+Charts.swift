import Evaluation

extension AuditReport {
    /// The relearning setting the charts show: the middle of the configured shot counts.
    public var chartedShots: Int { configuration.relearnShots[configuration.relearnShots.count / 2] }

    /// The whole-model relearning curve with `shots` forget clips per batch of `model` ("original",
    /// "unlearned", "oracle 1", …), or `nil` when it was not measured.
    public func wholeModelCurve(_ model: String, shots: Int) -> RelearningCurve? {
        relearning[model]?.first { $0.mode == .wholeModel && $0.shots == shots }
    }

    /// The oracles' mean forget accuracy at each checkpoint of the whole-model curve with `shots`.
    public func oracleMeanCurve(shots: Int) -> [Double?] {
        let oracles = (1 ... max(oracleCount, 1)).compactMap { wholeModelCurve("oracle \($0)", shots: shots) }
        guard let steps = oracles.first?.steps else { return [] }
        return steps.indices.map { index in
            let values = oracles.compactMap { $0.forgetAccuracy.indices.contains(index) ? $0.forgetAccuracy[index] : nil }
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
    }

    /// One erasure's relearning as an SVG line chart: forget accuracy while the whole model is trained
    /// on forget clips again, for the original, the oracles' mean and the unlearned model (`label`).
    public func relearningChart(label: String = "unlearned") -> String? {
        let shots = chartedShots
        guard let original = wholeModelCurve("original", shots: shots) else { return nil }
        return SVGChart.lines(title: "Relearning with \(shots) forget clips per batch, whole model",
                              xLabels: original.steps.map { "step \($0)" },
                              series: [ChartSeries(name: "original", values: original.forgetAccuracy),
                                       ChartSeries(name: "oracles (mean)", values: oracleMeanCurve(shots: shots)),
                                       ChartSeries(name: label, values: wholeModelCurve("unlearned", shots: shots)?.forgetAccuracy ?? [])],
                              yLabel: "forget accuracy %")
    }
}
