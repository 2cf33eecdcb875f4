/// Limits that keep specs sane; values outside them are refused with the limit in the message.
public enum SpecLimits {
    public static let maxNameLength = 200
    public static let maxImageLength = 512
    public static let maxPromptBytes = 64 * 1024
    public static let maxCommandArguments = 256
    public static let maxEnvEntries = 256
    public static let maxGPUs = 64
    public static let priorityRange = -1000...1000
    public static let maxRetries = 10
    public static let maxInputs = 64
    public static let maxDependencies = 64
    public static let minMemoryBytes: Int64 = 4 * 1024 * 1024
    /// Environment variables the daemon sets itself.
    public static let reservedEnv: Set<String> = ["NVIDIA_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES"]
}

extension JobSpec {
    /// The keys a submitted spec may have; any other key is refused by name.
    public static let allowedKeys: Set<String> = [
        "name", "kind", "image", "command", "env", "gpus", "priority", "prompt", "controls", "params", "inputs",
        "retries", "memory", "min_gpu_memory_gib", "selector", "after", "after_any", "upscale",
    ]

    /// Parses and validates one submitted spec; errors name the field (relative to the spec).
    public static func parse(_ value: JSONValue) throws(SpecError) -> JobSpec {
        guard case .object(let object) = value else {
            throw SpecError(field: "", reason: "expected a job spec object, got \(value.typeName)")
        }
        for key in object.keys.sorted() where !allowedKeys.contains(key) {
            throw SpecError(
                field: key,
                reason: "unknown field; allowed fields are \(allowedKeys.sorted().joined(separator: ", "))"
            )
        }
        let fields = FieldReader(object: object)

        let image = try fields.string("image") ?? ""
        guard !image.isEmpty else { throw SpecError(field: "image", reason: "must not be empty") }
        guard image.count <= SpecLimits.maxImageLength, image.allSatisfy({ !$0.isWhitespace && $0 != "\0" }) else {
            throw SpecError(field: "image", reason: "must be an image reference without spaces")
        }
        var spec = JobSpec(image: image)

        if let name = try fields.string("name") {
            guard name.count <= SpecLimits.maxNameLength else {
                throw SpecError(field: "name", reason: "longer than \(SpecLimits.maxNameLength) characters")
            }
            spec.name = name
        }
        if let kindText = try fields.string("kind") {
            guard let kind = JobKind(rawValue: kindText), JobKind.submittable.contains(kind) else {
                let allowed = JobKind.submittable.map(\.rawValue).joined(separator: ", ")
                throw SpecError(field: "kind", reason: "unknown kind \"\(kindText)\"; use one of \(allowed)")
            }
            spec.kind = kind
        }
        if let command = try fields.stringArray("command") {
            guard command.count <= SpecLimits.maxCommandArguments else {
                throw SpecError(field: "command", reason: "more than \(SpecLimits.maxCommandArguments) arguments")
            }
            spec.command = command.isEmpty ? nil : command
        }
        if let env = try fields.stringMap("env") {
            guard env.count <= SpecLimits.maxEnvEntries else {
                throw SpecError(field: "env", reason: "more than \(SpecLimits.maxEnvEntries) variables")
            }
            for key in env.keys.sorted() {
                guard !key.isEmpty, !key.contains("="), !key.contains("\0") else {
                    throw SpecError(field: "env.\(key)", reason: "not a valid variable name")
                }
                guard !SpecLimits.reservedEnv.contains(key) else {
                    throw SpecError(field: "env.\(key)", reason: "set by the daemon from the GPUs it allocates")
                }
            }
            spec.env = env
        }
        if let gpus = try fields.integer("gpus") {
            guard gpus >= 0 else { throw SpecError(field: "gpus", reason: "must not be negative (got \(gpus))") }
            guard gpus <= SpecLimits.maxGPUs else {
                throw SpecError(field: "gpus", reason: "more than \(SpecLimits.maxGPUs) GPUs")
            }
            spec.gpus = gpus
        }
        if let priority = try fields.integer("priority") {
            guard SpecLimits.priorityRange.contains(priority) else {
                let range = SpecLimits.priorityRange
                throw SpecError(field: "priority", reason: "must be in \(range.lowerBound)...\(range.upperBound)")
            }
            spec.priority = priority
        }
        if let prompt = try fields.string("prompt") {
            guard prompt.utf8.count <= SpecLimits.maxPromptBytes else {
                throw SpecError(field: "prompt", reason: "longer than \(SpecLimits.maxPromptBytes) bytes")
            }
            spec.prompt = prompt
        }
        if let controls = try fields.numberMap("controls") {
            for (name, weight) in controls.sorted(by: { $0.key < $1.key }) {
                guard Self.isControlName(name) else {
                    throw SpecError(field: "controls.\(name)", reason: "control names are lowercase letters, digits, _")
                }
                guard weight.isFinite, (0...1).contains(weight) else {
                    throw SpecError(field: "controls.\(name)", reason: "weight \(weight) is outside [0, 1]")
                }
            }
            spec.controls = controls
        }
        if let params = try fields.object("params") { spec.params = params }
        if let inputs = try fields.stringArray("inputs") {
            guard inputs.count <= SpecLimits.maxInputs else {
                throw SpecError(field: "inputs", reason: "more than \(SpecLimits.maxInputs) inputs")
            }
            var names: [String: Int] = [:]
            for (index, path) in inputs.enumerated() {
                if let input = JobInput(parsing: path) {
                    if let problem = input.problem { throw SpecError(field: "inputs[\(index)]", reason: problem) }
                    // `job:<id>` is named when it is staged; `job:<id>/<file>` is checked like a path.
                    if input.file == nil { continue }
                }
                guard path.hasPrefix("/") || path.hasPrefix(JobInput.scheme), !path.contains("\0") else {
                    throw SpecError(
                        field: "inputs[\(index)]",
                        reason: "must be an absolute path or job:<id>/<file> (got \"\(path)\")"
                    )
                }
                let name = Self.inputFileName(path)
                guard !name.isEmpty, name != ".", name != ".." else {
                    throw SpecError(field: "inputs[\(index)]", reason: "must name a file (got \"\(path)\")")
                }
                if let first = names[name] {
                    throw SpecError(
                        field: "inputs[\(index)]",
                        reason: "file name \"\(name)\" is also inputs[\(first)]; both would be /cosmos/in/\(name)"
                    )
                }
                names[name] = index
            }
            spec.inputs = inputs
        }
        if let retries = try fields.integer("retries") {
            guard (0...SpecLimits.maxRetries).contains(retries) else {
                throw SpecError(field: "retries", reason: "must be in 0...\(SpecLimits.maxRetries)")
            }
            spec.retries = retries
        }
        if let memory = try fields.string("memory") {
            guard let bytes = Self.parseMemory(memory) else {
                throw SpecError(
                    field: "memory",
                    reason: "expected a size such as \"512m\" or \"8g\" (got \"\(memory)\")"
                )
            }
            guard bytes >= SpecLimits.minMemoryBytes else {
                throw SpecError(field: "memory", reason: "below the minimum of 4m")
            }
            spec.memoryBytes = bytes
        }
        if let memory = fields.value("min_gpu_memory_gib") {
            guard case .number(let gib) = memory, gib.isFinite, gib > 0, gib <= 100_000 else {
                throw SpecError(field: "min_gpu_memory_gib", reason: "must be a number of GiB above 0")
            }
            spec.minGPUMemoryGiB = gib
        }
        spec.after = try Self.parseDependencies(fields, "after")
        spec.afterAny = try Self.parseDependencies(fields, "after_any")
        for (index, id) in spec.afterAny.enumerated() where spec.after.contains(id) {
            throw SpecError(field: "after_any[\(index)]", reason: "job \(id) is also in after; name it once")
        }
        if let upscale = try fields.object("upscale") {
            guard spec.kind == .upscale else {
                throw SpecError(
                    field: "upscale",
                    reason: "only an upscale job has upscale settings (kind is \(spec.kind))"
                )
            }
            for key in upscale.keys.sorted() where key != "control_weight" {
                throw SpecError(field: "upscale.\(key)", reason: "unknown field; allowed fields are control_weight")
            }
            guard case .number(let weight) = upscale["control_weight"] ?? .null, weight.isFinite,
                (0...1).contains(weight)
            else {
                throw SpecError(field: "upscale.control_weight", reason: "must be a number in [0, 1]")
            }
            spec.upscale = UpscaleSettings(controlWeight: weight)
        }
        if spec.kind == .upscale, spec.inputs.isEmpty {
            throw SpecError(field: "inputs", reason: "an upscale job needs its video as inputs[0]")
        }
        if let selector = try fields.stringMap("selector") {
            for key in selector.keys.sorted() where key.isEmpty || key.count > 64 {
                throw SpecError(field: "selector.\(key)", reason: "label names are 1 to 64 characters")
            }
            spec.selector = selector.isEmpty ? nil : selector
        }
        return spec
    }

