import Foundation
import Testing
import Tensors

/// Programmer mistakes trap with a message that names the shapes, instead of reading out of bounds.
/// Each check runs in a child process (Swift Testing exit tests) and reads its standard error.
@Suite("Shape checks trap with the offending shapes")
struct MisuseTests {
    @Test func matmulWithMismatchedInnerExtents() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).matmul(Tensor.zeros([4, 5]))
        }
        expectMessage(of: result, containing: ["[2, 3]", "[4, 5]"])
    }

    @Test func elementwiseWithShapesThatDoNotBroadcast() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }
        expectMessage(of: result, containing: ["[2, 3]", "[4]"])
    }

    @Test func convolutionWithTheWrongChannelCount() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.conv2d(Tensor.zeros([1, 3, 8, 8]), weight: Tensor.zeros([4, 2, 3, 3]))
        }
        expectMessage(of: result, containing: ["[1, 3, 8, 8]", "[4, 2, 3, 3]"])
    }

    @Test func reshapeToADifferentElementCount() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).reshaped(to: [4, 2])
        }
        expectMessage(of: result, containing: ["[2, 3]", "[4, 2]"])
    }

    @Test func gatherWithAnIndexOutOfRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).gather(alongAxis: 1, indices: [0, 5])
        }
        expectMessage(of: result, containing: ["index 5", "[2, 3]"])
    }

    @Test func sliceOutOfBounds() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).slice(alongAxis: 1, 0..<4)
        }
        expectMessage(of: result, containing: ["0..<4", "[2, 3]"])
    }

    @Test func batchNormWithMisshapedScale() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.batchNorm(Tensor.zeros([4, 2, 3, 3]), scale: Tensor.ones([3]), offset: nil)
        }
        expectMessage(of: result, containing: ["[3]", "[2]"])
    }

    /// Expects the standard error of a trapped child process to contain every string of `fragments`.
    private func expectMessage(of result: ExitTest.Result?, containing fragments: [String],
                               sourceLocation: SourceLocation = #_sourceLocation) {
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        for fragment in fragments {
            #expect(message.contains(fragment), "trap message lacks \"\(fragment)\": \(message)", sourceLocation: sourceLocation)
        }
    }
}
