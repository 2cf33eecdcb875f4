import CosmosAPI
import CosmosDomain
import CosmosStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The dashboard's pages, its login, its assets, job outputs, and `/metrics`.
///
/// Pages are drawn on the server from the same queries as `cosmosctl`; `?fragment=1` answers with the content
/// alone, which the page's script swaps in when the event stream says something changed.
struct DashboardController: Sendable {
    let queries: Queries
    let database: AppDatabase
    let pages: DashboardPages
    let metrics: DaemonMetrics
    let settings: @Sendable () -> WebSettings

    /// Jobs per queue page.
    static let pageSize = 50
    /// Per-job marks drawn per batch.
    static let marksLimit = 500

    func register(on router: Router<WebRequestContext>) {
        router.get("/login") { request, _ in try await login(request) }
        router.post("/logout") { _, context in try await logout(context) }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            let text = try await queries.metricsText(metrics)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/assets/:name") { _, context in try asset(context.parameters.get("name") ?? "") }
        router.get("/") { request, context in try await queuePage(request, context) }
        router.get("/jobs/:id") { request, context in try await jobPage(request, context) }
        router.get("/jobs/:id/outputs/**") { _, context in try await output(context) }
        router.get("/batches") { request, context in try await batchesPage(request, context) }
        router.get("/smart-batch") { request, context in try await smartBatchPage(request, context) }
        router.get("/hosts") { request, context in try await hostsPage(request, context) }
        router.get("/activity") { request, context in try await activityPage(request, context) }
    }

    // MARK: Login

    /// `GET /login?token=T`: spends a `cosmosctl web` token for a session cookie, then goes to the queue.
    func login(_ request: Request) async throws -> Response {
        let web = settings()
        guard let token = request.uri.queryParameters.get("token"), !token.isEmpty,
            let session = try await database.redeemWebLogin(
                token: token,
                session: WebTokens.random(),
                csrf: WebTokens.random(),
                sessionExpiresAt: Date().addingTimeInterval(web.sessionHours * 3600)
            )
        else {
            return pages.message(
                .unauthorized,
                title: "This login link cannot be used",
                text: "It was used already, it has expired, or it was never issued. Run this for a new one:",
                command: "cosmosctl web"
            )
        }
        var response = Response(status: .seeOther, headers: [.location: "/"])
        response.setCookie(
            try Cookie.validated(
                name: WebAccessMiddleware.cookie,
                value: session.id,
                maxAge: Int(web.sessionHours * 3600),
                path: "/",
                secure: web.usesTLS,
                httpOnly: true,
                sameSite: .strict
            )
        )
        return response
    }

    /// `POST /logout`: ends the session and clears the cookie.
    func logout(_ context: WebRequestContext) async throws -> Response {
        if let session = context.session { try await database.deleteWebSession(session.id) }
        var response = Response(status: .seeOther, headers: [.location: "/"])
        response.setCookie(
            try Cookie.validated(
                name: WebAccessMiddleware.cookie,
                value: "",
                maxAge: 0,
                path: "/",
                httpOnly: true,
                sameSite: .strict
            )
        )
        return response
    }

    /// `GET /assets/NAME`: a file embedded in the binary.
    func asset(_ name: String) throws -> Response {
        guard let asset = DashboardPages.assets[name] else { throw HTTPError(.notFound) }
        var headers = HTTPFields()
        headers[.contentType] = asset.type
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }

    // MARK: Frame

    /// Who is looking, as the pages need it.
    struct Viewer {
        var credentials: PeerCredentials
        var identity: CallerIdentity
        var admin: Bool
        var frame: DashboardPages.Frame

        /// Whether the viewer may act on work owned by `uid` (their own, or anyone's as an admin).
        func mayAct(on uid: Int) -> Bool { admin || uid == Int(credentials.uid) }
    }

    func viewer(_ context: WebRequestContext) async throws -> Viewer {
        let credentials = try await context.caller()
        let identity = credentials.identity
        let admin = queries.access.isAdmin(identity)
        let name = Self.userName(Int(credentials.uid))
        return Viewer(
            credentials: credentials,
            identity: identity,
            admin: admin,
            frame: .init(
                user: name,
                admin: admin,
                csrf: context.session?.csrf ?? "",
                seq: try await database.latestEventSeq()
            )
        )
    }

