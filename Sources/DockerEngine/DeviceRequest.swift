/// One entry of `HostConfig.DeviceRequests`, e.g. GPUs for the NVIDIA container toolkit.
public struct DeviceRequest: Sendable, Equatable, Codable {
    /// The device driver, e.g. `nvidia`; empty lets the engine pick by capabilities.
    public var driver: String?
    /// How many devices; `-1` means all. Do not combine with ``deviceIDs``.
    public var count: Int?
    /// Specific devices, e.g. GPU indexes `["0", "2"]` or UUIDs.
    public var deviceIDs: [String]?
    /// Alternatives (OR) of capability sets (AND), e.g. `[["gpu"]]`.
    public var capabilities: [[String]]?
    /// Driver-specific options.
    public var options: [String: String]?

    /// Creates a device request.
    public init(
        driver: String? = nil,
        count: Int? = nil,
        deviceIDs: [String]? = nil,
        capabilities: [[String]]? = nil,
        options: [String: String]? = nil
    ) {
        self.driver = driver
        self.count = count
        self.deviceIDs = deviceIDs
        self.capabilities = capabilities
        self.options = options
    }

    /// The request `docker run --gpus '"device=0,2"'` makes: driver `nvidia`, capability `gpu`.
    public static func gpus(deviceIDs: [String]) -> DeviceRequest {
        DeviceRequest(driver: "nvidia", deviceIDs: deviceIDs, capabilities: [["gpu"]])
    }

    enum CodingKeys: String, CodingKey {
        case driver = "Driver"
        case count = "Count"
        case deviceIDs = "DeviceIDs"
        case capabilities = "Capabilities"
        case options = "Options"
    }
}
