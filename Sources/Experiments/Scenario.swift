import Audit
import Datasets
import Foundation
import Models
import Training
import Unlearning

/// One experiment as data: which dataset and model, which methods on which forget sets, over which
/// seeds. Read from a JSON file (`qpae experiment --scenario FILE`) or built from a preset, and checked
/// (``validate()``) before anything runs.
///
/// ```json
/// {"name": "fsdd-single", "kind": "single", "data": "../shared/data/fsdd", "model": "cnn",
///  "methods": ["qpaudioeraser", "retrain", "ssd"], "forgetSets": [["0"]], "seeds": [0, 1, 2],
///  "recipe": {"epochs": 20},
///  "variants": [{"name": "budget", "configuration": {"epochs": 1, "batchPlan": {"retainFraction": 0.25}}},
///               {"name": "gentle", "method": "scrub", "configuration": {"alpha": 0.01}}]}
/// ```
///
/// `recipe` and each variant's `configuration` name only what they change (from ``defaultRecipe`` and
/// from the method's published defaults).
public struct Scenario: Codable, Equatable, Sendable {
    /// How the forget sets are used.
    public enum Kind: String, Codable, CaseIterable, Sendable {
        /// Each forget set is its own experiment, every method starting from the original model.
        case single, multi
        /// The forget sets are requests in order; each method unlearns request `r` on the model it
        /// produced for request `r − 1`, and retraining leaves out every class requested so far.
        case sequential
    }

    /// A method with some of its settings changed, under a name (the ablation compares several of
    /// QPAudioEraser's). A method with variants runs as its variants instead of once with its defaults.
    public struct Variant: Codable, Equatable, Sendable {
        public var name: String
        /// The method configured. Default `qpaudioeraser`.
        public var method: MethodName
        /// The method's named configuration to start from (`paper`) instead of its defaults. Default none.
        public var preset: String?
        /// The settings changed from the method's defaults (or the preset), as a JSON object (`{"epochs": 1}`).
        public var configuration: JSONValue

        public init(name: String, method: MethodName = .qpaudioeraser, preset: String? = nil,
                    configuration: JSONValue = .object([:])) {
            self.name = name
            self.method = method
            self.preset = preset
            self.configuration = configuration
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(name: try c.decode(String.self, forKey: .name),
                      method: try c.decodeIfPresent(MethodName.self, forKey: .method) ?? .qpaudioeraser,
                      preset: try c.decodeIfPresent(String.self, forKey: .preset),
                      configuration: try c.decodeIfPresent(JSONValue.self, forKey: .configuration) ?? .object([:]))
        }

        /// The method with the variant's settings.
        ///
        /// - Throws: ``ConfigurationError`` naming the method and the field (`preset` for an unknown one).
        public func makeMethod() throws -> any UnlearningMethod {
            try method.makeMethod(preset: preset, changes: configuration)
        }

        /// What tables print: `QPAudioEraser (budget)`.
        public var label: String { "\(method.displayName) (\(name))" }
    }

    public var name: String
    public var kind: Kind
    /// The dataset root; `nil` is the built-in synthetic corpus (its accents when `layout` is `accent`).
    public var data: String?
    public var layout: DatasetLayout?
    public var classKind: ClassKind?
    /// Where examples are cut from recordings; the paper's presets take them consecutively as it did.
    public var examples: ExamplePlacement
    public var model: Architecture
    /// The original model's recipe (its `seed` is replaced by each run's seed); retraining uses it too.
    public var recipe: TrainingConfiguration
    public var methods: [MethodName]
    /// Classes by name or index. A set holding one entry `N%` stands for the first `max(1, round(N% · K))`
    /// classes (the paper's "10% of the classes").
    public var forgetSets: [[String]]
    public var seeds: [UInt64]
    /// Configured methods to compare; a method named here runs as its variants instead of its defaults.
    public var variants: [Variant]
    /// Seeds the stratified split of a dataset without an official one (the same for every run seed).
    public var splitSeed: UInt64
    /// The split by name (``SplitMethod/names``) with a test share of 0.2 and ``splitSeed``; `nil` is the
    /// dataset's official split where it has one, else stratified (by speaker for accents).
    public var split: String?
    /// Audit every run against models retrained without its classes (``auditModel(_:original:data:forgetClasses:oracleCount:configuration:observer:log:)``).
    public var audit: Bool
    /// How many oracles each audit compares with. Default 3.
    public var oracles: Int
    /// The audit's settings, changed from ``AuditConfiguration``'s defaults by the file's `auditSettings`.
    public var auditConfiguration: AuditConfiguration

