import Experiments
import Foundation
import Synchronization
import Training
import Unlearning

/// What a requester asks for: forget `subjects` from `model`, under their own `reference`.
public struct Submission: Codable, Sendable, Equatable {
    public var model: String
    public var subjects: [String]
    public var reference: String
    /// The unlearning method (`qpae methods`); QPAudioEraser when absent.
    public var method: String?
    /// A named configuration of the method (`paper`).
    public var preset: String?
    /// Changes to the method's configuration, as `qpae forget --setting` takes them (`{"epochs": 2}`).
    public var configuration: JSONValue?
    /// Seeds the run; drawn at random and recorded when absent.
    public var seed: UInt64?

    public init(model: String, subjects: [String], reference: String, method: String? = nil, preset: String? = nil,
                configuration: JSONValue? = nil, seed: UInt64? = nil) {
        self.model = model
        self.subjects = subjects
        self.reference = reference
        self.method = method
        self.preset = preset
        self.configuration = configuration
        self.seed = seed
    }
}

/// The erasure service without its HTTP front: its state (a ``ServiceDatabase``, the ``ModelStore``, the
/// ``SigningIdentity``), the checks a submission passes, and the workers that run the queue.
///
/// ```
/// <data folder>/service.sqlite       models, versions, requests, tokens, the ledger (WAL), unless
///                                    --database names a PostgreSQL server that several instances share
///              /signing-key(.pub)    the Ed25519 key pair (the private key readable by its owner only)
///              /models/<sha256>.safetensors, <sha256>.oracles/ …   (or the shared --model-store)
///              /cache/features/      extracted features, shared by the jobs
/// ```
public final class ErasureService: Sendable {
    public let folder: URL
    public let database: any ServiceDatabase
    public let store: ModelStore
    public let identity: SigningIdentity
    public let settings: ServiceSettings
    public let metrics = ServiceMetrics()
    /// This process's name in leases: host, process id and a random suffix.
    public let instance: String
    private let workers = Mutex((stopping: false, running: 0))

