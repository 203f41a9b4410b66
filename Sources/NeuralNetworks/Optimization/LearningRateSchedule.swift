import Foundation
import Tensors

/// A learning rate as a pure function of a zero-based step counter: set
/// `optimizer.learningRate = schedule.learningRate(at: step)` before each update (or each epoch).
///
/// The schedule does not know what a step is; the caller chooses the unit and each case documents the
/// convention it comes from. ``step(initial:stepSize:factor:)`` follows PyTorch's `StepLR`, which is
/// stepped once per **epoch**; ``cosineWithWarmup(peak:warmupSteps:totalSteps:minimum:)`` follows
/// Hugging Face transformers' `get_cosine_schedule_with_warmup`, which is stepped once per **optimizer
/// update** (iteration). To decay a `StepLR`-style schedule per iteration instead, multiply `stepSize`
/// by the number of batches in an epoch. Step 0 is the first update or epoch. Being a value, a
/// schedule holds no position: resuming a run only needs the step counter.
///
/// ```swift
/// let schedule = LearningRateSchedule.step(initial: 0.1, stepSize: 30, factor: 0.1)
/// for epoch in 0..<90 {
///     optimizer.learningRate = schedule.learningRate(at: epoch)   // 0.1, then 0.01 from epoch 30, …
///     …
/// }
/// ```
public enum LearningRateSchedule: Sendable, Equatable {
    /// The same rate `learningRate` at every step.
    case constant(Float)

    /// `initial · factor^⌊step / stepSize⌋`: multiplied by `factor` (γ, PyTorch `gamma`) every `stepSize`
    /// steps (PyTorch `step_size`), counted in epochs by convention (PyTorch `StepLR`).
    case step(initial: Float, stepSize: Int, factor: Float)

    /// Linear warm-up from 0 to `peak` over `warmupSteps` steps, then half a cosine from `peak` down to
    /// `minimum` at `totalSteps`, and `minimum` afterwards; steps are optimizer updates by convention.
    ///
    /// With `W = warmupSteps`, `T = totalSteps − W` and `t = step − W`:
    ///
    ///     lr(step) = peak · step / W                                     for step < W
    ///     lr(step) = minimum + ½(peak − minimum)(1 + cos(π · t / T))     for W ≤ step ≤ W + T
    ///     lr(step) = minimum                                             for step > W + T
    ///
    /// The first update (step 0) therefore has rate 0, and step `W` has `peak`. This is transformers'
    /// `get_cosine_with_min_lr_schedule_with_warmup` (`num_cycles = 0.5`, `min_lr = minimum`; with
    /// `minimum = 0`, `get_cosine_schedule_with_warmup`) and timm's `CosineLRScheduler` with
    /// `warmup_lr_init = 0` and `warmup_prefix = True`, except that past `totalSteps` both would climb
    /// back along the cosine while this stays at `minimum`. Rates are computed in double precision.
    case cosineWithWarmup(peak: Float, warmupSteps: Int, totalSteps: Int, minimum: Float = 0)

    /// The learning rate for the update (or epoch) with zero-based index `step`.
    public func learningRate(at step: Int) -> Float {
        checkPrecondition(step >= 0, "learning-rate schedules start at step 0, got \(step)")
        switch self {
        case .constant(let rate):
            return rate
        case .step(let initial, let stepSize, let factor):
            checkPrecondition(stepSize > 0, "StepLR needs a positive stepSize, got \(stepSize)")
            return Float(Double(initial) * Foundation.pow(Double(factor), Double(step / stepSize)))
        case .cosineWithWarmup(let peak, let warmupSteps, let totalSteps, let minimum):
            checkPrecondition(warmupSteps >= 0 && totalSteps >= warmupSteps,
                              "cosine schedule needs 0 ≤ warmupSteps ≤ totalSteps, got \(warmupSteps) and \(totalSteps)")
            if step < warmupSteps {
                return Float(Double(peak) * Double(step) / Double(warmupSteps))
            }
            let decaySteps = totalSteps - warmupSteps
            guard decaySteps > 0 else { return step == warmupSteps ? peak : minimum }
            let progress = Double(Swift.min(step - warmupSteps, decaySteps)) / Double(decaySteps)
            let (high, low) = (Double(peak), Double(minimum))
            return Float(low + 0.5 * (high - low) * (1 + Foundation.cos(Double.pi * progress)))
        }
    }
}
