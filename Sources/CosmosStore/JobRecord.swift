import CosmosDomain
import Foundation
import GRDB

/// One row of the `job` table: everything needed to carry a job on after a restart.
public struct JobRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "job"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: String
    public var name: String?
    public var kind: JobKind
    public var state: JobState
    public var priority: Int
    /// The queue key within the priority level; kept while running so a retry returns to its place.
    public var seq: Int64
    public var image: String
    public var spec: JobSpec
    public var gpus: Int
    public var ownerUid: Int
    /// Attempts started so far (the current attempt's number while starting or running).
    public var attempts: Int
    /// `attempts` when a user last retried the job; retry budgets count from here.
    public var retryBase: Int
    public var host: String?
    public var devices: [String]
    public var containerId: String?
    public var exitCode: Int?
    public var oomKilled: Bool
    public var error: String?
    public var reason: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// A retried job does not start before this time (backoff).
    public var notBefore: Date?
    public var outputs: [String]
    public var batchId: String?
    public var parentId: String?
    public var batchIndex: Int?
    /// The engine timestamp of the last log line saved, to resume following without duplicates.
    public var logCursor: String?

    /// Attempts made since the last user retry.
    public var attemptsInRun: Int { attempts - retryBase }

    /// The fixed container name of the current attempt.
    public var containerName: String {
        ContainerName.make(kind: kind, jobID: id, attempt: attempts)
    }
}
