import CosmosDomain

extension AppDatabase {
    /// The job, or nil when there is no such job; a store failure still throws.
    ///
    /// For callers to whom a missing job is an answer (a container whose job was deleted), not an error.
    public func jobIfExists(_ id: String) async throws -> JobRecord? {
        do {
            return try await job(id).job
        } catch StoreError.jobNotFound {
            return nil
        }
    }
}