    /// Opens the service's state: the key pair and caches in `folder`, the database at `database`, the
    /// checkpoints in `modelStore` (by default `folder/models`); creates what is missing.
    ///
    /// Several instances share one PostgreSQL database and one model store (a shared folder); each
    /// needs the same signing key in its own data folder (copy `signing-key` with mode 0600).
    public init(folder: URL, database location: DatabaseLocation = .sqlite, modelStore: URL? = nil,
                settings: ServiceSettings = ServiceSettings()) async throws {
        self.folder = folder
        self.settings = settings
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ServiceError.badDataFolder(folder.path, problem: "cannot create it: \(error.localizedDescription)")
        }
        identity = try SigningIdentity.loadOrCreate(in: folder)
        database = try await location.open(folder: folder)
        store = try ModelStore(folder: modelStore ?? folder.appendingPathComponent("models"))
        instance = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8).lowercased())"
    }

    var featureCache: URL { folder.appendingPathComponent("cache/features") }

    var isStopping: Bool { workers.withLock { $0.stopping } }
    var runningWorkers: Int { workers.withLock { $0.running } }
    func beginStopping() { workers.withLock { $0.stopping = true } }
    func workerStarted() { workers.withLock { $0.running += 1 } }
    func workerStopped() { workers.withLock { $0.running -= 1 } }

    // MARK: Models

    /// Registers the checkpoint at `checkpoint` as `name`'s version 1 (copied into the store).
    ///
    /// - Throws: ``ServiceError/invalidRequest(_:)`` for a bad name or a file that is not a checkpoint
    ///   of ours; ``ServiceError/conflict(_:)`` for a name already taken.
    public func registerModel(name: String, checkpoint: URL, dataPath: String? = nil) async throws -> RegisteredModel {
        guard !name.isEmpty, name.count <= 100,
              name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0) }) else {
            throw ServiceError.invalidRequest("model name \"\(name)\": use 1-100 letters, digits, '-', '_' or '.'")
        }
        let trained: TrainedModel
        do {
            trained = try TrainedModel(contentsOf: checkpoint)
        } catch {
            throw ServiceError.invalidRequest("\(checkpoint.path) is not a checkpoint this service can use: \(error)")
        }
        guard dataPath != nil || trained.recordedDataRequest(featureCache: nil) != nil else {
            throw ServiceError.invalidRequest("\(checkpoint.path) records no dataset: give a data path")
        }
        let sha256 = try store.store(contentsOf: checkpoint)
        return try await database.registerModel(name: name, sha256: sha256, classNames: trained.classNames,
                                                forgottenClasses: trained.forgottenClasses, dataPath: dataPath)
    }

    // MARK: Requests

    /// Checks `submission` and queues it for `owner` (an idempotency key that `owner` used before
    /// returns the request made then, with `created` false).
    ///
    /// - Throws: ``ServiceError/invalidRequest(_:)`` naming the problem: an unknown model, subject,
    ///   method, preset or setting, every remaining class at once, a subject forgotten already;
    ///   ``ServiceError/conflict(_:)`` for a subject another unfinished request will forget, or a
    ///   reused idempotency key.
    public func submit(_ submission: Submission, owner: AccessToken, idempotencyKey: String? = nil) async throws
        -> (request: ErasureRequest, created: Bool) {
        guard let model = try await database.models().first(where: { $0.name == submission.model }) else {
            throw ServiceError.invalidRequest("unknown model \(submission.model)")
        }
        let reference = submission.reference.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reference.isEmpty, reference.count <= 200 else {
            throw ServiceError.invalidRequest("reference: give your own reference for the request (1-200 characters)")
        }
        guard !submission.subjects.isEmpty else { throw ServiceError.invalidRequest("subjects: name at least one class to forget") }
        guard Set(submission.subjects).count == submission.subjects.count else {
            throw ServiceError.invalidRequest("subjects: a subject is named twice")
        }
        let forgotten = try await database.activeVersion(of: model.name).forgottenClasses
        for subject in submission.subjects {
            guard model.classNames.contains(subject) else {
                throw ServiceError.invalidRequest("unknown subject \(subject) in model \(model.name); its classes: "
                                                  + model.classNames.joined(separator: ", "))
            }
            guard !forgotten.contains(subject) else {
                throw ServiceError.invalidRequest("subject \(subject) is forgotten already in model \(model.name)'s active version")
            }
        }
        guard model.classNames.count - forgotten.count > submission.subjects.count else {
            throw ServiceError.invalidRequest("subjects: forgetting every remaining class of \(model.name) leaves no model")
        }
        let methodName = try ErasureJob.methodName(submission.method ?? MethodName.qpaudioeraser.rawValue)
        let changes = submission.configuration ?? .object([:])
        do {                                  // the calibrated preset is the model's: its job makes it
            if submission.preset != Calibration.presetName {
                _ = try methodName.makeMethod(preset: submission.preset, changes: changes)
            }
        } catch let error as ConfigurationError {
            throw ServiceError.invalidRequest("configuration: \(error)")
        }
        var generator = SystemRandomNumberGenerator()
        let now = Date()
        let request = ErasureRequest(
            id: UUID().uuidString.lowercased(), model: model.name, subjects: submission.subjects,
            subjectSalts: submission.subjects.map { _ in String(format: "%016llx%016llx", generator.next() as UInt64, generator.next() as UInt64) },
            reference: reference, method: methodName.rawValue, preset: submission.preset,
            configuration: changes.description, seed: Int64(bitPattern: submission.seed ?? UInt64(generator.next() as UInt32)),
            state: .queued, submittedAt: now, deadline: now.addingTimeInterval(settings.deadline), attempts: 0,
            owner: owner.id, idempotencyKey: idempotencyKey)
        return try await database.submit(request)
    }

    /// The certificate of a completed request.
    ///
    /// - Throws: ``ServiceError/notFound(_:)`` for a request without one (not completed).
    public func certificate(for id: String) async throws -> ErasureCertificate {
        let request = try await database.request(id)
        guard let sequence = request.ledgerSequence else {
            throw ServiceError.notFound("certificate for request \(id) (it is \(request.state.rawValue))")
        }
        return try ErasureCertificate(entry: try await database.ledgerEntry(sequence), publicKey: identity.publicKeyText)
    }

    /// Sends a request that failed its audit back to the queue as a retraining without its subjects.
    public func approveRetraining(_ id: String) async throws -> ErasureRequest {
        try await database.approveRetraining(id)
    }
}
