import CosmosDomain
import Foundation
import GRDB

/// Limits on dependency chains.
public enum DependencyLimits {
    /// The longest chain of waiting jobs (`C --after B --after A` is 2 deep). The failure of the first job fails
    /// the whole chain in its own transaction, through one trigger level per link.
    public static let maxDepth = 100
}

/// Dependencies between jobs: `after` (Slurm's `afterok`), `after_any`, and `job:` inputs.
///
/// A job may only name jobs that exist when it is submitted, and its dependencies never change afterwards, so no
/// cycle can be made. A waiting job keeps its queue place; the claim skips it until every dependency is
/// satisfied. When an `after` dependency fails or is cancelled, the trigger `job_dependency_broken` fails the
/// waiting job in the same transaction, with reason `dependency <id> failed`, and so on down the chain.
extension AppDatabase {
    /// `v10-dependencies`: the dependency table, its trigger, and the source link of upscale jobs.
    static func migrateDependencies(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE job_dependency (
                    job_id TEXT NOT NULL,
                    depends_on TEXT NOT NULL,
                    condition TEXT NOT NULL,      -- 'ok': must succeed; 'any': must end
                    ordinal INTEGER NOT NULL,     -- the order the job named them in
                    PRIMARY KEY (job_id, depends_on)
                ) WITHOUT ROWID;
                CREATE INDEX job_dependency_awaited ON job_dependency(depends_on);
                ALTER TABLE job ADD COLUMN source_job_id TEXT;
                CREATE INDEX job_source ON job(source_job_id) WHERE source_job_id IS NOT NULL;
                \(dependencyBrokenTrigger)
                CREATE TRIGGER job_dependency_delete AFTER DELETE ON job BEGIN
                    DELETE FROM job_dependency WHERE job_id = old.id;
                END;
                """
        )
    }

    /// `job_dependency_broken`: a failed or cancelled job fails the queued and held jobs that need it to succeed.
    ///
    /// The `+` on `state` keeps SQLite off the state index: without it the update walked every queued job (a
    /// cancel took 200 ms with a million queued) instead of seeking the few dependents by id.
    static let dependencyBrokenTrigger = """
        CREATE TRIGGER job_dependency_broken AFTER UPDATE OF state ON job
        WHEN new.state IN ('failed', 'cancelled') AND old.state != new.state
        BEGIN
            INSERT INTO event(at, job_id, batch_id, type, payload, message)
            SELECT strftime('%Y-%m-%d %H:%M:%f', 'now'), waiting.id, waiting.batch_id, 'job.failed',
                json_object('reason', 'dependency ' || new.id || ' failed', 'dependency', new.id,
                    'dependency_state', new.state, 'was_active', json('false')),
                'dependency ' || new.id || ' failed'
            FROM job_dependency AS d JOIN job AS waiting ON waiting.id = d.job_id
            WHERE d.depends_on = new.id AND d.condition = 'ok' AND waiting.state IN ('queued', 'held');
            UPDATE job SET state = 'failed', reason = 'dependency ' || new.id || ' failed',
                finished_at = strftime('%Y-%m-%d %H:%M:%f', 'now'), held_by_batch = 0, not_before = NULL
            WHERE +state IN ('queued', 'held')
                AND id IN (SELECT job_id FROM job_dependency WHERE depends_on = new.id AND condition = 'ok');
        END;
        """

    /// Replaces `job_dependency_broken` of databases made before its update sought dependents by id.
    static func migrateDependencyTriggerSeek(_ db: Database) throws {
        try db.execute(sql: "DROP TRIGGER IF EXISTS job_dependency_broken;\n" + dependencyBrokenTrigger)
    }

    /// The SQL condition, on a row of `job`, of "every dependency is satisfied" (a dependency on a job since
    /// pruned counts as satisfied: only long-finished jobs are pruned, and a failed one failed its dependents).
    static let dependenciesSatisfied = """
        NOT EXISTS (SELECT 1 FROM job_dependency AS d JOIN job AS awaited ON awaited.id = d.depends_on
            WHERE d.job_id = job.id AND NOT (awaited.state = 'succeeded'
                OR (d.condition = 'any' AND awaited.state IN ('failed', 'cancelled'))))
        """

    /// Records `job`'s dependencies inside the caller's transaction, refusing unknown and already broken ones and
    /// chains deeper than ``DependencyLimits/maxDepth``.
    static func insertDependencies(_ db: Database, of job: JobRecord) throws {
        let dependencies = job.spec.dependencies
        guard !dependencies.isEmpty else { return }
        for (ordinal, dependency) in dependencies.enumerated() {
            guard
                let state = try JobState.fetchOne(
                    db,
                    sql: "SELECT state FROM job WHERE id = ?",
                    arguments: [dependency.jobID]
                )
            else { throw StoreError.unknownDependency(dependency.jobID) }
            if dependency.isBroken(by: state) {
                throw StoreError.brokenDependency(jobID: dependency.jobID, state: state)
            }
            try db.execute(
                sql: "INSERT INTO job_dependency(job_id, depends_on, condition, ordinal) VALUES (?, ?, ?, ?)",
                arguments: [job.id, dependency.jobID, dependency.condition.rawValue, ordinal]
            )
        }
        let depth = try Int.fetchOne(
            db,
            sql: """
                WITH RECURSIVE up(id, level) AS (
                    SELECT ?, 0
                    UNION SELECT d.depends_on, up.level + 1 FROM job_dependency AS d JOIN up ON d.job_id = up.id
                    WHERE up.level <= ?
                ) SELECT MAX(level) FROM up
                """,
            arguments: [job.id, DependencyLimits.maxDepth]
        )
        if let depth, depth > DependencyLimits.maxDepth {
            throw StoreError.dependencyChainTooDeep(limit: DependencyLimits.maxDepth)
        }
    }

    /// The first unsatisfied dependency of each of `ids` that waits, with the awaited job's state.
    static func unsatisfiedDependencies(_ db: Database, of ids: [String]) throws -> [String: (Dependency, JobState)] {
        var result: [String: (Dependency, JobState)] = [:]
        for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT d.job_id, d.depends_on, d.condition, awaited.state FROM job_dependency AS d
                    JOIN job AS awaited ON awaited.id = d.depends_on
                    WHERE d.job_id IN (\(databaseQuestionMarks(count: chunk.count)))
                        AND NOT (awaited.state = 'succeeded'
                            OR (d.condition = 'any' AND awaited.state IN ('failed', 'cancelled')))
                    ORDER BY d.job_id, d.ordinal
                    """,
                arguments: StatementArguments(chunk)
            )
            for row in rows {
                let id: String = row["job_id"]
                guard result[id] == nil, let condition = Dependency.Condition(rawValue: row["condition"]),
                    let state = JobState(rawValue: row["state"])
                else { continue }
                result[id] = (Dependency(jobID: row["depends_on"], condition: condition), state)
            }
        }
        return result
    }

    /// The unmet dependency of each waiting job among `jobs`, with the awaited job's state (for pending reasons).
    public func unsatisfiedDependencies(of jobs: [JobRecord]) async throws -> [String: (Dependency, JobState)] {
        let ids = jobs.filter { $0.state.isInQueue && !$0.spec.dependencies.isEmpty }.map(\.id)
        guard !ids.isEmpty else { return [:] }
        return try await writer.read { db in try Self.unsatisfiedDependencies(db, of: ids) }
    }

    /// The jobs that wait for `id` (its dependents) and the upscale jobs made from it, in submission order (the
    /// row id breaks a tie within a millisecond); with `owner`, only that uid's.
    public func links(of id: String, owner: Int? = nil) async throws -> (dependents: [String], upscales: [String]) {
        try await writer.read { db in
            let dependents = try String.fetchAll(
                db,
                sql: """
                    SELECT d.job_id FROM job_dependency AS d JOIN job ON job.id = d.job_id
                    WHERE d.depends_on = ? AND (? IS NULL OR job.owner_uid = ?) ORDER BY job.created_at, job.rowid
                    """,
                arguments: [id, owner, owner]
            )
            let upscales = try String.fetchAll(
                db,
                sql: """
                    SELECT id FROM job WHERE source_job_id = ? AND kind = 'upscale' AND (? IS NULL OR owner_uid = ?)
                    ORDER BY created_at, rowid
                    """,
                arguments: [id, owner, owner]
            )
            return (dependents, upscales)
        }
    }

    /// Refuses a retry of a job whose `after` dependency failed: it could never start.
    static func checkRetryable(_ db: Database, _ job: JobRecord) throws {
        for dependency in job.spec.dependencies where dependency.condition == .succeeded {
            let state = try JobState.fetchOne(
                db,
                sql: "SELECT state FROM job WHERE id = ?",
                arguments: [dependency.jobID]
            )
            if let state, dependency.isBroken(by: state) {
                throw StoreError.retryWithBrokenDependency(jobID: job.id, dependency: dependency.jobID, state: state)
            }
        }
    }
}
