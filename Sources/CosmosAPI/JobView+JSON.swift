import Foundation

/// The view as compact JSON written directly, byte for byte what `JSONEncoder` with `[.sortedKeys,
/// .withoutEscapingSlashes]` writes, at a fraction of its cost (a listing writes one per row).
extension JobView {
    /// The encoder whose output ``compactJSON()`` reproduces (and falls back to for what it does not write itself).
    public static let compactEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The view as compact JSON with sorted keys.
    public func compactJSON() throws -> [UInt8] {
        var writer = CompactJSONWriter()
        guard writer.write(self) else { return Array(try Self.compactEncoder.encode(self)) }
        return writer.bytes
    }
}

/// Writes JSON exactly as `JSONEncoder` does with sorted keys and unescaped slashes, for the shapes of a
/// ``JobView``; reports `false` for what it cannot be sure to write identically (a control name outside
/// `[a-z_]`, whose order `JSONEncoder` may compare differently, or a number that is not finite).
struct CompactJSONWriter {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(768) }

    /// Writes `view`'s keys in sorted order; `false` when the encoder must write it.
    mutating func write(_ view: JobView) -> Bool {
        guard view.controls.keys.allSatisfy(Self.isPlainKey) else { return false }
        byte(UInt8(ascii: "{"))
        key("after", first: true)
        strings(view.after)
        key("after_any")
        strings(view.afterAny)
        key("attempts")
        int(view.attempts)
        key("batch_id")
        string(view.batchId)
        key("batch_index")
        int(view.batchIndex)
        if let children = view.children {
            key("children")
            byte(UInt8(ascii: "["))
            for (index, child) in children.enumerated() {
                if index > 0 { byte(UInt8(ascii: ",")) }
                guard write(child) else { return false }
            }
            byte(UInt8(ascii: "]"))
        }
        key("command")
        if let command = view.command { strings(command) } else { null() }
        key("container_id")
        string(view.containerId)
        key("controls")
        byte(UInt8(ascii: "{"))
        for (index, name) in view.controls.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            .enumerated()
        {
            if index > 0 { byte(UInt8(ascii: ",")) }
            string(name)
            byte(UInt8(ascii: ":"))
            guard number(view.controls[name] ?? 0) else { return false }
        }
        byte(UInt8(ascii: "}"))
        key("created_at")
        string(view.createdAt)
        if let dependents = view.dependents {
            key("dependents")
            strings(dependents)
        }
        key("devices")
        strings(view.devices)
        key("enhance_mode")
        string(view.enhanceMode)
        key("enhanced_prompt")
        string(view.enhancedPrompt)
        key("error")
        string(view.error)
        key("exit_code")
        int(view.exitCode)
        key("finished_at")
        string(view.finishedAt)
        key("gpu_seconds")
        guard number(view.gpuSeconds) else { return false }
        key("gpus")
        int(view.gpus)
        key("host")
        string(view.host)
        key("id")
        string(view.id)
        key("image")
        string(view.image)
        key("kind")
        string(view.kind)
        key("name")
        string(view.name)
        key("outputs")
        strings(view.outputs)
        key("owner_uid")
        int(view.ownerUid)
        key("parent_id")
        string(view.parentId)
        key("pending_reason")
        string(view.pendingReason)
        key("position")
        int(view.position)
        key("priority")
        int(view.priority)
        key("progress")
        if let progress = view.progress {
            guard number(progress) else { return false }
        } else {
            null()
        }
        key("prompt")
        string(view.prompt)
        key("reason")
        string(view.reason)
        key("source_job_id")
        string(view.sourceJobId)
        key("started_at")
        string(view.startedAt)
        key("state")
        string(view.state.rawValue)
        if let upscales = view.upscales {
            key("upscales")
            strings(upscales)
        }
        byte(UInt8(ascii: "}"))
        return true
    }

    /// A name made of `a`–`z` and `_` only: every ordering of keys agrees with byte order on those.
    static func isPlainKey(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0 == 0x5F }
    }

    private mutating func byte(_ value: UInt8) { bytes.append(value) }

    private mutating func null() { bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]) }

    private mutating func key(_ name: StaticString, first: Bool = false) {
        if !first { byte(UInt8(ascii: ",")) }
        byte(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    private mutating func int(_ value: Int?) {
        guard let value else { return null() }
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A finite number as the encoder writes it: Swift's shortest form, without a trailing `.0`.
    private mutating func number(_ value: Double) -> Bool {
        guard value.isFinite else { return false }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
        return true
    }

    private mutating func strings(_ values: [String]) {
        byte(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { byte(UInt8(ascii: ",")) }
            string(value)
        }
        byte(UInt8(ascii: "]"))
    }

    private mutating func string(_ value: String?) {
        guard let value else { return null() }
        byte(UInt8(ascii: "\""))
        for unit in value.utf8 {
            switch unit {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x08: bytes.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [
                    0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(unit >> 4)], hex[Int(unit & 15)],
                ])
            default: bytes.append(unit)
            }
        }
        byte(UInt8(ascii: "\""))
    }
}
