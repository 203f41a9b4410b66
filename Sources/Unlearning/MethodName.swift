/// The unlearning methods by the name used on the command line and in reports. A new method is a
/// compile error until every `switch` over this type handles it.
public enum MethodName: String, CaseIterable, Codable, Sendable {
    /// ``QPAudioEraser``, the four phases of the paper.
    case qpaudioeraser
}
