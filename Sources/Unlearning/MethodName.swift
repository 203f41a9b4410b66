/// The unlearning methods by the name used on the command line and in reports. A new method is a
/// compile error until every `switch` over this type handles it.
public enum MethodName: String, CaseIterable, Codable, Sendable {
    /// ``QPAudioEraser``, the four phases of the paper.
    case qpaudioeraser
    /// Retraining from scratch on the retained data with the original recipe: the gold standard.
    case retrain
    /// Continued training on the retained data only.
    case fineTune = "fine-tune"
    /// The paper's gradient ascent: minimise CE(retain) − CE(forget) over mixed batches.
    case gradientAscent = "gradient-ascent"
    /// Minimise −CE on the forget examples only.
    case negativeGradient = "negative-gradient"
    /// Selective synaptic dampening (Foster et al., AAAI 2024).
    case selectiveSynapticDampening = "ssd"
    /// Fisher forgetting (Golatkar et al., CVPR 2020).
    case fisherForgetting = "fisher"
    /// The paper code's one-step stand-in labelled "SD": θ ← θ − 0.1·ḡ_f.
    case paperSD = "sd-paper-code"
    /// The paper code's one-step stand-in labelled "FF": θ ← θ − 0.1·F_f ⊙ θ.
    case paperFF = "ff-paper-code"
    /// SCRUB (Kurmanji et al., NeurIPS 2023).
    case scrub
    /// Bad Teacher (Chundawat et al., AAAI 2023).
    case badTeacher = "bad-teacher"
}
