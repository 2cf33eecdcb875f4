import CosmosDomain

/// `POST /v1/jobs`: job specs as submitted; the daemon validates each and names the field it refuses.
public struct SubmitRequest: Codable, Sendable {
    public var jobs: [JSONValue]

    public init(jobs: [JSONValue]) {
        self.jobs = jobs
    }
}

/// The answer to a submit, and to a list: jobs.
public struct JobsResponse: Codable, Sendable {
    public var jobs: [JobView]

    public init(jobs: [JobView]) {
        self.jobs = jobs
    }
}

/// `POST /v1/jobs/{id}/move` and `POST /v1/batches/{id}/move`: `{"to": "before", "job": "..."}`.
public struct MoveRequest: Codable, Sendable, Equatable {
    /// Where to, within the priority level.
    public enum Destination: String, Codable, Sendable, CaseIterable {
        case top, bottom, before, after, position
    }

    public var to: Destination
    /// The other job, for `before` and `after`.
    public var job: String?
    /// The 1-based position, for `position`.
    public var position: Int?

    public init(to: Destination, job: String? = nil, position: Int? = nil) {
        self.to = to
        self.job = job
        self.position = position
    }

    /// The request as one value; a missing companion field is named.
    public init(_ target: MoveTarget) {
        switch target {
        case .top: self.init(to: .top)
        case .bottom: self.init(to: .bottom)
        case .before(let other): self.init(to: .before, job: other)
        case .after(let other): self.init(to: .after, job: other)
        case .position(let position): self.init(to: .position, position: position)
        }
    }

    /// The move target, or which field is missing.
    public func target() throws(InvalidRequest) -> MoveTarget {
        switch to {
        case .top: return .top
        case .bottom: return .bottom
        case .before, .after:
            guard let other = job, !other.isEmpty else {
                throw InvalidRequest(field: "job", reason: "\(to.rawValue) needs the other job's id")
            }
            return to == .before ? .before(other) : .after(other)
        case .position:
            guard let position else { throw InvalidRequest(field: "position", reason: "missing") }
            return .position(position)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .to)
        guard let to = Destination(rawValue: text) else {
            throw InvalidRequest(field: "to", reason: "must be top, bottom, before, after or position")
        }
        self.to = to
        job = try container.decodeIfPresent(String.self, forKey: .job)
        position = try container.decodeIfPresent(Int.self, forKey: .position)
    }
}

/// A request the API refuses before doing anything: names the field and the reason (HTTP 400).
public struct InvalidRequest: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}

/// `POST /v1/jobs/{id}/priority`.
public struct PriorityRequest: Codable, Sendable, Equatable {
    public var priority: Int

    public init(priority: Int) {
        self.priority = priority
    }
}

/// Every error the control API returns: `{"error": {"code": "...", "message": "..."}}`.
public struct ErrorResponse: Codable, Sendable, Equatable, Error {
    public struct Body: Codable, Sendable, Equatable {
        /// A stable machine-readable code, such as `invalid_spec` or `not_found`.
        public var code: String
        /// What is wrong, naming the field and the reason.
        public var message: String
    }

    public var error: Body

    public init(code: String, message: String) {
        self.error = Body(code: code, message: message)
    }
}

/// `POST /v1/upscales`: a 4K version of a job's video (`from_job`) or of a video file (`video`).
///
/// Absent fields take the defaults of the daemon's `[upscale]` table; the container options are those of a spec.
public struct UpscaleRequest: Codable, Sendable, Equatable {
    /// The job whose video output is upscaled; it is waited for when it has not finished.
    public var fromJob: String?
    /// Which of the source job's outputs, when it has several videos.
    public var output: String?
    /// A video file on the daemon's machine, under the input policy.
    public var video: String?
    public var weight: Double?
    public var prompt: String?
    public var name: String?
    public var image: String?
    public var gpus: Int?
    public var env: [String: String]?
    public var memory: String?
    public var command: [String]?
    public var priority: Int?

    public init(
        fromJob: String? = nil,
        output: String? = nil,
        video: String? = nil,
        weight: Double? = nil,
        prompt: String? = nil,
        name: String? = nil,
        image: String? = nil,
        gpus: Int? = nil,
        env: [String: String]? = nil,
        memory: String? = nil,
        command: [String]? = nil,
        priority: Int? = nil
    ) {
        self.fromJob = fromJob
        self.output = output
        self.video = video
        self.weight = weight
        self.prompt = prompt
        self.name = name
        self.image = image
        self.gpus = gpus
        self.env = env
        self.memory = memory
        self.command = command
        self.priority = priority
    }

    enum CodingKeys: String, CodingKey {
        case fromJob = "from_job"
        case output, video, weight, prompt, name, image, gpus, env, memory, command, priority
    }
}

/// `POST /v1/enhance-runs`: one container enhances the prompts of queued or held inference jobs.
///
/// Absent container fields take the defaults of the daemon's `[enhance]` table.
public struct EnhanceBatchRequest: Codable, Sendable, Equatable {
    /// The source jobs, in the order given.
    public var jobs: [String]
    /// A named batch whose queued jobs are sources too (after `jobs`).
    public var batch: String?
    /// `update` (rewrite the sources' prompts) or `create_new` (queue enhanced copies).
    public var mode: String
    /// The prompt-upsampling model the run names in its `job.json`.
    public var model: String?
    public var image: String?
    public var gpus: Int?
    public var env: [String: String]?
    public var memory: String?
    public var command: [String]?

    public init(
        jobs: [String],
        batch: String? = nil,
        mode: String,
        model: String? = nil,
        image: String? = nil,
        gpus: Int? = nil,
        env: [String: String]? = nil,
        memory: String? = nil,
        command: [String]? = nil
    ) {
        self.jobs = jobs
        self.batch = batch
        self.mode = mode
        self.model = model
        self.image = image
        self.gpus = gpus
        self.env = env
        self.memory = memory
        self.command = command
    }
}
