import CSystemd
import Glibc

/// Sockets passed by systemd socket activation (`sd_listen_fds(3)`).
///
/// A `.socket` unit hands its listening sockets to the service as descriptors 3, 4, …, announced by `LISTEN_PID`,
/// `LISTEN_FDS` and `LISTEN_FDNAMES`. Taking them unsets those variables (so children do not take them too) and
/// marks the descriptors close-on-exec.
public enum ListenFDs {
    /// The first passed descriptor, `SD_LISTEN_FDS_START`.
    public static let start: Int32 = 3

    /// The passed descriptors (`sd_listen_fds(1)`); empty when not socket-activated or already taken.
    public static func take() -> [Int32] {
        let count = sd_listen_fds(1)
        guard count > 0 else { return [] }
        return Array(start..<(start + count))
    }

    /// The passed descriptors with their names (`FileDescriptorName=` of the socket unit, by default its unit
    /// name), via `sd_listen_fds_with_names(1)`; empty when not socket-activated or already taken.
    public static func takeNamed() -> [(descriptor: Int32, name: String)] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0 else { return [] }
        defer {
            if let names {
                for index in 0..<Int(count) { free(names[index]) }
                free(names)
            }
        }
        return (0..<count).map { index in
            let name = names?[Int(index)].map { String(cString: $0) } ?? ""
            return (start + index, name)
        }
    }

    /// Whether `descriptor` is an `AF_UNIX` socket of `type` (`sd_is_socket_unix(3)`).
    ///
    /// - Parameters:
    ///   - type: `SOCK_STREAM`, `SOCK_DGRAM`, …, or 0 for any type.
    ///   - listening: true: must be listening; false: must not be; nil: either.
    ///   - path: if given, the socket must be bound to this path.
    public static func isUnixSocket(
        _ descriptor: Int32,
        type: Int32 = Int32(SOCK_STREAM.rawValue),
        listening: Bool? = true,
        path: String? = nil
    ) -> Bool {
        let listen: Int32 = listening.map { $0 ? 1 : 0 } ?? -1
        guard let path else { return sd_is_socket_unix(descriptor, type, listen, nil, 0) > 0 }
        return path.withCString { sd_is_socket_unix(descriptor, type, listen, $0, 0) > 0 }
    }
}
