extension Tensor {
    /// 2-D max pooling, PyTorch's `max_pool2d` (padding counts as −∞; `stride` defaults to the kernel).
    ///
    /// `[N, C, H, W]` → `[N, C, OH, OW]`; the gradient flows to the first maximum of each window.
    public func maxPool2d(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) -> Tensor {
        let geometry = poolingGeometry(kernelSize, stride, padding, function: "maxPool2d")
        let planes = shape[0] * shape[1]
        let (outputPlane, inputPlane) = (geometry.outputPlane, geometry.inputPlane)
        let recordsWinners = isRecorded
        var winners = [Int32](repeating: 0, count: recordsWinners ? planes * outputPlane : 0)
        let output = Tensor(shape: [shape[0], shape[1], geometry.outputHeight, geometry.outputWidth]) { output in
            let source = storage.pointer, destination = output.baseAddress!
            winners.withUnsafeMutableBufferPointer { winners in
                let best = recordsWinners ? winners.baseAddress : nil   // an empty array may still have an address
                parallelChunks(planes, costPerItem: outputPlane * geometry.kernelHeight * geometry.kernelWidth) { range in
                    for plane in range {
                        maxPoolPlane(geometry, input: source + plane &* inputPlane, output: destination + plane &* outputPlane,
                                     winners: best.map { $0 + plane &* outputPlane })
                    }
                }
            }
        }
        let inputShape = shape
        let chosen = winners
        return Tensor.record(output, inputs: [self]) { g in
            var gradient = Tensor.zeros(inputShape)
            gradient.withUnsafeMutableBufferPointer { buffer in
                let upstream = g.storage.pointer
                for plane in 0..<planes {
                    for position in 0..<outputPlane {
                        let k = plane * outputPlane + position
                        buffer[plane * inputPlane + Int(chosen[k])] += upstream[k]
                    }
                }
            }
            return [gradient]
        }
    }

    /// 2-D average pooling, PyTorch's `avg_pool2d` with `count_include_pad=True` (the divisor is always
    /// the kernel area) by default, or the number of inputs inside the window when it is `false`.
    public func avgPool2d(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                          countIncludingPadding: Bool = true) -> Tensor {
        let geometry = poolingGeometry(kernelSize, stride, padding, function: "avgPool2d")
        let planes = shape[0] * shape[1]
        let (outputPlane, inputPlane) = (geometry.outputPlane, geometry.inputPlane)
        // The divisor of each output position (the same in every plane).
        var divisors = [Float](repeating: Float(geometry.kernelHeight * geometry.kernelWidth), count: outputPlane)
        if !countIncludingPadding {
            forEachWindow(geometry) { position, rows, columns in
                divisors[position] = Float(Swift.max(rows.count * columns.count, 1))
            }
        }
        let scales = divisors.map { 1 / $0 }
        let output = Tensor(shape: [shape[0], shape[1], geometry.outputHeight, geometry.outputWidth]) { output in
            let source = storage.pointer, destination = output.baseAddress!
            parallelChunks(planes, costPerItem: outputPlane * geometry.kernelHeight * geometry.kernelWidth) { range in
                for plane in range {
                    let input = source + plane &* inputPlane
                    forEachWindow(geometry) { position, rows, columns in
                        var total: Float = 0
                        for y in rows { for x in columns { total += input[y &* geometry.width &+ x] } }
                        destination[plane &* outputPlane &+ position] = total * scales[position]
                    }
                }
            }
        }
        let inputShape = shape
        return Tensor.record(output, inputs: [self]) { g in
            var gradient = Tensor.zeros(inputShape)
            gradient.withUnsafeMutableBufferPointer { buffer in
                let upstream = g.storage.pointer, destination = buffer.baseAddress!
                parallelChunks(planes, costPerItem: outputPlane * geometry.kernelHeight * geometry.kernelWidth) { range in
                    for plane in range {
                        let input = destination + plane &* inputPlane
                        forEachWindow(geometry) { position, rows, columns in
                            let share = upstream[plane &* outputPlane &+ position] * scales[position]
                            for y in rows { for x in columns { input[y &* geometry.width &+ x] += share } }
                        }
                    }
                }
            }
            return [gradient]
        }
    }

    /// The mean over the spatial axes: `[N, C, H, W]` → `[N, C]` (PyTorch `adaptive_avg_pool2d(x, 1)` + flatten).
    public func globalAveragePool2d() -> Tensor {
        checkPrecondition(rank == 4, "globalAveragePool2d needs [N, C, H, W], got \(shape)")
        return mean(alongAxes: [2, 3])
    }

    private func poolingGeometry(_ kernel: (Int, Int), _ stride: (Int, Int)?, _ padding: (Int, Int),
                                 function: String) -> WindowGeometry {
        checkPrecondition(rank == 4, "\(function) needs [N, C, H, W], got \(shape)")
        let stride = stride ?? kernel
        checkPrecondition(kernel.0 >= 1 && kernel.1 >= 1 && stride.0 >= 1 && stride.1 >= 1,
                          "\(function): invalid kernel \(kernel) or stride \(stride)")
        checkPrecondition(padding.0 >= 0 && padding.1 >= 0 && 2 * padding.0 <= kernel.0 && 2 * padding.1 <= kernel.1,
                          "\(function): padding \(padding) must be at most half the kernel \(kernel), as in PyTorch")
        let geometry = WindowGeometry(channels: shape[1], height: shape[2], width: shape[3],
                                      kernelHeight: kernel.0, kernelWidth: kernel.1,
                                      strideY: stride.0, strideX: stride.1, paddingY: padding.0, paddingX: padding.1,
                                      dilationY: 1, dilationX: 1)
        checkPrecondition(geometry.outputHeight > 0 && geometry.outputWidth > 0,
                          "\(function): kernel \(kernel) does not fit input \(shape)")
        return geometry
    }
}

