import Audit
import Datasets
import Foundation
import NeuralNetworks
import Training

/// Models retrained without the forgotten classes (the audit's oracles), trained once with the
/// original's recipe and normalisation and kept beside the original, so that later audits of the same
/// erasure reuse them.
///
/// Oracle `i` (from 1) is trained with the recipe's seed plus `i`, leaving out the forgotten classes'
/// training examples: `<original>.oracles/without-<classes>/seed-<seed>.safetensors`. An interrupted
/// training resumes; a file that left out other classes or used another recipe is trained again.
public enum OracleBank {
    /// Where the oracles of `original` without `classes` live.
    public static func folder(beside original: URL, without classes: [String]) -> URL {
        original.deletingPathExtension().appendingPathExtension("oracles")
            .appendingPathComponent("without-" + ExperimentRunner.slug(classes.sorted().joined(separator: "+")))
    }

    /// The first `count` oracles of `original` without `forgetClasses`, training those not there yet.
    ///
    /// - Throws: ``ExperimentError/incompleteCheckpoint(checkpoint:missing:)`` when the original records
    ///   no recipe or was never saved; the errors of training.
    public static func oracles(count: Int, original: TrainedModel, data: PreparedData, forgetClasses: [Int],
                               observer: TrainingObserver = .silent,
                               log: (String) -> Void = { _ in }) throws -> [TrainedModel] {
        guard let file = original.file else {
            throw ExperimentError.incompleteCheckpoint(checkpoint: original.fileDescription, missing: "file to keep oracles beside")
        }
        guard let recipe = original.recipe else {
            throw ExperimentError.incompleteCheckpoint(checkpoint: file.path, missing: "training recipe (needed to retrain the oracles)")
        }
        let names = forgetClasses.sorted().map { data.classes[$0] }
        let folder = folder(beside: file, without: names)
        return try (1 ... max(count, 1)).prefix(count).map { number in
            var configuration = recipe
            configuration.seed = recipe.seed &+ UInt64(number)
            let url = folder.appendingPathComponent("seed-\(configuration.seed).safetensors")
            if !FileManager.default.fileExists(atPath: url.path) {
                log("oracle \(number) of \(count): retraining without \(names.joined(separator: ", ")) (seed \(configuration.seed))")
            }
            return try loadOrTrainModel(at: url, architecture: original.architecture, on: data,
                                        configuration: configuration, excludedClasses: forgetClasses,
                                        statistics: original.statistics, observer: observer) { oracle in
                oracle.recipe == configuration && Set(oracle.forgottenClasses) == Set(names)
                    && oracle.statistics == original.statistics
            }.model
        }
    }
}

/// The extension of the audit's measurement cache beside each model: `<model>.audit.json`.
public let auditCacheExtension = "audit.json"

