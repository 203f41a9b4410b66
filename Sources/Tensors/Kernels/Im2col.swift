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
            let channel = row / (g.kernelHeight * g.kernelWidth)
            let ky = row / g.kernelWidth % g.kernelHeight, kx = row % g.kernelWidth
            let shiftY = ky * g.dilationY - g.paddingY, shiftX = kx * g.dilationX - g.paddingX
            let validY = WindowGeometry.validRange(extent: g.height, outputExtent: outputHeight, stride: g.strideY, shift: shiftY)
            let validX = WindowGeometry.validRange(extent: g.width, outputExtent: outputWidth, stride: g.strideX, shift: shiftX)
            for image in 0..<imageCount {
                let source = input + (image &* imageStride &+ channel &* g.inputPlane)
                let destination = columns + (row &* rowLength &+ image &* plane)
                for oy in 0..<outputHeight {
                    let out = destination + oy &* outputWidth
                    guard validY.contains(oy) else { out.initialize(repeating: 0, count: outputWidth); continue }
                    let inputRow = source + (oy &* g.strideY &+ shiftY) &* g.width
                    out.initialize(repeating: 0, count: validX.lowerBound)
                    if g.strideX == 1 {
                        (out + validX.lowerBound).initialize(from: inputRow + validX.lowerBound + shiftX, count: validX.count)
                    } else {
                        for ox in validX { out[ox] = inputRow[ox &* g.strideX &+ shiftX] }
                    }
                    (out + validX.upperBound).initialize(repeating: 0, count: outputWidth - validX.upperBound)
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
    let (outputHeight, outputWidth, plane) = (g.outputHeight, g.outputWidth, g.outputPlane)
    let rowLength = imageCount * plane
    let kernelArea = g.kernelHeight * g.kernelWidth
    // Each channel's rows write only into that channel's plane: channels run in parallel safely.
    parallelChunks(g.channels, costPerItem: kernelArea * rowLength) { channels in
        for channel in channels {
            for kernelIndex in 0..<kernelArea {
                let row = channel &* kernelArea &+ kernelIndex
                let ky = kernelIndex / g.kernelWidth, kx = kernelIndex % g.kernelWidth
                let shiftY = ky * g.dilationY - g.paddingY, shiftX = kx * g.dilationX - g.paddingX
                let validY = WindowGeometry.validRange(extent: g.height, outputExtent: outputHeight, stride: g.strideY, shift: shiftY)
                let validX = WindowGeometry.validRange(extent: g.width, outputExtent: outputWidth, stride: g.strideX, shift: shiftX)
                for image in 0..<imageCount {
                    let destination = input + (image &* imageStride &+ channel &* g.inputPlane)
                    let source = columns + (row &* rowLength &+ image &* plane)
                    for oy in validY {
                        let inputRow = destination + (oy &* g.strideY &+ shiftY) &* g.width
                        let columnRow = source + oy &* outputWidth
                        for ox in validX { inputRow[ox &* g.strideX &+ shiftX] += columnRow[ox] }
                    }
                }
            }
        }
    }
}
