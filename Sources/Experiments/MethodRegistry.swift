import Unlearning

extension MethodName {
    /// The name tables print.
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

    /// The method with its published defaults (QPAudioEraser with `qpaudioeraser`).
    public func makeMethod(qpaudioeraser: QPAudioEraser.Configuration = .init()) -> any UnlearningMethod {
        switch self {
        case .qpaudioeraser: QPAudioEraser(configuration: qpaudioeraser)
        case .retrain: Retrain()
        case .fineTune: FineTune()
        case .gradientAscent: GradientAscent()
        case .negativeGradient: NegativeGradient()
        case .selectiveSynapticDampening: SelectiveSynapticDampening()
        case .fisherForgetting: FisherForgetting()
        case .paperSD: PaperStandInSD()
        case .paperFF: PaperStandInFF()
        case .scrub: SCRUB()
        case .badTeacher: BadTeacher()
        }
    }
}
