import CosmosAPI
import Foundation

/// Printing for people (aligned tables) and scripts (JSON).
enum Output {
    /// Prints `value` as pretty JSON with sorted keys.
    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Prints rows as a table with aligned columns.
    static func printTable(header: [String], rows: [[String]]) {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        print(line(header))
        for row in rows { print(line(row)) }
    }

    /// The host table's columns.
    static func printHosts(_ hosts: [HostView]) {
        printTable(
            header: ["NAME", "STATE", "GPUS", "RUNNING", "ENDPOINT", "NOTE"],
            rows: hosts.map { host in
                [
                    host.name, host.state.rawValue, "\(host.gpusUsed)/\(host.gpusTotal)", String(host.running),
                    host.endpoint,
                    host.lastError ?? "",
                ]
            }
        )
    }

    /// Ids joined with commas, or nil when there are none (the field is then left out).
    private static func list(_ ids: [String]) -> String? {
        ids.isEmpty ? nil : ids.joined(separator: ", ")
    }

    /// GPU time for `show`: `123.4 GPU-seconds (0.03 GPU-hours) on 0,1`.
    static func gpuTime(_ seconds: Double, devices: [String]) -> String {
        let hours = String(format: "%.2f", seconds / 3600)
        let on = devices.isEmpty ? "" : " on \(devices.joined(separator: ","))"
        return String(format: "%.1f", seconds) + " GPU-seconds (\(hours) GPU-hours)\(on)"
    }

    /// A job's details, one field per line.
    static func printJob(_ job: JobView) {
        let fields: [(String, String?)] = [
            ("id", job.id), ("name", job.name), ("kind", job.kind), ("state", job.state.rawValue),
            ("position", job.position.map(String.init)), ("priority", String(job.priority)), ("image", job.image),
            ("command", job.command?.joined(separator: " ")), ("gpus", String(job.gpus)), ("host", job.host),
            ("devices", job.devices.isEmpty ? nil : job.devices.joined(separator: ",")),
            ("container", job.containerId.map { String($0.prefix(12)) }),
            ("attempts", String(job.attempts)), ("exit code", job.exitCode.map(String.init)),
            ("reason", job.reason), ("pending", job.pendingReason), ("error", job.error),
            ("owner uid", String(job.ownerUid)), ("created", job.createdAt), ("started", job.startedAt),
            ("finished", job.finishedAt), ("batch", job.batchId), ("parent", job.parentId),
            ("outputs", job.outputs.isEmpty ? nil : job.outputs.joined(separator: ", ")),
            ("after", list(job.after)), ("after any", list(job.afterAny)),
            ("dependents", list(job.dependents ?? [])), ("source", job.sourceJobId),
            ("upscales", list(job.upscales ?? [])), ("prompt", job.prompt), ("enhanced", job.enhancedPrompt),
            ("enhance", job.enhanceMode),
            ("gpu time", job.gpuSeconds > 0 ? Output.gpuTime(job.gpuSeconds, devices: job.devices) : nil),
        ]
        for (name, value) in fields {
            guard let value else { continue }
            print("\((name + ":").padding(toLength: 11, withPad: " ", startingAt: 0)) \(value)")
        }
        if let index = job.batchIndex, let parent = job.parentId {
            print("item:       \(index) of batch run \(parent)")
        }
        if let children = job.children, !children.isEmpty {
            print("items:")
            for child in children {
                // An enhance item reports what became of its source job.
                let report = child.sourceJobId.map { "  source \($0): \(child.reason ?? child.state.rawValue)" }
                let detail =
                    child.error.map { "  " + $0 } ?? report
                    ?? (child.outputs.isEmpty ? "" : "  " + child.outputs.joined(separator: ", "))
                print("  \(child.batchIndex ?? 0)  \(child.id)  \(child.state.rawValue)\(detail)")
            }
        }
    }
}