    public init(name: String, kind: Kind, data: String? = nil, layout: DatasetLayout? = nil,
                classKind: ClassKind? = nil, examples: ExamplePlacement = .speech, model: Architecture = .cnn, recipe: TrainingConfiguration = Scenario.defaultRecipe,
                methods: [MethodName] = MethodName.allCases, forgetSets: [[String]], seeds: [UInt64] = [0],
                variants: [Variant] = [], splitSeed: UInt64 = 0, split: String? = nil, audit: Bool = false, oracles: Int = 3,
                auditConfiguration: AuditConfiguration = AuditConfiguration()) {
        self.name = name
        self.kind = kind
        self.data = data
        self.layout = layout
        self.classKind = classKind
        self.examples = examples
        self.model = model
        self.recipe = recipe
        self.methods = methods
        self.forgetSets = forgetSets
        self.seeds = seeds
        self.variants = variants
        self.splitSeed = splitSeed
        self.split = split
        self.audit = audit
        self.oracles = oracles
        self.auditConfiguration = auditConfiguration
    }

    /// The recipe of `qpae train` with a patience: up to 30 epochs, Adam 1e-3 under a cosine schedule with
    /// 5% warm-up, batch 32, 10% held out to choose the best epoch, stop after 8 epochs without improvement.
    public static let defaultRecipe = TrainingConfiguration(epochs: 30, batchSize: 32, learningRate: 1e-3, seed: 0,
                                                            validationFraction: 0.1, earlyStoppingPatience: 8,
                                                            schedule: .cosine)

    /// Reads and checks a scenario file (JSON); missing optional fields take the defaults above.
    ///
    /// - Throws: ``ExperimentError/invalidScenario(file:reason:)`` naming the file, the field and the
    ///   problem (a value of the wrong kind, out of range, a setting a method does not have).
    public init(contentsOf url: URL) throws {
        let data = try Data(contentsOf: url)
        do {
            self = try JSONDecoder().decode(Scenario.self, from: data)
            try validate()
        } catch let error as DecodingError {
            throw ExperimentError.invalidScenario(file: url.path, reason: ConfigurationError(error).description)
        } catch let error as ConfigurationError {
            throw ExperimentError.invalidScenario(file: url.path, reason: error.description)
        } catch let ExperimentError.invalidScenario(_, reason) {
            throw ExperimentError.invalidScenario(file: url.path, reason: reason)
        }
    }

    /// Checks everything that can be checked before data is read: the recipe and every variant's
    /// settings against their ranges, and that there is something to run.
    ///
    /// - Throws: ``ExperimentError/invalidScenario(file:reason:)`` naming the field.
    public func validate() throws {
        func fail(_ reason: String) -> ExperimentError { .invalidScenario(file: nil, reason: reason) }
        guard !methods.isEmpty || !variants.isEmpty else { throw fail("methods: name at least one method") }
        guard !forgetSets.isEmpty, forgetSets.allSatisfy({ !$0.isEmpty }) else {
            throw fail("forgetSets: give at least one set, each naming at least one class")
        }
        guard !seeds.isEmpty else { throw fail("seeds: give at least one seed") }
        if let split, !SplitMethod.names.contains(split) {
            throw fail("split: '\(split)' is not one of \(SplitMethod.names.joined(separator: ", "))")
        }
        do {
            try ConfigurationError.within(owner: "recipe") { try recipe.validate() }
        } catch let error as ConfigurationError {
            throw fail(error.description)
        }
        for variant in variants {
            do {
                _ = try variant.makeMethod()
            } catch let error as ConfigurationError {
                throw fail("variant '\(variant.name)': \(error)")
            }
        }
        if audit {
            guard oracles >= 2 else { throw fail("oracles: \(oracles): the audit's band needs at least 2") }
            do {
                try ConfigurationError.within(owner: "audit") { try auditConfiguration.validate() }
            } catch let error as ConfigurationError {
                throw fail("auditSettings: \(error)")
            }
        }
        if let name = Dictionary(grouping: variants, by: \.name).first(where: { $0.value.count > 1 })?.key {
            throw fail("variants: the name '\(name)' is used twice (names become file names of the runs)")
        }
    }

