import Foundation

/// A small, fast, seedable generator (Vigna's SplitMix64). Every random choice in QPAudioEraser takes a
/// generator made once from a recorded seed, so a run can be repeated exactly.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension RandomNumberGenerator {
    /// A uniform `Float` in `[0, 1)` with 24 random bits.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A standard normal sample by the Box–Muller transform.
    public mutating func nextStandardNormal() -> Float {
        let u1 = Double(next() >> 11 | 1) * 0x1p-53   // (0, 1): log is finite
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }
}

extension RandomNumberGenerator {
    /// Fisher–Yates with rejection sampling (every permutation equally likely). Unlike the standard
    /// library's `shuffle(using:)`, whose algorithm is unspecified, the order depends only on the
    /// generator's sequence: the same seed gives the same order on every platform and Swift version.
    public mutating func shuffleReproducibly<T>(_ elements: inout [T]) {
        guard elements.count > 1 else { return }
        for i in stride(from: elements.count - 1, to: 0, by: -1) {
            let bound = UInt64(i + 1)
            let limit = UInt64.max - UInt64.max % bound
            var draw = next()
            while draw >= limit { draw = next() }
            elements.swapAt(i, Int(draw % bound))
        }
    }
}

extension Tensor {
    /// Samples from the normal distribution with the given mean and standard deviation.
    public static func randomNormal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                                    using generator: inout some RandomNumberGenerator) -> Tensor {
        Tensor(shape: shape) { buffer in
            for i in buffer.indices { buffer[i] = mean + standardDeviation * generator.nextStandardNormal() }
        }
    }

    /// Samples uniformly from `range` (the upper bound is excluded).
    public static func randomUniform(_ shape: [Int], in range: Range<Float> = 0..<1,
                                     using generator: inout some RandomNumberGenerator) -> Tensor {
        let width = range.upperBound - range.lowerBound
        return Tensor(shape: shape) { buffer in
            for i in buffer.indices { buffer[i] = range.lowerBound + width * generator.nextUnitFloat() }
        }
    }
}
