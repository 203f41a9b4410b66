import Training

/// The unlearning methods by the name used on the command line, in scenario files and in requests to a
/// server: the registry. A new method is a compile error until ``methodType`` and ``displayName`` name it.
public enum MethodName: String, CaseIterable, Codable, Sendable {
    /// ``QPAudioEraser``, the four phases of the paper.
    case qpaudioeraser
    /// ``Retrain``: retraining from scratch on the retained data with the original recipe, the gold standard.
    case retrain
    /// ``FineTune``: continued training on the retained data only.
    case fineTune = "fine-tune"
    /// ``GradientAscent``, the paper's: minimise CE(retain) − CE(forget) over mixed batches.
    case gradientAscent = "gradient-ascent"
    /// ``NegativeGradient``: minimise −CE on the forget examples only.
    case negativeGradient = "negative-gradient"
    /// ``SelectiveSynapticDampening`` (Foster et al., AAAI 2024).
    case selectiveSynapticDampening = "ssd"
    /// ``FisherForgetting`` (Golatkar et al., CVPR 2020).
    case fisherForgetting = "fisher"
    /// ``PaperStandInSD``, the paper code's one-step stand-in labelled "SD": θ ← θ − 0.1·ḡ_f.
    case paperSD = "sd-paper-code"
    /// ``PaperStandInFF``, the paper code's one-step stand-in labelled "FF": θ ← θ − 0.1·F_f ⊙ θ.
    case paperFF = "ff-paper-code"
    /// ``SCRUB`` (Kurmanji et al., NeurIPS 2023).
    case scrub
    /// ``BadTeacher`` (Chundawat et al., AAAI 2023).
    case badTeacher = "bad-teacher"
}

extension MethodName {
    /// The type that implements the method.
    public var methodType: any UnlearningMethod.Type {
        switch self {
        case .qpaudioeraser: QPAudioEraser.self
        case .retrain: Retrain.self
        case .fineTune: FineTune.self
        case .gradientAscent: GradientAscent.self
        case .negativeGradient: NegativeGradient.self
        case .selectiveSynapticDampening: SelectiveSynapticDampening.self
        case .fisherForgetting: FisherForgetting.self
        case .paperSD: PaperStandInSD.self
        case .paperFF: PaperStandInFF.self
        case .scrub: SCRUB.self
        case .badTeacher: BadTeacher.self
        }
    }

    /// The name tables, reports and ``UnlearningMethod/name`` print.
    public var displayName: String {
        switch self {
        case .qpaudioeraser: "QPAudioEraser"
        case .retrain: "Retrain"
        case .fineTune: "Fine-tune"
        case .gradientAscent: "Gradient ascent"
        case .negativeGradient: "Negative gradient"
        case .selectiveSynapticDampening: "SSD"
        case .fisherForgetting: "Fisher forgetting"
        case .paperSD: "SD (paper code)"
        case .paperFF: "FF (paper code)"
        case .scrub: "SCRUB"
        case .badTeacher: "Bad Teacher"
        }
    }

    /// The method with its published defaults, or the named `preset`, changed by `changes`: a JSON
    /// object naming only the settings it changes (`{"epochs": 1, "batchPlan": {"retainFraction": 0.25}}`),
    /// as a scenario file, the command line or a server request gives them.
    ///
    /// - Throws: ``ConfigurationError`` naming the method and the field: an unknown preset (field
    ///   `preset`), a setting the method does not have, a value of the wrong kind, or one out of range.
    public func makeMethod(preset: String? = nil, changes: JSONValue = .object([:])) throws -> any UnlearningMethod {
        func make<Method: UnlearningMethod>(_ type: Method.Type) throws -> Method {
            Method(configuration: try ConfigurationError.within(owner: displayName) {
                var base = Method.Configuration()
                if let preset {
                    guard let named = Method.Configuration.presets[preset] else {
                        let known = Method.Configuration.presets.keys.sorted()
                        throw ConfigurationError(field: "preset", problem: .invalidValue(
                            reason: "no preset '\(preset)' (" + (known.isEmpty ? "this method has none" : "its presets: "
                                + known.joined(separator: ", ")) + ")"))
                    }
                    base = named
                }
                return try base.applying(changes)
            })
        }
        return try make(methodType)
    }

    /// The names of the method's presets (``MethodConfiguration/presets``), sorted.
    public var presetNames: [String] {
        func names<Method: UnlearningMethod>(_ type: Method.Type) -> [String] { Method.Configuration.presets.keys.sorted() }
        return names(methodType)
    }

    /// What an erasure by this method is worth as evidence that the classes are gone (``ErasureGrade``).
    public var grade: ErasureGrade { self == .retrain ? .exact : .outputsOnly }

    /// The published defaults as JSON, every field present.
    public var defaultConfiguration: JSONValue {
        func defaults<Method: UnlearningMethod>(_ type: Method.Type) -> JSONValue {
            (try? JSONValue(encoding: Method.Configuration())) ?? .null
        }
        return defaults(methodType)
    }

    /// Whether the method's configuration has the setting `field` (a dotted path: `batchPlan.retainFraction`).
    public func takes(_ field: String) -> Bool {
        var value: JSONValue? = defaultConfiguration
        for key in field.split(separator: ".") { value = value?[String(key)] }
        return value != nil
    }
}

/// What an erasure is worth as evidence that the classes are gone from the model, shown wherever a
/// method or setting is offered so that none is presented as more than the audit has found.
public enum ErasureGrade: String, Codable, Sendable {
    /// Retraining without the classes: the model never saw them.
    case exact
    /// The model stops naming the classes, but the audit (`qpae audit`) has not found the setting
    /// indistinguishable from retraining: on FSDD it tells every approximate setting apart, by the
    /// forgotten row, by relearning or by how the forgotten voices are heard. Not a privacy-grade
    /// erasure unless an audit of the model says so.
    case outputsOnly = "outputs only"
    /// The setting `qpae calibrate` chose for this model, unchanged: the audit found it
    /// indistinguishable from retraining on most seeds forgetting the calibration classes, against
    /// models retrained without them. A request for other classes is not covered by that evidence (it
    /// has failed to carry from one speaker to another); `--audit` judges the request itself.
    case calibrated

    /// One sentence for help texts and reports.
    public var explanation: String {
        switch self {
        case .exact:
            "exact: a model retrained without the classes, the erasure every audit compares with"
        case .outputsOnly:
            "outputs only: the model stops naming the classes, but the audit tells this setting apart from "
                + "retraining on FSDD, so it is not a privacy-grade erasure unless an audit of your model "
                + "(--audit) finds it indistinguishable"
        case .calibrated:
            "calibrated: the setting `qpae calibrate` chose for this model, which the audit found indistinguishable "
                + "from retraining on most seeds forgetting its calibration classes; other classes are judged only "
                + "by an audit of their own request (--audit)"
        }
    }
}
