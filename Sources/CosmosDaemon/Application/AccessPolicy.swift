import CosmosStore

/// Decides whether a caller may perform an action: the one place access rules live.
///
/// Every command asks it before touching the store. Today every socket user may do everything (the socket's
/// mode and group are the only gate); the access-control work fills in owners, admins and refusals here.
struct AccessPolicy: Sendable {
    /// What a caller asks to do.
    enum Action: Sendable {
        /// Submit jobs or batches.
        case submit
        /// Change one job (cancel, hold, release, retry, move, priority) or follow its logs.
        case changeJob(JobRecord, verb: String)
        /// Change one named batch.
        case changeBatch(BatchRecord, verb: String)
        /// Queue-wide switches: pause, resume, host drain and resume.
        case operate(verb: String)
    }

    /// Throws when `caller` may not perform `action`.
    func authorize(_ action: Action, by caller: PeerCredentials) throws {}
}
