import Tensors

/// `Tensor.conv2d` (im2col + `cblas_sgemm`) for every distinct ResNet18 convolution shape, batch 32.
///
/// Per shape it measures:
/// - **forward**: `Tensor.conv2d(x, weight: w, stride:, padding:)` on unrecorded tensors (no graph);
///   includes the allocation of the output.
/// - **forward+backward**: the forward pass recorded, then the gradients a training step needs:
///   - layers whose input needs a gradient: `valueWithGradient(at: [x, w]) { p in
///     (conv2d(p[0], weight: p[1]) ⊙ c).sum() }` with a fixed random cotangent `c`: forward, weight
///     gradient and input gradient. The `⊙ c` and `sum()` (and their pullbacks, three passes over the
///     output) are timed with it; the `loss ms` column shows what they cost alone.
///   - the stem (its input is data): `pullback(at: w, cotangent: c) { w in conv2d(x, weight: w) }`,
///     forward and weight gradient only, nothing else.
///
/// Beside each it times ``ConvolutionGEMMFloor``: the same arithmetic as whole-batch GEMMs on raw buffers.
///
/// Flops: forward `2·N·O·OH·OW·C·KH·KW`; backward twice that (weight and input gradient), once for the stem.
struct ConvolutionBenchmark {
    let layers: [ConvolutionLayer]
    let batch: Int
    let plan: RepetitionPlan

    /// The measured times of one layer shape.
    struct Result {
        let layer: ConvolutionLayer
        let forward: Timings, training: Timings, loss: Timings?
        /// The GEMM floor of the forward pass and of forward+backward.
        let forwardFloor: Timings, trainingFloor: Timings
    }

    /// Times every layer; `generator` makes inputs, weights (He-scaled normal) and cotangents.
    func run(using generator: inout SplitMix64) -> [Result] {
        layers.map { layer in
            let x = Tensor.randomNormal([batch, layer.inputChannels, layer.height, layer.width], using: &generator)
            let w = Tensor.randomNormal([layer.outputChannels, layer.inputChannels, layer.kernelSize, layer.kernelSize],
                                        standardDeviation: (2 / Float(layer.inputChannels * layer.kernelSize
                                                                      * layer.kernelSize)).squareRoot(),
                                        using: &generator)
            let c = Tensor.randomNormal([batch, layer.outputChannels, layer.outputHeight, layer.outputWidth],
                                        using: &generator)
            let stride = (layer.stride, layer.stride), padding = (layer.padding, layer.padding)
            let forward = {
                Tensor.conv2d(x, weight: w, stride: stride, padding: padding).withUnsafeBufferPointer { $0[0] }
            }
            let training: () -> Float
            var loss: (() -> Float)?
            if layer.inputNeedsGradient {
                training = {
                    let (_, gradients) = valueWithGradient(at: [x, w]) { p in
                        (Tensor.conv2d(p[0], weight: p[1], stride: stride, padding: padding) * c).sum()
                    }
                    return gradients[0].withUnsafeBufferPointer { $0[0] }
                        + gradients[1].withUnsafeBufferPointer { $0[0] }
                }
                let y = Tensor.zeros(c.shape)
                loss = { valueWithGradient(at: y) { ($0 * c).sum() }.gradient.withUnsafeBufferPointer { $0[0] } }
            } else {
                training = {
                    pullback(at: w, cotangent: c) { w in
                        Tensor.conv2d(x, weight: w, stride: stride, padding: padding)
                    }.withUnsafeBufferPointer { $0[0] }
                }
            }
            let floor = ConvolutionGEMMFloor(layer, batch: batch)
            let timings = measureEngineThenReference(plan, engine: [forward, training] + (loss.map { [$0] } ?? []),
                                                     reference: [floor.forward, floor.forwardAndBackward])
            return Result(layer: layer, forward: timings.engine[0], training: timings.engine[1],
                          loss: timings.engine.count > 2 ? timings.engine[2] : nil,
                          forwardFloor: timings.reference[0], trainingFloor: timings.reference[1])
        }
    }

    /// The per-shape table and the per-training-step summary lines.
    func report(_ results: [Result]) -> (table: TextTable, summary: [String]) {
        var table = TextTable(textColumns: 2, "layer", "shape (k/stride pad, C→O, in→out)", "×", "fwd ms", "GFLOP/s",
                              "sgemm ms", "fwd+bwd ms", "GFLOP/s", "sgemm ms", "loss ms")
        var forwardTotal = 0.0, trainingTotal = 0.0, forwardFlops = 0.0, trainingFlops = 0.0
        var forwardFloorTotal = 0.0, trainingFloorTotal = 0.0
        for result in results {
            let layer = result.layer, count = Double(layer.occurrences)
            let flops = layer.forwardFlops(batch: batch)
            let bothFlops = flops + layer.backwardFlops(batch: batch)
            table.append([layer.name, layer.shapeDescription, "\(layer.occurrences)",
                          Format.milliseconds(result.forward.medianMilliseconds),
                          Format.rate(result.forward.gigaflopsPerSecond(flops)),
                          Format.milliseconds(result.forwardFloor.medianMilliseconds),
                          Format.milliseconds(result.training.medianMilliseconds),
                          Format.rate(result.training.gigaflopsPerSecond(bothFlops)),
                          Format.milliseconds(result.trainingFloor.medianMilliseconds),
                          result.loss.map { Format.milliseconds($0.medianMilliseconds) } ?? "–"])
            forwardTotal += count * result.forward.median
            trainingTotal += count * result.training.median
            forwardFloorTotal += count * result.forwardFloor.median
            trainingFloorTotal += count * result.trainingFloor.median
            forwardFlops += count * flops
            trainingFlops += count * bothFlops
        }
        let summary = [
            "ResNet18 convolutions per training step of batch \(batch): \(Format.milliseconds(trainingTotal * 1e3)) ms"
                + " (\(Format.fixed(trainingFlops / 1e9, 1)) GFLOP, \(Format.rate(trainingFlops / trainingTotal / 1e9)) GFLOP/s)",
            "ResNet18 convolutions per forward pass of batch \(batch):   \(Format.milliseconds(forwardTotal * 1e3)) ms"
                + " (\(Format.fixed(forwardFlops / 1e9, 1)) GFLOP, \(Format.rate(forwardFlops / forwardTotal / 1e9)) GFLOP/s)",
            "The same flops as plain sgemm (the sgemm columns, weighted alike):  training step"
                + " \(Format.milliseconds(trainingFloorTotal * 1e3)) ms (\(Format.rate(trainingFlops / trainingFloorTotal / 1e9)) GFLOP/s),"
                + " forward \(Format.milliseconds(forwardFloorTotal * 1e3)) ms (\(Format.rate(forwardFlops / forwardFloorTotal / 1e9)) GFLOP/s)",
        ]
        return (table, summary)
    }
}
