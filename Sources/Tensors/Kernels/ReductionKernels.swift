/// The decomposition of a shape around one axis: `outer × extent × inner` elements, so that element
/// `(o, j, i)` lies at `(o·extent + j)·inner + i`.
struct AxisLayout {
    let outer: Int, extent: Int, inner: Int

    init(shape: [Int], axis: Int) {
        outer = shape[..<axis].elementCount
        extent = shape[axis]
        inner = shape[(axis + 1)...].elementCount
    }

    /// The number of lanes: one-dimensional runs of `extent` elements, `inner` apart.
    var laneCount: Int { outer * inner }

    /// The offset of the first element of lane `lane`.
    @inline(__always) func start(ofLane lane: Int) -> Int {
        (lane / inner) &* extent &* inner &+ lane % inner
    }
}

/// Calls `body(lane, start, stride)` for every lane of `layout`, in parallel over lanes when it pays.
func forEachLane(_ layout: AxisLayout, costPerElement: Int = 1,
                 _ body: (_ lane: Int, _ start: Int, _ stride: Int) -> Void) {
    parallelChunks(layout.laneCount, costPerItem: layout.extent * costPerElement) { lanes in
        for lane in lanes { body(lane, layout.start(ofLane: lane), layout.inner) }
    }
}

/// Sums `count` contiguous floats with eight independent SIMD accumulators (vectorised, and more
/// accurate than one running sum).
@inline(__always)
func contiguousSum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var accumulator = SIMD8<Float>(repeating: 0)
    var i = 0
    let raw = UnsafeRawPointer(x)
    while i + 8 <= count {
        accumulator += raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
        i &+= 8
    }
    var total = accumulator.sum()
    while i < count { total += x[i]; i &+= 1 }
    return total
}

/// Sums `x` (of `shape`) along `axis`, keeping that axis with extent 1.
func sumKernel(_ x: Tensor, axis: Int) -> Tensor {
    let layout = AxisLayout(shape: x.shape, axis: axis)
    var outputShape = x.shape
    outputShape[axis] = 1
    return Tensor(shape: outputShape) { output in
        let source = x.storage.pointer, destination = output.baseAddress!
        if layout.inner == 1 {
            parallelChunks(layout.outer, costPerItem: layout.extent) { rows in
                for row in rows { destination[row] = contiguousSum(source + row &* layout.extent, layout.extent) }
            }
        } else {
            parallelChunks(layout.outer, costPerItem: layout.extent * layout.inner) { rows in
                for row in rows {
                    let out = destination + row &* layout.inner
                    out.initialize(repeating: 0, count: layout.inner)
                    for j in 0..<layout.extent {
                        let input = source + (row &* layout.extent &+ j) &* layout.inner
                        for i in 0..<layout.inner { out[i] += input[i] }
                    }
                }
            }
        }
    }
}

/// `Σ (xᵢ − center)²` over `count` contiguous floats, with eight SIMD accumulators.
@inline(__always)
func contiguousSquaredDeviationSum(_ x: UnsafePointer<Float>, _ count: Int, center: Float) -> Float {
    var accumulator = SIMD8<Float>(repeating: 0)
    let centers = SIMD8<Float>(repeating: center)
    var i = 0
    let raw = UnsafeRawPointer(x)
    while i + 8 <= count {
        let d = raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self) - centers
        accumulator += d * d
        i &+= 8
    }
    var total = accumulator.sum()
    while i < count { let d = x[i] - center; total += d * d; i &+= 1 }
    return total
}

/// `Σ aᵢ·(bᵢ − center)` over `count` contiguous floats, with eight SIMD accumulators (centring first
/// keeps the sum accurate when `b` has a large mean).
@inline(__always)
func contiguousCenteredDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int, center: Float) -> Float {
    var accumulator = SIMD8<Float>(repeating: 0)
    let centers = SIMD8<Float>(repeating: center)
    var i = 0
    let (rawA, rawB) = (UnsafeRawPointer(a), UnsafeRawPointer(b))
    while i + 8 <= count {
        accumulator += rawA.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            * (rawB.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self) - centers)
        i &+= 8
    }
    var total = accumulator.sum()
    while i < count { total += a[i] * (b[i] - center); i &+= 1 }
    return total
}

/// The maximum of `count` contiguous floats (0 for an all −∞ run, so that `x − max` stays finite),
/// with eight independent running maxima.
@inline(__always)
func contiguousMaximum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var lanes = SIMD8<Float>(repeating: -.infinity)
    var maximum = -Float.infinity
    var i = 0
    while i + 8 <= count {
        for lane in 0..<8 { lanes[lane] = Swift.max(lanes[lane], x[i &+ lane]) }
        i &+= 8
    }
    while i < count { maximum = Swift.max(maximum, x[i]); i &+= 1 }
    for lane in 0..<8 { maximum = Swift.max(maximum, lanes[lane]) }
    return maximum == -.infinity ? 0 : maximum
}
