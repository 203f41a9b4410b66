import Checks
import CDNNL
import Synchronization

/// Convolutions through oneDNN (Intel's deep-learning kernels, the ones PyTorch runs on the CPU):
/// blocked AVX-512 layouts, reached by reorders from and to our NCHW tensors. About 1.4× the speed of
/// im2col + OpenBLAS for ResNet's 3×3 layers here (../shared/PLATFORM.md). The im2col path stays as the
/// reference the tests compare with, and as the fallback when oneDNN rejects a shape.
///
/// One `OneDNNConvolution` holds the primitives of one geometry — forward, backward data, backward
/// weights and their reorders — made once (creating them takes milliseconds) and cached.
final class OneDNNConvolution: @unchecked Sendable {   // immutable after init; execution is serialised
    struct Geometry: Hashable {
        let batch: Int, channels: Int, height: Int, width: Int
        let outputChannels: Int, kernelHeight: Int, kernelWidth: Int
        let stride: [Int], padding: [Int], dilation: [Int]
        let groups: Int
    }

    nonisolated(unsafe) fileprivate static let engine: dnnl_engine_t? = {   // made once, then only read
        var engine: dnnl_engine_t?
        return dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success ? engine : nil
    }()
    nonisolated(unsafe) private static let stream: dnnl_stream_t? = {   // used under `execution` only
        guard let engine else { return nil }
        var stream: dnnl_stream_t?
        return dnnl_stream_create(&stream, engine, UInt32(dnnl_stream_default_flags.rawValue)) == dnnl_success ? stream : nil
    }()
    /// Primitives by geometry (`nil` where oneDNN declined), and the lock that serialises execution.
    /// Every primitive uses a user-managed scratchpad, taken from the buffer pool for each execution:
    /// the library-managed one is bound to the thread that made the primitive, and crashed when tests
    /// ran convolutions from several threads.
    private static let cache = Mutex<[Geometry: OneDNNConvolution?]>([:])
    private static let execution = Mutex(())

    /// The primitives for `geometry`, made on first use; `nil` when oneDNN is unavailable or declines.
    static func primitives(for geometry: Geometry) -> OneDNNConvolution? {
        if let cached = cache.withLock({ $0[geometry] }) { return cached }
        let made = OneDNNConvolution(geometry)
        cache.withLock { $0[geometry] = .some(made) }
        return made
    }

    private let forward: Step, backwardData: Step, backwardWeights: Step

    private init?(_ g: Geometry) {
        guard let engine = Self.engine else { return nil }
        let outputHeight = (g.height + 2 * g.padding[0] - g.dilation[0] * (g.kernelHeight - 1) - 1) / g.stride[0] + 1
        let outputWidth = (g.width + 2 * g.padding[1] - g.dilation[1] * (g.kernelWidth - 1) - 1) / g.stride[1] + 1
        let sourceDims = [g.batch, g.channels, g.height, g.width].map(Int64.init)
        let outputDims = [g.batch, g.outputChannels, outputHeight, outputWidth].map(Int64.init)
        let weightDims = (g.groups > 1 ? [g.groups, g.outputChannels / g.groups] : [g.outputChannels])
            .map(Int64.init) + [g.channels / g.groups, g.kernelHeight, g.kernelWidth].map(Int64.init)
        let weightTag = g.groups > 1 ? dnnl_goihw : dnnl_oihw
        guard let source = MemoryDescriptor(sourceDims, dnnl_nchw), let output = MemoryDescriptor(outputDims, dnnl_nchw),
              let weights = MemoryDescriptor(weightDims, weightTag),
              let anySource = MemoryDescriptor(sourceDims, dnnl_format_tag_any),
              let anyOutput = MemoryDescriptor(outputDims, dnnl_format_tag_any),
              let anyWeights = MemoryDescriptor(weightDims, dnnl_format_tag_any) else { return nil }
        let strides = g.stride.map(Int64.init), dilates = g.dilation.map { Int64($0 - 1) }
        let padding = g.padding.map(Int64.init)

        var forwardDescriptor = dnnl_convolution_desc_t()
        var backwardDataDescriptor = dnnl_convolution_desc_t()
        var backwardWeightsDescriptor = dnnl_convolution_desc_t()
        guard withUnsafePointer(to: anySource.value, { s in withUnsafePointer(to: anyWeights.value) { w in
                  withUnsafePointer(to: anyOutput.value) { o in
                      dnnl_dilated_convolution_forward_desc_init(&forwardDescriptor, dnnl_forward_training, dnnl_convolution_direct,
                                                                 s, w, nil, o, strides, dilates, padding, padding) == dnnl_success
                      && dnnl_dilated_convolution_backward_data_desc_init(&backwardDataDescriptor, dnnl_convolution_direct,
                                                                          s, w, o, strides, dilates, padding, padding) == dnnl_success
                      && dnnl_dilated_convolution_backward_weights_desc_init(&backwardWeightsDescriptor, dnnl_convolution_direct,
                                                                             s, w, nil, o, strides, dilates, padding, padding) == dnnl_success
                  } } }),
              let forward = Step(&forwardDescriptor, hint: nil, engine: engine,
                                 arguments: [(DNNL_ARG_SRC, source, dnnl_query_src_md, .input),
                                             (DNNL_ARG_WEIGHTS, weights, dnnl_query_weights_md, .input),
                                             (DNNL_ARG_DST, output, dnnl_query_dst_md, .output)]),
              let backwardData = Step(&backwardDataDescriptor, hint: forward.descriptor, engine: engine,
                                      arguments: [(DNNL_ARG_DIFF_DST, output, dnnl_query_diff_dst_md, .input),
                                                  (DNNL_ARG_WEIGHTS, weights, dnnl_query_weights_md, .input),
                                                  (DNNL_ARG_DIFF_SRC, source, dnnl_query_diff_src_md, .output)]),
              let backwardWeights = Step(&backwardWeightsDescriptor, hint: forward.descriptor, engine: engine,
                                         arguments: [(DNNL_ARG_SRC, source, dnnl_query_src_md, .input),
                                                     (DNNL_ARG_DIFF_DST, output, dnnl_query_diff_dst_md, .input),
                                                     (DNNL_ARG_DIFF_WEIGHTS, weights, dnnl_query_diff_weights_md, .output)])
        else { return nil }
        (self.forward, self.backwardData, self.backwardWeights) = (forward, backwardData, backwardWeights)
    }

