import Foundation
import Testing

/// `Fixtures/<name>.json`, a golden file written by `Fixtures/generate_<name>.py` with scikit-learn or
/// SciPy, decoded.
func loadGolden<T: Decodable>(_ type: T.Type, name: String) throws -> T {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
                           "Fixtures/\(name).json is missing: run Fixtures/generate_\(name).py")
    return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}

/// `|a − b| ≤ tolerance` element by element, for lists of equal length.
func close<T: BinaryFloatingPoint>(_ a: [T], _ b: [T], tolerance: T = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { Swift.abs($0 - $1) <= tolerance }
}