    /// The forget sets as class indices of `classes`, resolving `N%` entries.
    public func resolvedForgetSets(classes: [String]) throws -> [[Int]] {
        try forgetSets.map { set in
            if set.count == 1, set[0].hasSuffix("%"), let percent = Double(set[0].dropLast()) {
                return Array(0 ..< max(1, Int((percent / 100 * Double(classes.count)).rounded())))
            }
            return try PreparedData.classIndices(named: set, in: classes)
        }
    }
}

extension Scenario {
    enum CodingKeys: String, CodingKey {
        case name, kind, data, layout, classKind, examples, model, recipe, methods, forgetSets, seeds, variants, splitSeed, split
        case audit, oracles, auditSettings
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encodeIfPresent(data, forKey: .data)
        try c.encodeIfPresent(layout, forKey: .layout)
        try c.encodeIfPresent(classKind, forKey: .classKind)
        try c.encode(examples, forKey: .examples)
        try c.encode(model, forKey: .model)
        try c.encode(recipe, forKey: .recipe)
        try c.encode(methods, forKey: .methods)
        try c.encode(forgetSets, forKey: .forgetSets)
        try c.encode(seeds, forKey: .seeds)
        try c.encode(variants, forKey: .variants)
        try c.encode(splitSeed, forKey: .splitSeed)
        try c.encodeIfPresent(split, forKey: .split)
        try c.encode(audit, forKey: .audit)
        try c.encode(oracles, forKey: .oracles)
        try c.encode(auditConfiguration, forKey: .auditSettings)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), kind: try c.decode(Kind.self, forKey: .kind),
                  data: try c.decodeIfPresent(String.self, forKey: .data),
                  layout: try c.decodeIfPresent(DatasetLayout.self, forKey: .layout),
                  classKind: try c.decodeIfPresent(ClassKind.self, forKey: .classKind),
                  examples: try c.decodeIfPresent(ExamplePlacement.self, forKey: .examples) ?? .speech,
                  model: try c.decodeIfPresent(Architecture.self, forKey: .model) ?? .cnn,
                  recipe: try c.decodeIfPresent(JSONValue.self, forKey: .recipe).map { changes in
                      try ConfigurationError.within(owner: "recipe") { try Self.defaultRecipe.applying(changes) }
                  } ?? Self.defaultRecipe,
                  methods: try c.decodeIfPresent([MethodName].self, forKey: .methods) ?? MethodName.allCases,
                  forgetSets: try c.decode([[String]].self, forKey: .forgetSets),
                  seeds: try c.decodeIfPresent([UInt64].self, forKey: .seeds) ?? [0],
                  variants: try c.decodeIfPresent([Variant].self, forKey: .variants) ?? [],
                  splitSeed: try c.decodeIfPresent(UInt64.self, forKey: .splitSeed) ?? 0,
                  split: try c.decodeIfPresent(String.self, forKey: .split),
                  audit: try c.decodeIfPresent(Bool.self, forKey: .audit) ?? false,
                  oracles: try c.decodeIfPresent(Int.self, forKey: .oracles) ?? 3,
                  auditConfiguration: try c.decodeIfPresent(JSONValue.self, forKey: .auditSettings).map { changes in
                      try ConfigurationError.within(owner: "audit") { try AuditConfiguration().applying(changes) }
                  } ?? AuditConfiguration())
    }
}