    /// Reads `after` or `after_any`: job ids, each once (a repeat is dropped).
    static func parseDependencies(_ fields: FieldReader, _ key: String) throws(SpecError) -> [String] {
        guard let ids = try fields.stringArray(key) else { return [] }
        guard ids.count <= SpecLimits.maxDependencies else {
            throw SpecError(field: key, reason: "more than \(SpecLimits.maxDependencies) jobs")
        }
        var result: [String] = []
        for (index, id) in ids.enumerated() where !result.contains(id) {
            guard JobID.isWellFormed(id) else {
                throw SpecError(
                    field: "\(key)[\(index)]",
                    reason: "\"\(id)\" is not a job id (10 characters, as `cosmosctl list` shows)"
                )
            }
            result.append(id)
        }
        return result
    }

    /// The name an input gets under `/cosmos/in/`: the last component of its path.
    public static func inputFileName(_ path: String) -> String {
        String(path.split(separator: "/", omittingEmptySubsequences: true).last ?? "")
    }

    /// Parses a Docker-style size: digits with an optional unit `b`, `k`, `m`, `g` (case-insensitive).
    public static func parseMemory(_ text: String) -> Int64? {
        let lower = text.lowercased()
        let units: [Character: Int64] = ["b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30]
        var digits = Substring(lower)
        var multiplier: Int64 = 1
        if let last = digits.last, let unit = units[last] {
            multiplier = unit
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let number = Int64(digits), number > 0 else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : bytes
    }

    static func isControlName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 32
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}

/// Reads typed fields out of a JSON object, naming the field in every error.
struct FieldReader {
    let object: [String: JSONValue]

    func value(_ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    func string(_ key: String) throws(SpecError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else {
            throw SpecError(field: key, reason: "expected a string, got \(value.typeName)")
        }
        return text
    }

    func integer(_ key: String) throws(SpecError) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value, number.rounded() == number, abs(number) < 1e15 else {
            throw SpecError(field: key, reason: "expected a whole number, got \(value.typeName)")
        }
        return Int(number)
    }

    func object(_ key: String) throws(SpecError) -> [String: JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .object(let object) = value else {
            throw SpecError(field: key, reason: "expected an object, got \(value.typeName)")
        }
        return object
    }

    func stringArray(_ key: String) throws(SpecError) -> [String]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else {
            throw SpecError(field: key, reason: "expected an array of strings, got \(value.typeName)")
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let text) = item else {
                throw SpecError(field: "\(key)[\(index)]", reason: "expected a string, got \(item.typeName)")
            }
            result.append(text)
        }
        return result
    }

    func stringMap(_ key: String) throws(SpecError) -> [String: String]? {
        guard let object = try object(key) else { return nil }
        var result: [String: String] = [:]
        for (name, item) in object {
            guard case .string(let text) = item else {
                throw SpecError(field: "\(key).\(name)", reason: "expected a string, got \(item.typeName)")
            }
            result[name] = text
        }
        return result
    }

    func numberMap(_ key: String) throws(SpecError) -> [String: Double]? {
        guard let object = try object(key) else { return nil }
        var result: [String: Double] = [:]
        for (name, item) in object {
            guard case .number(let number) = item else {
                throw SpecError(field: "\(key).\(name)", reason: "expected a number, got \(item.typeName)")
            }
            result[name] = number
        }
        return result
    }
}
