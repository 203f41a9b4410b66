import Testing
@testable import Tensors

@Suite("Buffer pool")
struct BufferPoolTests {
    @Test(arguments: [65_536, 65_537, 100_000, 1_000_000, 123_456_789])
    func sizeClassesWasteAtMostAnEighth(_ byteCount: Int) {
        let size = BufferPool.sizeClass(byteCount)
        #expect(size >= byteCount && Double(size) <= Double(byteCount) * 1.125)
        #expect(size % 64 == 0)
    }

    @Test func smallRequestsAreNotRounded() {
        #expect(BufferPool.sizeClass(1000) == 1000)
    }

    /// An unusual size (39 MiB), so no concurrently running test takes the buffer in between.
    @Test func aReleasedBufferIsReusedForTheSameSizeClass() {
        let first = BufferPool.allocate(byteCount: 41_000_001)
        BufferPool.release(first, byteCount: 41_000_001)
        let second = BufferPool.allocate(byteCount: 41_000_002)
        #expect(first == second)
        BufferPool.release(second, byteCount: 41_000_002)
    }
}
