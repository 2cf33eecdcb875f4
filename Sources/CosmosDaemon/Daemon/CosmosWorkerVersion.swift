/// The version the daemon reports.
public enum CosmosWorkerVersion {
    public static let current = "0.1.0"
}