/// Audits the erasure of `forgetClasses` (by default every class `unlearned` has forgotten) against
/// `oracleCount` models retrained without them (``OracleBank``); `original` is reported beside them.
///
/// Each model's measurement is cached beside its file (`<model>.audit.json`, ``MeasurementCache``) under a
/// key of the model's weights, the data, the classes and the audit configuration, so a second audit of the
/// same erasure measures only what changed.
///
/// - Throws: ``ExperimentError`` for data that does not fit the models or an original without a
///   recipe; ``AuditError`` for classes that cannot be audited; the errors of training and measuring.
public func auditModel(_ unlearned: TrainedModel, original: TrainedModel, data: PreparedData, forgetClasses: [Int]? = nil,
                       oracleCount: Int = 3, configuration: AuditConfiguration = AuditConfiguration(),
                       observer: TrainingObserver = .silent, log: (String) -> Void = { _ in }) throws -> AuditReport {
    try ConfigurationError.within(owner: "audit") { try configuration.validate() }
    try unlearned.checkCompatible(with: data)
    try original.checkCompatible(with: data)
    let forget = try forgetClasses ?? data.classIndices(named: unlearned.forgottenClasses)
    guard oracleCount >= 2 else { throw AuditError.tooFewOracles(oracleCount) }
    let auditData = try AuditData(classNames: data.classes, train: data.train, test: data.test,
                                  statistics: original.statistics, forgetClasses: forget)
    let oracles = try OracleBank.oracles(count: oracleCount, original: original, data: data, forgetClasses: forget,
                                         observer: observer, log: log)
    let configurationText = (try? JSONValue(encoding: configuration.measurementSettings).description) ?? ""
    var seconds: [String: Double] = [:]
    func measurement(_ model: TrainedModel, _ name: String) throws -> ModelMeasurement {
        let key = "model \(model.parameterFingerprint); original \(original.parameterFingerprint); data \(data.fingerprint) "
            + "\(data.splitMethod); forget \(forget.map { data.classes[$0] }); audit \(configurationText)"
        let cache = model.file.map { $0.deletingPathExtension().appendingPathExtension(auditCacheExtension) }
        if let cache, var cached = MeasurementCache.read(cache).first(where: { $0.key == key }) {
            seconds[name] = 0
            if cached.retainAccuracy == nil {  // cached before retained accuracy was measured: one inference pass adds it
                cached.retainAccuracy = measureRetainAccuracy(of: model.model, on: auditData)
                try MeasurementCache.store(cached, at: cache)
            }
            return cached
        }
        let start = Date()
        let measured = try ModelMeasurement.measure(
            AuditedModel(name: name, model: model.model, makeModel: model.modelFactory(seed: 0)), on: auditData,
            configuration: configuration, original: original.model, key: key, log: log)
        seconds[name] = Date().timeIntervalSince(start)
        if let cache { try MeasurementCache.store(measured, at: cache) }
        return measured
    }
    let originalMeasurement = try measurement(original, "original")
    let unlearnedMeasurement = try measurement(unlearned, "unlearned")
    let oracleMeasurements = try oracles.enumerated().map { try measurement($1, "oracle \($0 + 1)") }
    var report = try AuditReport(original: originalMeasurement, unlearned: unlearnedMeasurement, oracles: oracleMeasurements,
                                 forgetClasses: forget.map { data.classes[$0] }, configuration: configuration, seconds: seconds)
    let times = oracles.compactMap(\.trainingSeconds)
    report.retrainingSeconds = times.count == oracles.count ? times.reduce(0, +) / Double(times.count) : nil
    return report
}

/// The measurements cached beside one model (`<model>.audit.json`), one per key (the model's weights,
/// the data, the classes and the audit's settings), the most recent last: an original is measured for
/// each set of classes audited against it (a calibration on one speaker, then requests for others), and
/// auditing one of them again must not measure it anew.
enum MeasurementCache {
    /// Keys kept per model; the oldest goes first.
    static let capacity = 8

    /// The cached measurements, oldest first; none for a missing or unreadable file. A file written when one
    /// measurement was kept per model reads as that one.
    static func read(_ url: URL) -> [ModelMeasurement] {
        (try? ReportJSON.read([ModelMeasurement].self, from: url))
            ?? (try? ReportJSON.read(ModelMeasurement.self, from: url)).map { [$0] } ?? []
    }

    /// Adds `measurement` (replacing one with its key), atomically.
    static func store(_ measurement: ModelMeasurement, at url: URL) throws {
        let kept = read(url).filter { $0.key != measurement.key }.suffix(capacity - 1)
        try ReportJSON.write(Array(kept) + [measurement], to: url)
    }
}

extension TrainedModel {
    /// A 64-bit FNV-1a hash of every parameter and buffer's bits, in hexadecimal: equal for equal weights.
    public var parameterFingerprint: String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for (name, parameter) in model.namedParameters() {
            for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
            for value in parameter.value.scalars { hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01B3 }
        }
        return String(hash, radix: 16)
    }
}
