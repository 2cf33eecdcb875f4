import CosmosDomain
import Foundation
import TarArchive

/// The adapter scripts that ship inside cosmos-worker (`Sources/CosmosDaemon/Adapters/`, embedded in the binary).
///
/// They are staged with the job's archive into `/cosmos/bin/`: the common module, the adapter the runner names,
/// and `runner.json`, the runner's settings.
enum AdapterScripts {
    /// Where the scripts are in the container.
    static let directory = "/cosmos/bin"

    /// The shared module every adapter imports.
    static let common: (name: String, contents: [UInt8]) = (
        "cosmos_adapter.py", PackageResources.cosmos_adapter_py
    )

    /// The script of `adapter`.
    static func script(_ adapter: RunnerConfiguration.Adapter) -> [UInt8] {
        switch adapter {
        case .transfer1: PackageResources.cosmos_transfer1_py
        case .transfer25: PackageResources.cosmos_transfer2_5_py
        case .promptUpsampler: PackageResources.cosmos_prompt_upsampler_py
        }
    }

    /// The archive entries of `/cosmos/bin/` for a job whose image runs through `runner`.
    static func stagedFiles(for runner: RunnerConfiguration) -> [TarSource] {
        [
            .directory(path: "cosmos/bin", mode: 0o755),
            .bytes(path: "cosmos/bin/" + common.name, contents: common.contents, mode: 0o644),
            .bytes(path: "cosmos/bin/" + runner.adapter.script, contents: script(runner.adapter), mode: 0o755),
            .bytes(
                path: "cosmos/bin/runner.json",
                contents: Array((runner.document.jsonString() + "\n").utf8),
                mode: 0o644
            ),
        ]
    }
}
