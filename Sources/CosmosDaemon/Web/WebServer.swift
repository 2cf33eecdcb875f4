import CosmosStore
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// The dashboard and `/metrics` listener (`[web]`), a service beside the control socket.
enum WebServer {
    /// The router: access first, then the dashboard, then the control API under the session's uid.
    static func router(
        database: AppDatabase,
        queries: Queries,
        api: ControlAPI,
        metrics: DaemonMetrics,
        live: LiveConfiguration
    ) throws -> Router<WebRequestContext> {
        let pages = try DashboardPages()
        let router = Router(context: WebRequestContext.self)
        router.add(
            middleware: WebAccessMiddleware(
                database: database,
                metricsAccess: { live.current.web.metrics },
                pages: pages
            )
        )
        DashboardController(
            queries: queries,
            database: database,
            pages: pages,
            metrics: metrics,
            settings: { live.current.web }
        ).register(on: router)
        api.register(on: router)
        return router
    }

    /// The listening service for `settings.listen`, over HTTPS when TLS files are set.
    static func service(
        settings: WebSettings,
        address: WebAddress,
        router: Router<WebRequestContext>,
        logger: Logger
    ) throws -> any Service {
        let configuration = ApplicationConfiguration(
            address: .hostname(address.host, port: address.port),
            serverName: "cosmos-worker"
        )
        let running: @Sendable (any Channel) async -> Void = { _ in
            logger.notice(
                "dashboard listening",
                metadata: ["listen": "\(address.urlAuthority)", "tls": "\(settings.usesTLS)"]
            )
        }
        guard let certificate = settings.tlsCertificate, let key = settings.tlsKey else {
            return Application(
                router: router,
                server: .http1(),
                configuration: configuration,
                onServerRunning: running,
                logger: logger
            )
        }
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        )
        return Application(
            router: router,
            server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: configuration,
            onServerRunning: running,
            logger: logger
        )
    }
}
