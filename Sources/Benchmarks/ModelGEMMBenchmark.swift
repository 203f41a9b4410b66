import CBLAS
import CDNNL
import Tensors

/// Every matrix-product shape of the three models' training step (batch 32) and the ViT's inference
/// (batch 256), run single-threaded in OpenBLAS (`cblas_sgemm`) and in oneDNN (`dnnl_sgemm`) on the
/// same raw buffers, alternated; beside them the library ``MatrixKernels`` chooses for the shape, and
/// what the choice costs against the faster one. This table is what the choice rule was read from.
struct ModelGEMMBenchmark {
    /// One product shape: `op(A)` is `m × k`, `op(B)` is `k × n`; `count` independent products per step.
    struct Shape {
        let name: String
        let transposeA: Bool, transposeB: Bool
        let m: Int, n: Int, k: Int
        var count = 1

        var flops: Double { 2 * Double(m) * Double(n) * Double(k) * Double(count) }
        var label: String { "\(name) \(transposeA ? "T" : "N")\(transposeB ? "T" : "N") \(m)×\(n)×\(k)" + (count > 1 ? " ×\(count)" : "") }
    }

    /// ViT-Tiny: 97 tokens (96 patches and the class token) of width 192, 3 heads of 64, MLP 768; a linear
    /// layer's forward is `X·Wᵀ`, its input gradient `G·W`, its weight gradient `Gᵀ·X`. The classifier
    /// heads of the CNN (128 features) and ResNet18 (512).
    static let shapes: [Shape] = {
        let tokens = 32 * 97
        var shapes: [Shape] = []
        for (name, input, output) in [("qkv", 192, 576), ("proj", 192, 192), ("fc1", 192, 768), ("fc2", 768, 192)] {
            shapes += [Shape(name: "vit \(name) forward", transposeA: false, transposeB: true, m: tokens, n: output, k: input),
                       Shape(name: "vit \(name) ∂input", transposeA: false, transposeB: false, m: tokens, n: input, k: output),
                       Shape(name: "vit \(name) ∂weight", transposeA: true, transposeB: false, m: output, n: input, k: tokens)]
        }
        let heads = 32 * 3
        shapes += [Shape(name: "attention Q·Kᵀ", transposeA: false, transposeB: true, m: 97, n: 97, k: 64, count: heads),
                   Shape(name: "attention P·V", transposeA: false, transposeB: false, m: 97, n: 64, k: 97, count: heads),
                   Shape(name: "attention ∂P", transposeA: false, transposeB: true, m: 97, n: 97, k: 64, count: heads),
                   Shape(name: "attention ∂V", transposeA: true, transposeB: false, m: 97, n: 64, k: 97, count: heads),
                   Shape(name: "attention ∂K", transposeA: true, transposeB: false, m: 97, n: 64, k: 97, count: heads),
                   Shape(name: "vit qkv inference", transposeA: false, transposeB: true, m: 256 * 97, n: 576, k: 192),
                   Shape(name: "vit fc1 inference", transposeA: false, transposeB: true, m: 256 * 97, n: 768, k: 192)]
        for (model, features) in [("cnn", 128), ("resnet18", 512)] {
            shapes += [Shape(name: "\(model) head forward", transposeA: false, transposeB: true, m: 32, n: 10, k: features),
                       Shape(name: "\(model) head ∂weight", transposeA: true, transposeB: false, m: 10, n: features, k: 32)]
        }
        return shapes
    }()

    let plan: RepetitionPlan

    func run(using generator: inout SplitMix64) -> TextTable {
        var table = TextTable(textColumns: 1, "product", "OpenBLAS GFLOP/s", "oneDNN GFLOP/s", "oneDNN/OpenBLAS",
                              "engine runs", "choice vs faster")
        openblas_set_num_threads(1)
        omp_set_num_threads(1)
        for shape in Self.shapes {
            let sizeA = shape.m * shape.k, sizeB = shape.k * shape.n, sizeC = shape.m * shape.n
            let a = AlignedBuffer(copying: Tensor.randomNormal([sizeA * shape.count], using: &generator))
            let b = AlignedBuffer(copying: Tensor.randomNormal([sizeB * shape.count], using: &generator))
            let c = AlignedBuffer(count: sizeC * shape.count)
            let lda = shape.transposeA ? shape.m : shape.k, ldb = shape.transposeB ? shape.k : shape.n
            let openBLAS: () -> Float = {
                for index in 0 ..< shape.count {
                    cblas_sgemm(CblasRowMajor, shape.transposeA ? CblasTrans : CblasNoTrans, shape.transposeB ? CblasTrans : CblasNoTrans,
                                Int32(shape.m), Int32(shape.n), Int32(shape.k), 1, a.pointer + index * sizeA, Int32(lda),
                                b.pointer + index * sizeB, Int32(ldb), 0, c.pointer + index * sizeC, Int32(shape.n))
                }
                return c.pointer[0]
            }
            let oneDNN: () -> Float = {
                for index in 0 ..< shape.count {
                    _ = dnnl_sgemm(CChar(UInt8(ascii: shape.transposeA ? "T" : "N")), CChar(UInt8(ascii: shape.transposeB ? "T" : "N")),
                                   Int64(shape.m), Int64(shape.n), Int64(shape.k), 1, a.pointer + index * sizeA, Int64(lda),
                                   b.pointer + index * sizeB, Int64(ldb), 0, c.pointer + index * sizeC, Int64(shape.n))
                }
                return c.pointer[0]
            }
            let timings = measureRoundRobin(plan, [openBLAS, oneDNN])
            let (blas, dnnl) = (timings[0].median, timings[1].median)
            let chosen = MatrixKernels.kernel(flops: 2 * shape.m * shape.n * shape.k)
            let chosenTime = chosen == .oneDNN ? dnnl : blas
            table.append([shape.label, Format.rate(shape.flops / blas / 1e9), Format.rate(shape.flops / dnnl / 1e9),
                          Format.ratio(blas / dnnl), chosen.rawValue, Format.ratio(min(blas, dnnl) / chosenTime)])
        }
        return table
    }
}