    /// `output ← conv(input, weight)`, all in NCHW / OIHW.
    func forward(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        forward.run([UnsafeMutableRawPointer(mutating: input), UnsafeMutableRawPointer(mutating: weight), UnsafeMutableRawPointer(output)])
    }

    /// `inputGradient ← convᵀ(outputGradient, weight)`.
    func backwardData(outputGradient: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                      inputGradient: UnsafeMutablePointer<Float>) {
        backwardData.run([UnsafeMutableRawPointer(mutating: outputGradient), UnsafeMutableRawPointer(mutating: weight),
                          UnsafeMutableRawPointer(inputGradient)])
    }

    /// `weightGradient ← Σ input ⋆ outputGradient`.
    func backwardWeights(input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                         weightGradient: UnsafeMutablePointer<Float>) {
        backwardWeights.run([UnsafeMutableRawPointer(mutating: input), UnsafeMutableRawPointer(mutating: outputGradient),
                             UnsafeMutableRawPointer(weightGradient)])
    }

    /// Runs `body` with the execution lock held and OpenMP set to the engine's thread count.
    fileprivate static func executing(_ body: (dnnl_stream_t) -> Void) {
        guard let stream else { return }
        execution.withLock { _ in
            omp_set_num_threads(Int32(ComputeThreads.count))
            body(stream)
        }
    }
}

/// A `dnnl_memory_desc_t` built from dims and a format tag.
private struct MemoryDescriptor {
    var value = dnnl_memory_desc_t()

    init?(_ dims: [Int64], _ tag: dnnl_format_tag_t) {
        guard dnnl_memory_desc_init_by_tag(&value, Int32(dims.count), dims, dnnl_f32, tag) == dnnl_success else { return nil }
    }
}

/// One oneDNN primitive with its arguments. Each argument comes in our layout (`user`); where the
/// primitive chose another (blocked) layout, a reorder converts inputs before and outputs after.
private final class Step {
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

    init?(_ operation: inout dnnl_convolution_desc_t, hint: dnnl_primitive_desc_t?, engine: dnnl_engine_t,
          arguments specifications: [(Int32, MemoryDescriptor, dnnl_query_t, Direction)]) {
        var descriptor: dnnl_primitive_desc_t?
        guard let attributes = Self.attributes,
              dnnl_primitive_desc_create(&descriptor, &operation, attributes, engine, hint) == dnnl_success, let descriptor,
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
    func run(_ pointers: [UnsafeMutableRawPointer]) {
        guard let engine = OneDNNConvolution.engine else { return }
        OneDNNConvolution.executing { stream in
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
                let buffer = BufferPool.allocate(byteCount: argument.chosenByteCount)
                scratch.append((buffer, argument.chosenByteCount))
                var chosen: dnnl_memory_t?
                var chosenDescriptor = argument.chosen
                dnnl_memory_create(&chosen, &chosenDescriptor, engine, buffer)
                memories.append(chosen)
                if argument.direction == .input {
                    execute(reorder, stream, [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: user),
                                              dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: chosen)])
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
    }

    private func execute(_ primitive: dnnl_primitive_t, _ stream: dnnl_stream_t, _ arguments: [dnnl_exec_arg_t]) {
        let status = arguments.withUnsafeBufferPointer {
            dnnl_primitive_execute(primitive, stream, Int32($0.count), $0.baseAddress)
        }
        checkPrecondition(status == dnnl_success, "oneDNN failed to execute a convolution primitive (status \(status))")
    }
}
