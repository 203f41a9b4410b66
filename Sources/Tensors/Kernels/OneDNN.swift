import Checks
import CDNNL
import Synchronization

/// The oneDNN engine and stream the engine's convolutions and bf16 products run on, and the lock that
/// serialises their execution (one stream; each primitive runs on OpenMP threads of its own).
enum OneDNN {
    nonisolated(unsafe) static let engine: dnnl_engine_t? = {   // made once, then only read
        var engine: dnnl_engine_t?
        return dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success ? engine : nil
    }()
    nonisolated(unsafe) private static let stream: dnnl_stream_t? = {   // used under `execution` only
        guard let engine else { return nil }
        var stream: dnnl_stream_t?
        return dnnl_stream_create(&stream, engine, UInt32(dnnl_stream_default_flags.rawValue)) == dnnl_success ? stream : nil
    }()
    private static let execution = Mutex(())

    /// Runs `body` with the execution lock held and OpenMP set to the engine's thread count.
    static func executing(_ body: (dnnl_stream_t) -> Void) {
        guard let stream else { return }
        execution.withLock { _ in
            omp_set_num_threads(Int32(ComputeThreads.count))
            body(stream)
        }
    }
}

/// A `dnnl_memory_desc_t` built from dims and a format tag, or dims and strides (in elements).
struct MemoryDescriptor {
    var value = dnnl_memory_desc_t()

    init?(_ dims: [Int64], _ tag: dnnl_format_tag_t, _ type: dnnl_data_type_t = dnnl_f32) {
        guard dnnl_memory_desc_init_by_tag(&value, Int32(dims.count), dims, type, tag) == dnnl_success else { return nil }
    }

    init?(_ dims: [Int64], strides: [Int64], _ type: dnnl_data_type_t = dnnl_f32) {
        guard dnnl_memory_desc_init_by_strides(&value, Int32(dims.count), dims, type, strides) == dnnl_success else { return nil }
    }
}

/// An input operand converted to a primitive's layout and type (a reorder's result), kept so that a
/// later primitive reading the same data in the same layout skips the conversion: a convolution's input
/// from its forward pass to its backward-weights pass, its output gradient from backward-data to
/// backward-weights. The buffer returns to the pool when the last reference goes.
final class ConvertedOperand: @unchecked Sendable {   // immutable; the buffer is only read after init
    fileprivate let buffer: UnsafeMutableRawPointer
    fileprivate let byteCount: Int
    fileprivate let descriptor: dnnl_memory_desc_t

    fileprivate init(buffer: UnsafeMutableRawPointer, byteCount: Int, descriptor: dnnl_memory_desc_t) {
        (self.buffer, self.byteCount, self.descriptor) = (buffer, byteCount, descriptor)
    }

    deinit { BufferPool.release(buffer, byteCount: byteCount) }

    fileprivate func holds(_ wanted: dnnl_memory_desc_t) -> Bool {
        var (held, wanted) = (descriptor, wanted)
        return dnnl_memory_desc_equal(&held, &wanted) != 0
    }
}

/// One oneDNN primitive with its arguments. Each argument comes in our layout and type (`user`); where
/// the primitive chose another (a blocked layout, bf16), a reorder converts inputs before and outputs after.
final class OneDNNStep {
    enum Direction { case input, output }

    struct Argument {
        let index: Int32
        var user: dnnl_memory_desc_t, chosen: dnnl_memory_desc_t
        let direction: Direction
        /// The reorder between `user` and `chosen`, `nil` when they are the same layout.
        let reorder: dnnl_primitive_t?
        let chosenByteCount: Int
    }

    let descriptor: dnnl_primitive_desc_t
    private let primitive: dnnl_primitive_t
    private var arguments: [Argument]
    private var scratchpad: dnnl_memory_desc_t
    private let scratchpadByteCount: Int

