// swift-tools-version:6.0
import PackageDescription

/// cosmos-worker: a GPU job queue daemon (`cosmos-worker`) and its client (`cosmosctl`).
///
/// Library targets hold the logic; the two executables are a few lines each.
let package = Package(
    name: "cosmos-worker",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cosmos-worker", targets: ["cosmos-worker"]),
        .executable(name: "cosmosctl", targets: ["cosmosctl"]),
        .library(name: "DockerEngine", targets: ["DockerEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // MARK: Pure logic, no I/O

        /// Job specs and validation, job states and transitions, queue keys, container naming.
        .target(name: "CosmosDomain"),

        /// A small ustar writer and a reader that refuses unsafe entries.
        .target(name: "TarArchive"),

        // MARK: Adapters (know nothing of jobs)

        /// A generic Docker Engine API client over AsyncHTTPClient (Unix socket or TCP+TLS).
        .target(
            name: "DockerEngine",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: systemd integration (nothing cosmos-specific)

        /// libsystemd's C API (sd-daemon, sd-journal), found through pkg-config.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),

        /// sd_notify and the watchdog, socket activation, and a swift-log handler writing native journal entries.
        .target(
            name: "SystemdKit",
            dependencies: [
                "CSystemd",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: cosmos-worker's own parts

        /// The SQLite store: one writer, migrations, every queue operation one transaction.
        .target(
            name: "CosmosStore",
            dependencies: [
                "CosmosDomain",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),

        /// Wire types of the control API, shared by the daemon and cosmosctl.
        .target(name: "CosmosAPI", dependencies: ["CosmosDomain"]),

        /// The daemon: configuration, control server, scheduler, Docker executor, wired as services.
        .target(
            name: "CosmosDaemon",
            dependencies: [
                "CosmosDomain", "CosmosStore", "CosmosAPI", "DockerEngine", "TarArchive", "SystemdKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ],
            // The runner adapters (Python, standard library only), embedded in the binary and staged into jobs.
            resources: [
                .embedInCode("Adapters/cosmos_adapter.py"),
                .embedInCode("Adapters/cosmos_transfer1.py"),
                .embedInCode("Adapters/cosmos_transfer2_5.py"),
                .embedInCode("Adapters/cosmos_prompt_upsampler.py"),
                // The dashboard: its templates, script and style sheet (no CDN, no external font).
                .embedInCode("Web/Assets/layout.mustache"),
                .embedInCode("Web/Assets/queue.mustache"),
                .embedInCode("Web/Assets/job.mustache"),
                .embedInCode("Web/Assets/batches.mustache"),
                .embedInCode("Web/Assets/smart-batch.mustache"),
                .embedInCode("Web/Assets/hosts.mustache"),
                .embedInCode("Web/Assets/activity.mustache"),
                .embedInCode("Web/Assets/message.mustache"),
                .embedInCode("Web/Assets/dashboard.js"),
                .embedInCode("Web/Assets/dashboard.css"),
            ]
        ),

        /// cosmosctl's command tree and its HTTP client for the control socket.
        .target(
            name: "CosmosCtl",
            dependencies: [
                "CosmosAPI", "CosmosDomain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ]
        ),

        // MARK: Executables

        .executableTarget(
            name: "cosmos-worker",
            dependencies: [
                "CosmosDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "cosmosctl", dependencies: ["CosmosCtl"]),
        /// Prints a latency table of queue operations at 10k, 100k and 1M queued jobs.
        .executableTarget(
            name: "queue-bench",
            dependencies: ["CosmosStore", "CosmosDomain", .product(name: "GRDB", package: "GRDB.swift")]
        ),

        // MARK: Tests

        .testTarget(name: "CosmosDomainTests", dependencies: ["CosmosDomain"]),
        .testTarget(name: "TarArchiveTests", dependencies: ["TarArchive"]),
        .testTarget(name: "CosmosCtlTests", dependencies: ["CosmosCtl", "CosmosAPI", "CosmosDomain"]),
        .testTarget(
            name: "CosmosDaemonTests",
            dependencies: [
                "CosmosDaemon", "CosmosStore", "CosmosDomain", "CosmosAPI", "DockerEngine", "TarArchive",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "CosmosStoreTests",
            dependencies: ["CosmosStore", "CosmosDomain", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "DockerEngineTests",
            dependencies: ["DockerEngine", "TarArchive"]
        ),
        .testTarget(
            name: "SystemdKitTests",
            dependencies: ["SystemdKit", "CSystemd", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["CosmosAPI", "CosmosDomain", "CosmosStore"]
        ),
    ]
)
