import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The capabilities in the daemon's effective set (`CapEff` of `/proc/self/status`).
///
/// Bind staging needs two of them: what a container writes into its `/cosmos` belongs to the container's
/// users (root, mostly, with its own modes), and the daemon must read all of it back and remove it. Root has
/// them; the shipped unit (user `cosmos`) grants none, and a drop-in may grant these two (docs/hosts.md).
struct ProcessCapabilities: Sendable, Equatable {
    /// The effective set as a bit mask (bit N is capability N of `linux/capability.h`).
    let effective: UInt64

    /// `CAP_DAC_OVERRIDE`: read, write and search any file or folder regardless of its modes.
    static let dacOverride = 1
    /// `CAP_FOWNER`: act as the owner of any file, e.g. remove entries of a sticky folder of another user's.
    static let fowner = 3

    /// Every capability (root's usual set).
    static let all = ProcessCapabilities(effective: .max)
    /// None (a plain user's set).
    static let none = ProcessCapabilities(effective: 0)

    /// A set from its bit mask.
    init(effective: UInt64) {
        self.effective = effective
    }

    /// The set a `/proc/PID/status` text gives in its `CapEff:` line (hexadecimal); nil without one.
    init?(status: String) {
        for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
            let hex = line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces)
            guard let mask = UInt64(hex, radix: 16) else { return nil }
            self.init(effective: mask)
            return
        }
        return nil
    }

    /// This process's set; when `/proc` cannot be read, all for root and none for anyone else.
    static func current() -> ProcessCapabilities {
        if let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let capabilities = ProcessCapabilities(status: text)
        {
            return capabilities
        }
        return geteuid() == 0 ? .all : .none
    }

    /// Whether capability number `capability` is effective.
    func has(_ capability: Int) -> Bool { effective & (1 << UInt64(capability)) != 0 }

    /// Whether the daemon may read and remove whatever a container leaves in a bound folder.
    var managesContainerFiles: Bool { has(Self.dacOverride) && has(Self.fowner) }
}