    static func isFragment(_ request: Request) -> Bool { request.uri.queryParameters.get("fragment") == "1" }

    // MARK: Queue

    /// `GET /?state=&owner=&batch=&page=`: running jobs, then a page of the queue with true positions.
    func queuePage(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let viewer = try await viewer(context)
        let query = request.uri.queryParameters
        var filter = JobListFilter()
        if let text = query.get("state"), !text.isEmpty {
            guard let state = JobState(rawValue: text) else {
                return pages.message(
                    .badRequest,
                    title: "Unknown state",
                    text: "state: no state is called \"\(text)\"."
                )
            }
            filter.state = state
        }
        let ownerText = query.get("owner") ?? ""
        if !ownerText.isEmpty {
            guard let uid = Int(ownerText) ?? AccessPolicy.userID(name: ownerText).map(Int.init) else {
                return pages.message(.badRequest, title: "Unknown owner", text: "owner: no user \"\(ownerText)\" here.")
            }
            filter.owner = uid
        }
        let batch = query.get("batch") ?? ""
        if !batch.isEmpty {
            guard JobID.isWellFormed(batch) else {
                return pages.message(
                    .badRequest,
                    title: "Unknown batch",
                    text: "batch: \"\(batch)\" is not a batch id."
                )
            }
            filter.batch = batch
        }
        if let visible = queries.access.visibleOwners(viewer.identity) { filter.owner = visible }
        let number = max(Int(query.get("page") ?? "") ?? 1, 1)
        let page = try await database.jobPage(
            filter: filter,
            offset: (number - 1) * Self.pageSize,
            limit: Self.pageSize
        )
        let views = try await queries.views(page.jobs)
        let unfiltered = filter.state == nil && filter.owner == nil && filter.batch == nil
        var active: [JobView] = []
        if unfiltered {
            active = try await queries.views(try await database.activeJobs().map { RankedJob(job: $0, position: nil) })
        }
        let pageCount = max((page.total + Self.pageSize - 1) / Self.pageSize, 1)
        func link(_ target: Int) -> String {
            var items = [("page", String(target))]
            if let state = filter.state { items.append(("state", state.rawValue)) }
            if !ownerText.isEmpty { items.append(("owner", ownerText)) }
            if !batch.isEmpty { items.append(("batch", batch)) }
            return "/?" + items.map { "\($0)=\(Self.queryEscape($1))" }.joined(separator: "&")
        }
        var data: [String: Any] = [
            "admin": viewer.admin, "paused": try await database.isPaused(),
            "running": active.count, "queuedTotal": try await database.queuedCount(),
            "hasActive": !active.isEmpty, "active": active.map { row($0, viewer) },
            "jobs": views.map { row($0, viewer) }, "total": page.total,
            "heading": filter.state.map { $0.isInQueue ? "Queue: \($0.rawValue)" : "Jobs: \($0.rawValue)" } ?? "Queue",
        ]
        if pageCount > 1 {
            data["pages"] = pageCount
            data["page"] = number
        }
        if number > 1 { data["previous"] = link(number - 1) }
        if number < pageCount { data["next"] = link(number + 1) }
        let states: [[String: Any]] =
            [["value": "", "label": "queue", "selected": filter.state == nil]]
            + JobState.allCases.map { ["value": $0.rawValue, "label": $0.rawValue, "selected": filter.state == $0] }
        return pages.page(
            "queue",
            title: "Queue",
            page: "queue",
            frame: viewer.frame,
            data: data,
            layout: ["filters": ["states": states, "owner": ownerText, "batch": batch]],
            fragment: Self.isFragment(request)
        )
    }

