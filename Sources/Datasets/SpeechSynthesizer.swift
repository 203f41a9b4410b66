import AudioFeatures
import Foundation
import Tensors

/// Speaks text through the `espeak-ng` command and returns the samples it writes.
///
/// Each call runs `espeak-ng -v {voice} -p {pitch} -s {speed} -w {temporary.wav} {text}` as a child
/// process (arguments as an array, no shell), then reads the WAV back with ``decodeAudio(at:)``.
/// espeak-ng writes 22,050 Hz mono 16-bit PCM (``sampleRate``) and is deterministic: the same text and
/// settings give byte-identical files (checked with espeak-ng 1.51).
///
/// Calls are independent and may run in parallel from several threads, each in its own process.
///
/// ```swift
/// let voice = SpeechSynthesizer()
/// let samples = try voice.speak("seven", voice: "en+m3", pitch: 40, speed: 160)   // 22,050 Hz
/// let clip = try resample(samples, from: SpeechSynthesizer.sampleRate)          // 16 kHz
/// ```
public struct SpeechSynthesizer: Sendable {
    /// The rate espeak-ng writes, in Hz.
    public static let sampleRate = 22_050

    /// The `espeak-ng` executable this synthesizer runs.
    public var executable: URL

    /// Uses `executable`, or the first `espeak-ng` found on `PATH` (falling back to `/usr/bin/espeak-ng`).
    public init(executable: URL? = nil) {
        self.executable = executable ?? Self.findExecutable()
    }

    /// Speaks `text` and returns mono samples in [-1, 1] at ``sampleRate``.
    ///
    /// - Parameters:
    ///   - text: what to say; passed as one argument (a leading `-` is shielded by a space).
    ///   - voice: an espeak-ng voice, optionally with a variant: `"en"`, `"en+m3"`, `"es+f2"`, `"cmn"`.
    ///   - pitch: espeak's `-p`, 0…99 (50 is the voice's default).
    ///   - speed: espeak's `-s`, words per minute, 80…450 (175 is the default).
    /// - Throws: ``SpeechSynthesisError`` naming the command when espeak-ng is missing, fails or writes
    ///   no audio; ``AudioError`` if its WAV cannot be read.
    public func speak(_ text: String, voice: String, pitch: Int = 50, speed: Int = 175) throws -> [Float] {
        checkPrecondition((0...99).contains(pitch), "espeak-ng pitch must be in 0…99, got \(pitch)")
        checkPrecondition((80...450).contains(speed), "espeak-ng speed must be in 80…450 words/min, got \(speed)")
        let spoken = text.hasPrefix("-") ? " " + text : text
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("qpae-espeak-\(UUID().uuidString)")
        let wav = scratch.appendingPathExtension("wav")
        let log = scratch.appendingPathExtension("log")
        defer {
            try? FileManager.default.removeItem(at: wav)
            try? FileManager.default.removeItem(at: log)
        }
        let arguments = ["-v", voice, "-p", String(pitch), "-s", String(speed), "-w", wav.path, spoken]
        let command = ([executable.path] + arguments.dropLast() + ["\"\(text)\""]).joined(separator: " ")

        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw SpeechSynthesisError.executableNotFound(executable)
        }
        // stderr goes to a file, not a pipe: a pipe's write end can leak into a sibling process started
        // at the same moment, and then reading it never ends.
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw SpeechSynthesisError.failed(command: command, status: -1,
                                              message: "cannot create \(log.path)")
        }
        let errorFile = try FileHandle(forWritingTo: log)
        defer { try? errorFile.close() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errorFile
        do {
            try process.run()
        } catch {
            throw SpeechSynthesisError.failed(command: command, status: -1, message: "\(error)")
        }
        process.waitUntilExit()
        let message = (try? String(contentsOf: log, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw SpeechSynthesisError.failed(command: command, status: process.terminationStatus,
                                              message: message)
        }
        guard FileManager.default.fileExists(atPath: wav.path) else {
            throw SpeechSynthesisError.noAudio(command: command, message: message)
        }
        let decoded = try decodeAudio(at: wav)
        return decoded.sampleRate == Self.sampleRate
            ? decoded.samples
            : try resample(decoded.samples, from: decoded.sampleRate, to: Self.sampleRate)
    }

    private static func findExecutable() -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("espeak-ng")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return URL(fileURLWithPath: "/usr/bin/espeak-ng")
    }
}

/// Why ``SpeechSynthesizer`` produced no speech, with the command and the fix.
public enum SpeechSynthesisError: Error, Equatable, Sendable {
    /// No executable file at the path.
    case executableNotFound(URL)
    /// espeak-ng could not start or exited with a non-zero status; `message` is its standard error.
    case failed(command: String, status: Int32, message: String)
    /// espeak-ng exited normally but wrote no WAV file.
    case noAudio(command: String, message: String)
}

extension SpeechSynthesisError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .executableNotFound(let url):
            return "\(url.path): espeak-ng not found; the built-in synthetic corpus needs it. "
                + "Install it with `apt-get install espeak-ng` (or name a dataset folder instead)."
        case .failed(let command, let status, let message):
            return "`\(command)` failed (exit status \(status))\(message.isEmpty ? "" : ": \(message)"). "
                + "Check the voice name (`espeak-ng --voices`) or reinstall with `apt-get install espeak-ng`."
        case .noAudio(let command, let message):
            return "`\(command)` wrote no audio\(message.isEmpty ? "" : ": \(message)"). "
                + "Reinstall with `apt-get install espeak-ng`."
        }
    }
}

extension SpeechSynthesisError: LocalizedError {
    public var errorDescription: String? { description }
}
