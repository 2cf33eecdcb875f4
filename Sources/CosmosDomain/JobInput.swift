/// An input that names another job's output: `job:<id>/<file>`, or `job:<id>` for that job's one video.
///
/// It is staged from the outputs folder like any input, and it makes the job wait for that job to succeed.
public struct JobInput: Sendable, Equatable {
    /// The prefix that marks a job-output input.
    public static let scheme = "job:"

    /// File name endings that count as videos, for `job:<id>` and `upscale --from-job`.
    public static let videoExtensions: Set<String> = ["mp4", "mov", "mkv", "avi", "webm"]

    /// The job that writes the file.
    public var jobID: String
    /// The file's path inside that job's outputs; nil for "its one video output".
    public var file: String?

    public init(jobID: String, file: String?) {
        self.jobID = jobID
        self.file = file
    }

    /// Parses `job:<id>` or `job:<id>/<file>`; nil for anything that does not start with `job:`.
    public init?(parsing text: String) {
        guard text.hasPrefix(Self.scheme) else { return nil }
        let rest = text.dropFirst(Self.scheme.count)
        if let slash = rest.firstIndex(of: "/") {
            jobID = String(rest[..<slash])
            file = String(rest[rest.index(after: slash)...])
        } else {
            jobID = String(rest)
            file = nil
        }
    }

    /// Why the input is malformed, or nil when it is well formed.
    public var problem: String? {
        guard JobID.isWellFormed(jobID) else {
            return "\"\(Self.scheme)\(jobID)\" does not name a job id (10 characters, as `cosmosctl list` shows)"
        }
        guard let file else { return nil }
        let parts = file.split(separator: "/", omittingEmptySubsequences: false)
        guard !file.isEmpty, !file.contains("\0"), parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            return "\"\(file)\" is not a file inside job \(jobID)'s outputs"
        }
        return nil
    }

    /// The text form, as submitted.
    public var text: String { Self.scheme + jobID + (file.map { "/" + $0 } ?? "") }

    /// Whether an output path (relative to its job's outputs folder) is a video.
    public static func isVideo(_ path: String) -> Bool {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return false }
        return videoExtensions.contains(path[path.index(after: dot)...].lowercased())
    }

    /// The output this input names among a finished job's `outputs`, or a reason why there is none.
    public func resolve(in outputs: [String]) -> Result<String, JobInputError> {
        if let file {
            return outputs.contains(file) ? .success(file) : .failure(.missing(self, outputs: outputs))
        }
        let videos = outputs.filter(Self.isVideo)
        guard videos.count == 1 else {
            return .failure(videos.isEmpty ? .noVideo(jobID: jobID) : .severalVideos(jobID: jobID, videos: videos))
        }
        return .success(videos[0])
    }
}

/// Why a job-output input cannot be staged.
public enum JobInputError: Error, Equatable, CustomStringConvertible, Sendable {
    case missing(JobInput, outputs: [String])
    case noVideo(jobID: String)
    case severalVideos(jobID: String, videos: [String])
    case notSucceeded(JobInput, state: JobState)
    case sameName(String)

    public var description: String {
        switch self {
        case .missing(let input, let outputs):
            "\(input.text): job \(input.jobID) has no output \"\(input.file ?? "")\""
                + (outputs.isEmpty ? " (it has no outputs)" : " (its outputs: \(outputs.joined(separator: ", ")))")
        case .noVideo(let id):
            "job \(id) has no video output"
        case .notSucceeded(let input, let state):
            "\(input.text): job \(input.jobID) is \(state.rawValue), not succeeded"
        case .sameName(let name):
            "two inputs would both be /cosmos/in/\(name); name the files apart"
        case .severalVideos(let id, let videos):
            "job \(id) has several videos (\(videos.joined(separator: ", "))); name one, as job:\(id)/<file>"
        }
    }
}