/// Calls `body(position, rows, columns)` for every output position of one plane, with the input rows
/// and columns its window covers inside the image (padding positions are left out).
@inline(__always)
private func forEachWindow(_ g: WindowGeometry, _ body: (Int, Range<Int>, Range<Int>) -> Void) {
    for oy in 0..<g.outputHeight {
        let top = oy * g.strideY - g.paddingY
        let rows = Swift.max(top, 0)..<Swift.min(top + g.kernelHeight, g.height)
        for ox in 0..<g.outputWidth {
            let left = ox * g.strideX - g.paddingX
            body(oy * g.outputWidth + ox, rows, Swift.max(left, 0)..<Swift.min(left + g.kernelWidth, g.width))
        }
    }
}

/// Max-pools one plane, writing each window's maximum and (when `winners` is given) its in-plane index.
/// The first maximum wins ties; a NaN wins over numbers, as in PyTorch.
private func maxPoolPlane(_ g: WindowGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                          winners: UnsafeMutablePointer<Int32>?) {
    let width = g.width
    if g.kernelHeight == 2 && g.kernelWidth == 2 && g.strideY == 2 && g.strideX == 2 && g.paddingY == 0 && g.paddingX == 0 {
        // The CNN's 2×2/2 pooling: every window lies inside the image.
        for oy in 0..<g.outputHeight {
            let top = input + (2 &* oy) &* width, bottom = top + width
            for ox in 0..<g.outputWidth {
                let x = 2 &* ox
                var bestValue = top[x], bestIndex = x
                if top[x &+ 1] > bestValue || top[x &+ 1].isNaN { (bestValue, bestIndex) = (top[x &+ 1], x &+ 1) }
                if bottom[x] > bestValue || bottom[x].isNaN { (bestValue, bestIndex) = (bottom[x], width &+ x) }
                if bottom[x &+ 1] > bestValue || bottom[x &+ 1].isNaN { (bestValue, bestIndex) = (bottom[x &+ 1], width &+ x &+ 1) }
                let position = oy &* g.outputWidth &+ ox
                output[position] = bestValue
                winners?[position] = Int32(truncatingIfNeeded: (2 &* oy) &* width &+ bestIndex)
            }
        }
        return
    }
    // Any other window, in two separable passes: each input row's maximum over every window's columns,
    // then each window's maximum over its rows' results. A row keeps its first maximum (its last NaN) and
    // the rows are taken top to bottom in the same way, which is the first maximum (the last NaN) of a
    // row-major scan of the window. Both passes choose by bit masks, not branches: where the maximum lies
    // is unpredictable, and LLVM turns `taken ? a : b` into a branch here (2.6× slower, measured).
    let (outputWidth, rowResults) = (g.outputWidth, g.height &* g.outputWidth)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: rowResults) { rowBest in
    withUnsafeTemporaryAllocation(of: Int32.self, capacity: rowResults &+ (winners == nil ? g.outputPlane : 0)) { scratch in
        let (rowBest, rowColumn) = (rowBest.baseAddress!, scratch.baseAddress!)
        let winners = winners ?? rowColumn + rowResults
        for y in 0..<g.height {
            let row = input + y &* width
            for ox in 0..<outputWidth {
                let left = ox &* g.strideX &- g.paddingX
                let (x0, x1) = (Swift.max(left, 0), Swift.min(left &+ g.kernelWidth, width))
                var (best, column) = (row[x0].bitPattern, UInt32(truncatingIfNeeded: x0))
                var x = x0 &+ 1
                while x < x1 {
                    let value = row[x], taken = takenMask(value, over: Float(bitPattern: best))
                    best = value.bitPattern & taken | best & ~taken
                    column = UInt32(truncatingIfNeeded: x) & taken | column & ~taken
                    x &+= 1
                }
                rowBest[y &* outputWidth &+ ox] = Float(bitPattern: best)
                rowColumn[y &* outputWidth &+ ox] = Int32(bitPattern: column)
            }
        }
        for oy in 0..<g.outputHeight {
            let top = oy &* g.strideY &- g.paddingY
            let (y0, y1) = (Swift.max(top, 0), Swift.min(top &+ g.kernelHeight, g.height))
            let (best, winner) = (output + oy &* outputWidth, winners + oy &* outputWidth)
            for ox in 0..<outputWidth {
                best[ox] = rowBest[y0 &* outputWidth &+ ox]
                winner[ox] = Int32(truncatingIfNeeded: y0 &* width) &+ rowColumn[y0 &* outputWidth &+ ox]
            }
            var y = y0 &+ 1
            while y < y1 {
                let (values, columns) = (rowBest + y &* outputWidth, rowColumn + y &* outputWidth)
                let rowStart = Int32(truncatingIfNeeded: y &* width)
                for ox in 0..<outputWidth {
                    let value = values[ox], taken = takenMask(value, over: best[ox])
                    best[ox] = Float(bitPattern: value.bitPattern & taken | best[ox].bitPattern & ~taken)
                    winner[ox] = Int32(bitPattern: UInt32(bitPattern: rowStart &+ columns[ox]) & taken
                                                   | UInt32(bitPattern: winner[ox]) & ~taken)
                }
                y &+= 1
            }
        }
    }
    }
}

/// All ones where a max-pooling scan takes `value` over the current `best` (greater, or NaN), else zero.
@inline(__always)
private func takenMask(_ value: Float, over best: Float) -> UInt32 {
    let greater: UInt32 = value > best ? 1 : 0, notANumber: UInt32 = value.isNaN ? 1 : 0
    return 0 &- (greater | notANumber)
}
