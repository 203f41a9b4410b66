/// Traps with `message` when `condition` is false — in every build configuration.
///
/// Its own module, below `AudioFeatures` and `Tensors`, so that both can use it (`Tensors` re-exports it).
///
/// The standard `precondition` drops its message in optimised (`-O`) builds, so a user of a release
/// build would see a bare crash for a shape mismatch. Programmer mistakes in QPAudioEraser (mismatched
/// shapes, out-of-range indices) go through this instead, so the offending shapes are always printed.
@inlinable @inline(__always)
public func checkPrecondition(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                              file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError(message(), file: file, line: line) }
}
