/// One convolution shape of a network: sizes, how often the network uses it, and its cost.
struct ConvolutionLayer {
    let name: String
    let inputChannels: Int, outputChannels: Int
    let kernelSize: Int, stride: Int, padding: Int
    /// Input height and width.
    let height: Int, width: Int
    /// How many convolutions of exactly this shape one forward pass of the network makes.
    let occurrences: Int
    /// Whether training needs the gradient of this layer's input: false only for the stem, whose input
    /// is the data.
    var inputNeedsGradient = true

    /// PyTorch's output extent, `⌊(in + 2·padding − kernel)/stride⌋ + 1` (dilation 1).
    var outputHeight: Int { (height + 2 * padding - kernelSize) / stride + 1 }
    var outputWidth: Int { (width + 2 * padding - kernelSize) / stride + 1 }

    /// Forward flops for `batch` images: `2·N·O·OH·OW·C·KH·KW` (groups = 1).
    func forwardFlops(batch: Int) -> Double {
        2 * Double(batch * outputChannels * outputHeight * outputWidth)
            * Double(inputChannels * kernelSize * kernelSize)
    }

    /// Backward flops: the weight gradient costs one forward, the input gradient another where it is needed.
    func backwardFlops(batch: Int) -> Double {
        forwardFlops(batch: batch) * (inputNeedsGradient ? 2 : 1)
    }

    /// E.g. `3×3/2 p1  64→128  16×24→8×12`.
    var shapeDescription: String {
        "\(kernelSize)×\(kernelSize)/\(stride) p\(padding)  \(inputChannels)→\(outputChannels)"
            + "  \(height)×\(width)→\(outputHeight)×\(outputWidth)"
    }
}

/// The distinct convolution shapes of torchvision's `resnet18` with a 1-channel stem, for inputs of
/// `1×64×96` (a log-mel patch), with the number of times each occurs.
///
/// The stem `conv1` (7×7/2, pad 3) gives 32×48; the 3×3/2 max-pool (pad 1) gives 16×24; each later stage
/// halves the resolution in its first block's first conv and in its 1×1/2 `downsample` conv. Each stage
/// has two BasicBlocks of two 3×3 convs, so: layer1 four 64→64 convs; layer2…4 one strided conv, three
/// full-resolution convs and one downsample each: 20 convolutions in all.
let resNet18Convolutions: [ConvolutionLayer] = {
    let stem = ConvolutionLayer(name: "conv1", inputChannels: 1, outputChannels: 64, kernelSize: 7,
                                stride: 2, padding: 3, height: 64, width: 96, occurrences: 1,
                                inputNeedsGradient: false)
    // Max-pool 3×3/2 pad 1 after the stem: PyTorch's formula once more.
    let pooledHeight = (stem.outputHeight + 2 - 3) / 2 + 1, pooledWidth = (stem.outputWidth + 2 - 3) / 2 + 1
    var layers = [stem,
                  ConvolutionLayer(name: "layer1.*.conv*", inputChannels: 64, outputChannels: 64, kernelSize: 3,
                                   stride: 1, padding: 1, height: pooledHeight, width: pooledWidth, occurrences: 4)]
    var (channels, height, width) = (64, pooledHeight, pooledWidth)
    for stage in 2...4 {
        let wider = channels * 2
        let strided = ConvolutionLayer(name: "layer\(stage).0.conv1", inputChannels: channels, outputChannels: wider,
                                       kernelSize: 3, stride: 2, padding: 1, height: height, width: width, occurrences: 1)
        let (h, w) = (strided.outputHeight, strided.outputWidth)
        layers += [
            strided,
            ConvolutionLayer(name: "layer\(stage).*.conv*", inputChannels: wider, outputChannels: wider,
                             kernelSize: 3, stride: 1, padding: 1, height: h, width: w, occurrences: 3),
            ConvolutionLayer(name: "layer\(stage).0.downsample.0", inputChannels: channels, outputChannels: wider,
                             kernelSize: 1, stride: 2, padding: 0, height: height, width: width, occurrences: 1),
        ]
        (channels, height, width) = (wider, h, w)
    }
    return layers
}()