    /// Primitive attributes asking for a user-managed scratchpad.
    nonisolated(unsafe) private static let attributes: dnnl_primitive_attr_t? = {   // made once, then only read
        var attributes: dnnl_primitive_attr_t?
        guard dnnl_primitive_attr_create(&attributes) == dnnl_success,
              dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user) == dnnl_success
        else { return nil }
        return attributes
    }()

    /// `operation` points at an operation descriptor (`dnnl_convolution_desc_t`, `dnnl_matmul_desc_t`).
    init?(_ operation: UnsafeRawPointer, hint: dnnl_primitive_desc_t?, engine: dnnl_engine_t,
          arguments specifications: [(Int32, MemoryDescriptor, dnnl_query_t, Direction)]) {
        var descriptor: dnnl_primitive_desc_t?
        guard let attributes = Self.attributes,
              dnnl_primitive_desc_create(&descriptor, operation, attributes, engine, hint) == dnnl_success, let descriptor,
              let scratchpad = dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0)?.pointee
        else { return nil }
        var arguments: [Argument] = []
        for (index, user, query, direction) in specifications {
            guard let chosenPointer = dnnl_primitive_desc_query_md(descriptor, query, 0) else { return nil }
            var (userValue, chosen) = (user.value, chosenPointer.pointee)
            var reorder: dnnl_primitive_t?
            if dnnl_memory_desc_equal(&userValue, &chosen) == 0 {
                var reorderDescriptor: dnnl_primitive_desc_t?
                let created = direction == .input
                    ? dnnl_reorder_primitive_desc_create(&reorderDescriptor, &userValue, engine, &chosen, engine, attributes)
                    : dnnl_reorder_primitive_desc_create(&reorderDescriptor, &chosen, engine, &userValue, engine, attributes)
                guard created == dnnl_success, dnnl_primitive_create(&reorder, reorderDescriptor) == dnnl_success
                else { return nil }
                dnnl_primitive_desc_destroy(reorderDescriptor)
            }
            arguments.append(Argument(index: index, user: userValue, chosen: chosen, direction: direction, reorder: reorder,
                                      chosenByteCount: dnnl_memory_desc_get_size(&chosen)))
        }
        var primitive: dnnl_primitive_t?
        guard dnnl_primitive_create(&primitive, descriptor) == dnnl_success, let primitive else { return nil }
        (self.descriptor, self.primitive, self.arguments) = (descriptor, primitive, arguments)
        self.scratchpad = scratchpad
        scratchpadByteCount = dnnl_memory_desc_get_size(&self.scratchpad)
    }

    /// Executes the primitive on `pointers` (one per argument, in our layout), reordering as needed.
    ///
    /// An input argument found in `reused` (by its `DNNL_ARG_*` index) in the layout this primitive wants
    /// is read from there instead of being converted again; the caller guarantees it holds the same data.
    /// The converted inputs whose indices are in `kept` are returned, for a later primitive to reuse.
    @discardableResult
    func run(_ pointers: [UnsafeMutableRawPointer], reusing reused: [Int32: ConvertedOperand] = [:],
             keeping kept: Set<Int32> = []) -> [Int32: ConvertedOperand] {
        guard let engine = OneDNN.engine else { return [:] }
        var keptOperands: [Int32: ConvertedOperand] = [:]
        OneDNN.executing { stream in
            var memories: [dnnl_memory_t?] = []
            var scratch: [(UnsafeMutableRawPointer, Int)] = []
            var executionArguments: [dnnl_exec_arg_t] = []
            var pendingOutputs: [(dnnl_primitive_t, dnnl_memory_t?, dnnl_memory_t?)] = []
            for (argument, pointer) in zip(arguments, pointers) {
                var user: dnnl_memory_t?
                var userDescriptor = argument.user
                dnnl_memory_create(&user, &userDescriptor, engine, pointer)
                memories.append(user)
                guard let reorder = argument.reorder else {
                    executionArguments.append(dnnl_exec_arg_t(arg: argument.index, memory: user))
                    continue
                }
                let converted = argument.direction == .input ? reused[argument.index].flatMap { $0.holds(argument.chosen) ? $0 : nil } : nil
                let buffer = converted?.buffer ?? BufferPool.allocate(byteCount: argument.chosenByteCount)
                if converted == nil {
                    if argument.direction == .input && kept.contains(argument.index) {
                        keptOperands[argument.index] = ConvertedOperand(buffer: buffer, byteCount: argument.chosenByteCount,
                                                                        descriptor: argument.chosen)
                    } else {
                        scratch.append((buffer, argument.chosenByteCount))
                    }
                }
                var chosen: dnnl_memory_t?
                var chosenDescriptor = argument.chosen
                dnnl_memory_create(&chosen, &chosenDescriptor, engine, buffer)
                memories.append(chosen)
                if argument.direction == .input {
                    if converted == nil {
                        execute(reorder, stream, [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: user),
                                                  dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: chosen)])
                    }
                } else {
                    pendingOutputs.append((reorder, chosen, user))
                }
                executionArguments.append(dnnl_exec_arg_t(arg: argument.index, memory: chosen))
            }
            if scratchpadByteCount > 0 {
                let buffer = BufferPool.allocate(byteCount: scratchpadByteCount)
                scratch.append((buffer, scratchpadByteCount))
                var memory: dnnl_memory_t?
                dnnl_memory_create(&memory, &scratchpad, engine, buffer)
                memories.append(memory)
                executionArguments.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: memory))
            }
            execute(primitive, stream, executionArguments)
            for (reorder, from, to) in pendingOutputs {
                execute(reorder, stream, [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: from),
                                          dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: to)])
            }
            dnnl_stream_wait(stream)
            for memory in memories { dnnl_memory_destroy(memory) }
            for (buffer, byteCount) in scratch { BufferPool.release(buffer, byteCount: byteCount) }
        }
        return keptOperands
    }

    private func execute(_ primitive: dnnl_primitive_t, _ stream: dnnl_stream_t, _ arguments: [dnnl_exec_arg_t]) {
        let status = arguments.withUnsafeBufferPointer {
            dnnl_primitive_execute(primitive, stream, Int32($0.count), $0.baseAddress)
        }
        checkPrecondition(status == dnnl_success, "oneDNN failed to execute a primitive (status \(status))")
    }
}
