import CosmosDomain
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// The dashboard's templates (embedded in the binary) and the HTML answers made from them.
struct DashboardPages: Sendable {
    private let library: MustacheLibrary

    /// The templates, by name, as the package embeds them.
    static let templates: [String: [UInt8]] = [
        "layout": PackageResources.layout_mustache, "queue": PackageResources.queue_mustache,
        "job": PackageResources.job_mustache, "batches": PackageResources.batches_mustache,
        "smart-batch": PackageResources.smart_batch_mustache, "hosts": PackageResources.hosts_mustache,
        "activity": PackageResources.activity_mustache, "message": PackageResources.message_mustache,
    ]

    /// Static files under `/assets/`, with their content types.
    static let assets: [String: (bytes: [UInt8], type: String)] = [
        "dashboard.js": (PackageResources.dashboard_js, "text/javascript; charset=utf-8"),
        "dashboard.css": (PackageResources.dashboard_css, "text/css; charset=utf-8"),
    ]

    /// Parses every template; a template that does not parse is a build defect, caught by the tests.
    init() throws {
        var library = MustacheLibrary()
        for (name, bytes) in Self.templates {
            try library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        self.library = library
    }

    /// `template` rendered with `object`.
    func render(_ template: String, _ object: [String: Any]) -> String {
        library.render(object, withTemplate: template) ?? ""
    }

    /// What every page's frame shows: who is logged in, the CSRF token, where the event stream resumes.
    struct Frame {
        var user: String
        var admin: Bool
        var csrf: String
        var seq: Int64
    }

    /// The navigation, in order.
    static let navigation: [(page: String, href: String, label: String)] = [
        ("queue", "/", "Queue"), ("batches", "/batches", "Batches"), ("smart-batch", "/smart-batch", "Smart batching"),
        ("hosts", "/hosts", "Hosts"), ("activity", "/activity", "Activity"),
    ]

    /// A page: the content alone when `fragment` (the live refresh), else inside the layout.
    func page(
        _ template: String,
        title: String,
        page: String,
        frame: Frame,
        data: [String: Any],
        layout extra: [String: Any] = [:],
        fragment: Bool
    ) -> Response {
        let body = render(template, data)
        guard !fragment else { return Self.html(body) }
        var layout: [String: Any] = [
            "title": title, "page": page, "csrf": frame.csrf, "user": frame.user, "admin": frame.admin,
            "seq": String(frame.seq), "events": Self.eventNames, "body": body,
            "nav": Self.navigation.map { ["href": $0.href, "label": $0.label, "current": $0.page == page] },
        ]
        layout.merge(extra) { $1 }
        return Self.html(render("layout", layout))
    }

    /// A page that says something and, often, what command to run.
    func message(_ status: HTTPResponse.Status, title: String, text: String, command: String? = nil) -> Response {
        var data: [String: Any] = ["title": title, "text": text]
        if let command { data["command"] = command }
        return Self.html(render("message", data), status: status)
    }

    /// The answer to a page request without a session.
    func loginNeeded() -> Response {
        message(
            .unauthorized,
            title: "Log in with cosmosctl",
            text: "This dashboard acts as a user of this machine. Run this on the daemon's machine, as yourself, "
                + "and open the URL it prints (it works once, for a few minutes):",
            command: "cosmosctl web"
        )
    }

    /// `text` as an HTML answer.
    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The SSE event names the page listens for: every type, its aggregate, the derived ones, resync and cursor.
    static let eventNames: String = {
        var names = Set(EventSelection.typeNames)
        for type in CosmosDomain.EventType.allCases where type != .legacy {
            names.insert(EventAggregator.aggregateName(type))
        }
        names.formUnion(["resync", "cursor"])
        return names.sorted().joined(separator: " ")
    }()
}
