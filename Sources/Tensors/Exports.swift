/// Every module above `Tensors` checks its preconditions with `checkPrecondition`; importing `Tensors`
/// brings it along.
@_exported import Checks
