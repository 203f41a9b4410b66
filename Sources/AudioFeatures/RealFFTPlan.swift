import Checks
import CFFTW
import Foundation

/// FFTW's planner (and `fftwf_destroy_plan`) is not thread-safe: every plan in the process is made and
/// destroyed under this one lock. Executing a plan with the new-array interface needs no lock.
private let fftwPlannerLock = NSLock()

/// One FFTW single-precision real-to-complex plan of a fixed length, made once and reused from any thread.
///
/// The plan is made with `FFTW_ESTIMATE` (instant; `FFTW_MEASURE` costs ~74 ms per plan) on buffers from
/// `fftwf_malloc`, and each call runs `fftwf_execute_dft_r2c` on caller-owned ``Buffers`` that are also
/// from `fftwf_malloc`, so they have the alignment the plan assumed. FFTW documents new-array execution
/// as thread-safe, which is why the class is `@unchecked Sendable`: its only state is the immutable plan.
final class RealFFTPlan: @unchecked Sendable {
    /// Real input samples per transform (`n_fft`).
    let length: Int
    /// Complex outputs per transform, `length/2 + 1`.
    var binCount: Int { length / 2 + 1 }
    private let plan: fftwf_plan

    init(length: Int) {
        checkPrecondition(length > 0 && length % 2 == 0, "RealFFTPlan: length \(length) must be positive and even")
        self.length = length
        let input = fftwf_alloc_real(length)!
        let output = fftwf_alloc_complex(length / 2 + 1)!
        defer { fftwf_free(input); fftwf_free(output) }
        fftwPlannerLock.lock()
        let plan = fftwf_plan_dft_r2c_1d(Int32(length), input, output, UInt32(FFTW_ESTIMATE))
        fftwPlannerLock.unlock()
        guard let plan else { fatalError("RealFFTPlan: FFTW could not plan a real FFT of length \(length)") }
        self.plan = plan
    }

    deinit {
        fftwPlannerLock.lock()
        fftwf_destroy_plan(plan)
        fftwPlannerLock.unlock()
    }

    /// Aligned scratch for one thread's transforms: `input` holds `length` reals, `output` `binCount`
    /// complex values `(re, im)`. Not shared between threads; freed on deinit.
    final class Buffers {
        let input: UnsafeMutablePointer<Float>
        let output: UnsafeMutablePointer<fftwf_complex>
        let length: Int

        init(length: Int) {
            self.length = length
            input = fftwf_alloc_real(length)!
            output = fftwf_alloc_complex(length / 2 + 1)!
            input.initialize(repeating: 0, count: length)
        }

        deinit {
            fftwf_free(input)
            fftwf_free(output)
        }
    }

    func makeBuffers() -> Buffers { Buffers(length: length) }

    /// Transforms `buffers.input` into `buffers.output` (unnormalised, FFTW's sign convention e^{−2πi·kn/N}).
    func execute(_ buffers: Buffers) {
        checkPrecondition(buffers.length == length, "RealFFTPlan: buffers of length \(buffers.length), plan of \(length)")
        fftwf_execute_dft_r2c(plan, buffers.input, buffers.output)
    }
}
