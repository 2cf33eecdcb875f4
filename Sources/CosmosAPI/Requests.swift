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

/// `POST /v1/jobs/{id}/move`.
public struct MoveRequest: Codable, Sendable, Equatable {
    /// `top`, `bottom`, `before`, `after` or `position`.
    public var to: String
    /// The other job, for `before` and `after`.
    public var job: String?
    /// The 1-based position, for `position`.
    public var position: Int?

    public init(to: String, job: String? = nil, position: Int? = nil) {
        self.to = to
        self.job = job
        self.position = position
    }
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