    /// One job as a table row.
    func row(_ job: JobView, _ viewer: Viewer) -> [String: Any] {
        [
            "id": job.id, "display": job.name ?? job.id, "state": job.state.rawValue,
            "position": job.position.map(String.init) ?? "", "owner": Self.userName(job.ownerUid),
            "gpus": job.gpus, "host": job.host ?? "", "pending": job.pendingReason ?? job.reason ?? "",
            "age": Self.age(since: job.createdAt), "progress": job.progress.map { "\(Int($0 * 100))%" } ?? "",
            "mayAct": viewer.mayAct(on: job.ownerUid), "inQueue": job.state.isInQueue && job.parentId == nil,
            "held": job.state == .held, "finished": job.state.isTerminal,
        ]
    }

    // MARK: Job

    /// `GET /jobs/ID`: the job's fields, spec, outputs and items; its log follows live below.
    func jobPage(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let viewer = try await viewer(context)
        let id = try RequestParts.jobID(context)
        let job: JobView
        do {
            job = try await queries.job(id, for: viewer.identity)
        } catch StoreError.jobNotFound {
            return pages.message(.notFound, title: "No such job", text: "There is no job \(id) you may see.")
        }
        let record = try await database.job(id).job
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let spec = String(decoding: (try? encoder.encode(record.spec)) ?? Data(), as: UTF8.self)
        let fields: [(String, String?)] = [
            ("id", job.id), ("kind", job.kind), ("image", job.image), ("owner", Self.userName(job.ownerUid)),
            ("position", job.position.map(String.init)), ("priority", String(job.priority)),
            ("gpus", String(job.gpus)), ("host", job.host),
            ("devices", job.devices.isEmpty ? nil : job.devices.joined(separator: ", ")),
            ("attempts", String(job.attempts)), ("exit code", job.exitCode.map(String.init)),
            ("reason", job.reason), ("pending", job.pendingReason), ("error", job.error),
            ("created", job.createdAt), ("started", job.startedAt), ("finished", job.finishedAt),
            ("GPU time", job.gpuSeconds > 0 ? String(format: "%.1f GPU-seconds", job.gpuSeconds) : nil),
            ("batch", job.batchId), ("batch run", job.parentId), ("prompt", job.prompt),
            ("enhanced prompt", job.enhancedPrompt),
        ]
        let outputs = job.outputs.map { name -> [String: Any] in
            let href =
                "/jobs/\(job.id)/outputs/"
                + name.split(separator: "/").map { Self.pathEscape(String($0)) }
                .joined(separator: "/")
            let video = ["mp4", "webm", "mov", "m4v", "ogv"].contains((name as NSString).pathExtension.lowercased())
            return ["name": name, "href": href, "video": video]
        }
        let children = (job.children ?? []).map { child -> [String: Any] in
            [
                "index": child.batchIndex ?? 0, "id": child.id, "state": child.state.rawValue,
                "detail": child.error ?? child.reason ?? child.outputs.joined(separator: ", "),
            ]
        }
        let data: [String: Any] = [
            "id": job.id, "display": job.name ?? job.id, "state": job.state.rawValue,
            "fields": fields.compactMap { label, value in value.map { ["label": label, "value": $0] } },
            "spec": spec, "outputs": outputs, "hasOutputs": !outputs.isEmpty,
            "children": children, "hasChildren": !children.isEmpty,
            "mayAct": viewer.mayAct(on: job.ownerUid), "inQueue": job.state.isInQueue && job.parentId == nil,
            "held": job.state == .held, "finished": job.state.isTerminal,
            "retryable": job.state == .failed || job.state == .cancelled,
        ]
        return pages.page(
            "job",
            title: job.name ?? job.id,
            page: "job",
            frame: viewer.frame,
            data: data,
            layout: ["log": "/v1/jobs/\(job.id)/logs?follow=true", "jobDone": job.state.isTerminal],
            fragment: Self.isFragment(request)
        )
    }

