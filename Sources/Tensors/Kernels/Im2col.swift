/// The sizes of one 2-D convolution or pooling window sweep, PyTorch's conventions.
struct WindowGeometry {
    let channels: Int, height: Int, width: Int
    let kernelHeight: Int, kernelWidth: Int
    let strideY: Int, strideX: Int
    let paddingY: Int, paddingX: Int
    let dilationY: Int, dilationX: Int

    var outputHeight: Int { (height + 2 * paddingY - dilationY * (kernelHeight - 1) - 1) / strideY + 1 }
    var outputWidth: Int { (width + 2 * paddingX - dilationX * (kernelWidth - 1) - 1) / strideX + 1 }
    var outputPlane: Int { outputHeight * outputWidth }
    var inputPlane: Int { height * width }
    /// Rows of the column matrix for `channels` input channels: one per (channel, ky, kx).
    var patchLength: Int { channels * kernelHeight * kernelWidth }

    /// The output positions `o` along one axis whose input position `o·stride − padding + offset` lies in
    /// `0..<extent`.
    @inline(__always)
    static func validRange(extent: Int, outputExtent: Int, stride: Int, shift: Int) -> Range<Int> {
        // input = o·stride + shift, with shift = offset − padding.
        let lower = shift >= 0 ? 0 : (-shift + stride - 1) / stride
        let upper = extent - 1 - shift < 0 ? 0 : min(outputExtent, (extent - 1 - shift) / stride + 1)
        return lower < upper ? lower..<upper : 0..<0
    }

    /// Where row `row` of the column matrix (channel `c`, kernel offset `ky`, `kx`) reads from.
    struct Row {
        let channel: Int
        /// Input position = output position · stride + shift, per axis.
        let shiftY: Int, shiftX: Int
        /// The output positions whose input position lies inside the image.
        let validY: Range<Int>, validX: Range<Int>
    }

    @inline(__always)
    func row(_ row: Int) -> Row {
        let ky = row / kernelWidth % kernelHeight, kx = row % kernelWidth
        let shiftY = ky * dilationY - paddingY, shiftX = kx * dilationX - paddingX
        return Row(channel: row / (kernelHeight * kernelWidth), shiftY: shiftY, shiftX: shiftX,
                   validY: Self.validRange(extent: height, outputExtent: outputHeight, stride: strideY, shift: shiftY),
                   validX: Self.validRange(extent: width, outputExtent: outputWidth, stride: strideX, shift: shiftX))
    }

    /// Whether the column matrix of one image is the image itself (1×1, stride 1, no padding).
    var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && strideY == 1 && strideX == 1 && paddingY == 0 && paddingX == 0
    }
}

/// Writes the column matrix of `imageCount` images: row `(c·KH + ky)·KW + kx`, column `i·OHW + oy·OW + ox`
/// holds input `(i, c, oy·sy − py + ky·dy, ox·sx − px + kx·dx)`, or 0 in the padding.
/// `input` points at channel 0 of the first image; consecutive images are `imageStride` apart.
func im2col(_ geometry: WindowGeometry, input: UnsafePointer<Float>, imageStride: Int, imageCount: Int,
            columns: UnsafeMutablePointer<Float>) {
    let g = geometry
    let (outputHeight, outputWidth, plane) = (g.outputHeight, g.outputWidth, g.outputPlane)
    let rowLength = imageCount * plane
    parallelChunks(g.patchLength, costPerItem: rowLength) { rows in
        for row in rows {
            let r = g.row(row)
            for image in 0..<imageCount {
                let source = input + (image &* imageStride &+ r.channel &* g.inputPlane)
                let destination = columns + (row &* rowLength &+ image &* plane)
                for oy in 0..<outputHeight {
                    let out = destination + oy &* outputWidth
                    guard r.validY.contains(oy) else { out.initialize(repeating: 0, count: outputWidth); continue }
                    let inputRow = source + (oy &* g.strideY &+ r.shiftY) &* g.width
                    out.initialize(repeating: 0, count: r.validX.lowerBound)
                    if g.strideX == 1 {
                        (out + r.validX.lowerBound).initialize(from: inputRow + r.validX.lowerBound + r.shiftX, count: r.validX.count)
                    } else {
                        for ox in r.validX { out[ox] = inputRow[ox &* g.strideX &+ r.shiftX] }
                    }
                    (out + r.validX.upperBound).initialize(repeating: 0, count: outputWidth - r.validX.upperBound)
                }
            }
        }
    }
}

/// The adjoint of `im2col`: adds every column-matrix entry back onto the input position it was read
/// from (padding entries are dropped). `input` must be initialised (usually zeros).
func col2im(_ geometry: WindowGeometry, columns: UnsafePointer<Float>, imageCount: Int,
            input: UnsafeMutablePointer<Float>, imageStride: Int) {
    let g = geometry
    let (outputWidth, plane) = (g.outputWidth, g.outputPlane)
    let rowLength = imageCount * plane
    let kernelArea = g.kernelHeight * g.kernelWidth
    // Each channel's rows write only into that channel's plane: channels run in parallel safely.
    parallelChunks(g.channels, costPerItem: kernelArea * rowLength) { channels in
        for channel in channels {
            for row in channel &* kernelArea ..< (channel &+ 1) &* kernelArea {
                let r = g.row(row)
                for image in 0..<imageCount {
                    let destination = input + (image &* imageStride &+ r.channel &* g.inputPlane)
                    let source = columns + (row &* rowLength &+ image &* plane)
                    for oy in r.validY {
                        let inputRow = destination + (oy &* g.strideY &+ r.shiftY) &* g.width
                        let columnRow = source + oy &* outputWidth
                        for ox in r.validX { inputRow[ox &* g.strideX &+ r.shiftX] += columnRow[ox] }
                    }
                }
            }
        }
    }
}
