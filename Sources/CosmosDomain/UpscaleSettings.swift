/// How an `upscale` job upscales: the runner contract's `upscale` object.
public struct UpscaleSettings: Sendable, Equatable, Codable {
    /// The weight of the upscaler's control input, in [0, 1].
    public var controlWeight: Double

    public init(controlWeight: Double) {
        self.controlWeight = controlWeight
    }

    enum CodingKeys: String, CodingKey {
        case controlWeight = "control_weight"
    }
}

/// The built-in defaults of upscale jobs (the configuration's `[upscale]` table can change them).
public enum UpscaleDefaults {
    /// The control weight when neither the request nor the configuration gives one.
    public static let weight = 0.5
}