    /// `GET /jobs/ID/outputs/PATH`: one of the job's output files, if the viewer may see the job.
    func output(_ context: WebRequestContext) async throws -> Response {
        let viewer = try await viewer(context)
        let id = try RequestParts.jobID(context)
        let name = context.parameters.getCatchAll().joined(separator: "/")
        let job = try await queries.job(id, for: viewer.identity)
        // Only the names the daemon collected (the extractor refused unsafe ones): nothing else is reachable.
        guard job.outputs.contains(name) else { throw HTTPError(.notFound) }
        let path = queries.configuration.outputsDirectory + "/" + id + "/" + name
        let body = try await FileIO().loadFile(path: path, context: context)
        var headers = HTTPFields()
        let type = Self.contentType(of: name)
        headers[.contentType] = type
        // Media plays inline; anything else downloads, so an output can never run as a page of this site.
        if !type.hasPrefix("video/") && !type.hasPrefix("image/") {
            let file = (name as NSString).lastPathComponent.replacingOccurrences(of: "\"", with: "")
            headers[.contentDisposition] = "attachment; filename=\"\(file)\""
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    // MARK: Batches

    /// `GET /batches`: a progress bar per batch, newest first, with its per-job marks.
    func batchesPage(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let viewer = try await viewer(context)
        let batches = try await queries.batches(status: nil, for: viewer.identity)
            .sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
        var items: [[String: Any]] = []
        for batch in batches.prefix(50) {
            let marks = try await database.batchMarks(batch.id, limit: Self.marksLimit)
            // The bar's parts, as shares of 100 (drawn as SVG: the page's policy allows no inline styles).
            func share(_ count: Int) -> Double { batch.total > 0 ? Double(count) * 100 / Double(batch.total) : 0 }
            let (done, failed, cancelled) = (share(batch.completed), share(batch.failed), share(batch.cancelled))
            items.append([
                "id": batch.id, "name": batch.name, "status": batch.status.rawValue, "percent": batch.percent,
                "donePercent": done, "failedPercent": failed, "cancelledStart": done + failed,
                "cancelledPercent": cancelled, "completed": batch.completed, "failed": batch.failed,
                "running": batch.running, "queued": batch.queued, "held": batch.held, "cancelled": batch.cancelled,
                "total": batch.total, "eta": batch.etaSeconds.map(Self.duration) ?? "",
                "paused": batch.status == .paused, "done": batch.status.isFinished,
                "mayAct": viewer.mayAct(on: batch.ownerUid),
                "marks": marks.jobs.map { job -> [String: Any] in
                    let mark = Self.mark(job.state)
                    return ["id": job.id, "state": job.state.rawValue, "mark": mark.name, "symbol": mark.symbol]
                },
                "moreMarks": marks.total > marks.jobs.count ? marks.total - marks.jobs.count : 0,
            ])
        }
        return pages.page(
            "batches",
            title: "Batches",
            page: "batches",
            frame: viewer.frame,
            data: ["batches": items],
            fragment: Self.isFragment(request)
        )
    }

    /// A job state as a batch mark: done, running, queued, failed, held or cancelled.
    static func mark(_ state: JobState) -> (name: String, symbol: String) {
        switch state {
        case .succeeded: ("done", "✓")
        case .starting, .running: ("running", "▶")
        case .queued: ("queued", "·")
        case .failed: ("failed", "✗")
        case .held: ("held", "‖")
        case .cancelled: ("cancelled", "–")
        }
    }

    // MARK: Smart batching

    /// `GET /smart-batch`: while the queue is paused, analyze, the preview, execute; afterwards the report.
    func smartBatchPage(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let viewer = try await viewer(context)
        let paused = try await database.isPaused()
        var data: [String: Any] = ["paused": paused, "admin": viewer.admin]
        if paused {
            do {
                try queries.access.authorize(.readEveryones(verb: "smart-batch preview"), by: viewer.identity)
                let plan = try await queries.smartBatchPreview()
                data["mixed"] = plan.mode == .mixed
                data["plan"] = Self.planData(plan)
            } catch let denied as AccessDenied {
                data["refusal"] = denied.message
            } catch SmartBatchError.noAnalysis {
                data["plan"] = nil
            }
        }
        if let report = try? await queries.smartBatchReport() {
            data["report"] = [
                "planId": report.planId, "predicted": String(format: "%.2f", report.predictedSpeedup),
                "measured": report.measuredSpeedup.map { String(format: "%.2f×", $0) } ?? "not yet (runs unfinished)",
                "runs": report.runs.map { run -> [String: Any] in
                    [
                        "parentId": run.parentId, "size": run.size, "state": run.state,
                        "predicted": Self.duration(Int(run.predictedSeconds)),
                        "measured": run.measuredSeconds.map { Self.duration(Int($0)) } ?? "–",
                        "alone": Self.duration(Int(run.aloneSeconds)),
                    ]
                },
            ]
        }
        return pages.page(
            "smart-batch",
            title: "Smart batching",
            page: "smart-batch",
            frame: viewer.frame,
            data: data,
            fragment: Self.isFragment(request)
        )
    }

    /// A stored analysis as the preview table shows it.
    static func planData(_ plan: SmartBatchPlanView) -> [String: Any] {
        [
            "id": plan.id, "mode": plan.mode.rawValue, "createdAt": plan.createdAt, "stale": plan.stale,
            "changes": plan.changes ?? "", "jobsBefore": plan.jobsBefore, "runsAfter": plan.runsAfter,
            "expectedSpeedup": String(format: "%.2f", plan.expectedSpeedup), "estimate": plan.estimate,
            "groups": plan.groups.enumerated().map { index, group -> [String: Any] in
                [
                    "index": index + 1, "controls": group.controls.joined(separator: ", "),
                    "size": group.size, "speedup": String(format: "%.2f", group.expectedSpeedup),
                    "estimate": group.estimate, "jobs": group.jobIds.joined(separator: " "),
                ]
            },
            "excluded": plan.excluded.map { ["job": $0.jobID, "reason": $0.reason] },
            "hasExcluded": !plan.excluded.isEmpty,
        ]
    }

    // MARK: Hosts

    /// `GET /hosts`: one cell per GPU, free or busy and by which job; drain and resume for admins.
    func hostsPage(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let viewer = try await viewer(context)
        let hosts = try await queries.hosts()
        let active = try await database.activeJobs()
        let configured = queries.configuration.hosts
        let items = hosts.map { host -> [String: Any] in
            let devices = configured.first { $0.name == host.name }?.devices ?? []
            let cells = devices.map { device -> [String: Any] in
                guard let job = active.first(where: { $0.host == host.name && $0.devices.contains(device) }) else {
                    return ["device": device]
                }
                let visible = queries.access.maySee(ownerUID: job.ownerUid, viewer.identity)
                return ["device": device, "job": job.id, "label": visible ? (job.name ?? job.id) : "busy"]
            }
            return [
                "name": host.name, "state": host.state.rawValue, "endpoint": host.endpoint,
                "draining": host.draining, "admin": viewer.admin, "lastError": host.lastError ?? "", "cells": cells,
            ]
        }
        return pages.page(
            "hosts",
            title: "Hosts",
            page: "hosts",
            frame: viewer.frame,
            data: ["hosts": items],
            fragment: Self.isFragment(request)
        )
    }

    // MARK: Activity

    /// `GET /activity`: throughput and queue wait over the last hours, as SVG bar charts drawn here.
    func activityPage(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let viewer = try await viewer(context)
        let hours = 6
        let bucketMinutes = 15
        let buckets = try await database.activity(buckets: hours * 60 / bucketMinutes, seconds: bucketMinutes * 60)
        let formatter = Date.FormatStyle(date: .omitted, time: .shortened, timeZone: .current)
        func label(_ index: Int, _ bucket: ActivityBucket) -> String {
            index % 4 == 0 ? bucket.start.formatted(formatter) : ""
        }
        let throughput = SVGChart.bars(
            buckets.enumerated().map {
                .init(value: Double($1.finished), label: label($0, $1), title: $1.start.formatted(formatter))
            },
            unit: "jobs",
            id: "throughput-chart"
        )
        let wait = SVGChart.bars(
            buckets.enumerated().map {
                .init(value: $1.meanWaitSeconds, label: label($0, $1), title: $1.start.formatted(formatter))
            },
            unit: "s",
            id: "wait-chart"
        )
        return pages.page(
            "activity",
            title: "Activity",
            page: "activity",
            frame: viewer.frame,
            data: [
                "hours": hours, "bucketMinutes": bucketMinutes, "throughput": throughput, "wait": wait,
                "finishedTotal": buckets.reduce(0) { $0 + $1.finished },
            ],
            fragment: Self.isFragment(request)
        )
    }
}
