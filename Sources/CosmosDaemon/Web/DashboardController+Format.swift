import CosmosAPI
import Foundation

/// How the pages show names, ages, durations and links.
extension DashboardController {
    /// A uid as `name (uid)` when the password database knows it, else the uid.
    static func userName(_ uid: Int) -> String {
        guard uid >= 0, let name = AccessPolicy.userName(uid: UInt32(uid)) else { return String(uid) }
        return name
    }

    /// The age of an API timestamp: `42s`, `7m`, `3h 5m`, `2d 4h`.
    static func age(since timestamp: String, now: Date = Date()) -> String {
        guard let date = Timestamp.parse(timestamp) else { return "" }
        return duration(Int(max(now.timeIntervalSince(date), 0)))
    }

    /// Seconds as `42s`, `7m`, `3h 5m` or `2d 4h`.
    static func duration(_ seconds: Int) -> String {
        switch seconds {
        case ..<60: "\(max(seconds, 0))s"
        case ..<3600: "\(seconds / 60)m"
        case ..<86400: "\(seconds / 3600)h \(seconds % 3600 / 60)m"
        default: "\(seconds / 86400)d \(seconds % 86400 / 3600)h"
        }
    }

    /// A query value, percent-encoded.
    static func queryEscape(_ text: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// One path component, percent-encoded.
    static func pathEscape(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// The content type of an output file, from its extension.
    static func contentType(of name: String) -> String {
        switch (name as NSString).pathExtension.lowercased() {
        case "mp4", "m4v": "video/mp4"
        case "webm": "video/webm"
        case "mov": "video/quicktime"
        case "ogv": "video/ogg"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "json": "application/json"
        case "txt", "log": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}
