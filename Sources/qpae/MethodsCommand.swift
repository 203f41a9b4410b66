import ArgumentParser
import Experiments
import Training
import Unlearning

struct MethodsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "methods",
        abstract: "List the unlearning methods and every setting each one takes, with its default.",
        discussion: """
        The names are those of `qpae forget --method` and of scenario files; the settings are those that \
        `qpae forget --setting NAME=VALUE` and a scenario variant's "configuration" change.

        Examples:
          qpae methods
          qpae methods --method scrub
        """)

    @Option(help: ArgumentHelp("Only this method.", valueName: "name"))
    var method: MethodName?

    func run() {
        for name in method.map({ [$0] }) ?? MethodName.allCases {
            print("\(name.rawValue) (\(name.displayName)): \(name.grade.explanation)")
            if !name.presetNames.isEmpty { print("  presets (--preset): \(name.presetNames.joined(separator: ", "))") }
            if name.grade != .exact {
                print("  --preset \(Calibration.presetName): the setting `qpae calibrate` chose for a model and recorded in it "
                      + "(the default on such a model)")
            }
            for (field, value) in name.defaultConfiguration.flattened().sorted(by: { $0.key < $1.key }) {
                print("  \(field) = \(value)")
            }
        }
    }
}
