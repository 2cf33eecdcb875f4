import CosmosAPI
import CosmosStore
import Foundation
import Logging

/// The audit log: one journal entry per mutating request, with who asked, what, on what, and how it ended.
///
/// `journalctl -u cosmos-worker AUDIT=1` lists them; the fields are `CALLER_UID`, `ACTION`, `TARGET` (a job,
/// batch or host, `queue`, or the smart-batch plan) and `RESULT` (`ok`, `refused: …` or `failed: …`).
extension Commands {
    /// Runs one user action and writes its audit entry, whatever the outcome.
    func audited<T>(
        _ action: String,
        _ target: String,
        by caller: PeerCredentials,
        _ body: () async throws -> T
    ) async throws -> T {
        do {
            let value = try await body()
            audit(action, target, by: caller, result: "ok")
            return value
        } catch let denied as AccessDenied {
            audit(action, target, by: caller, result: "refused: \(denied.message)")
            throw denied
        } catch {
            audit(action, target, by: caller, result: "failed: \(APIError.from(error).message)")
            throw error
        }
    }

    /// Writes one audit entry (notice for an action done, warning for a refusal or a failure).
    private func audit(_ action: String, _ target: String, by caller: PeerCredentials, result: String) {
        logger.log(
            level: result == "ok" ? .notice : .warning,
            "audit: uid \(caller.uid) \(action) \(target): \(result)",
            metadata: [
                "AUDIT": "1", "CALLER_UID": "\(caller.uid)", "CALLER_PID": "\(caller.pid)", "ACTION": "\(action)",
                "TARGET": "\(target)", "RESULT": "\(result)",
            ]
        )
    }
}
