// swift-tools-version: 6.0
import PackageDescription

// Modules follow the data flow of DESIGN.md:
//   source (PostgreSQL) → pipeline → spool (SQLite) → readers → jobs → CLI (and later the server).
let package = Package(
    name: "tracespool",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tracespool", targets: ["tracespool"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // SHA-256 of a job's normalised request (its reuse key).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The HTTP API (`tracespool serve`): Hummingbird 2 on SwiftNIO, services under swift-service-lifecycle.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Many hosts: an API node proxies a read to the node that holds the job's spool, streaming.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // `tracespool nightly FILE`: YAML whose nodes carry line numbers, for precise config errors.
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        // Test-only: an independent RFC 4180 parser to read back the CSV export.
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
    ],
    targets: [
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "TracespoolSource", dependencies: [
            "CLibPQ", .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "TracespoolSpool", dependencies: ["CSQLite"]),
        .target(name: "TracespoolPipeline", dependencies: [
            "TracespoolSource", "TracespoolSpool", .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "TracespoolReaders", dependencies: ["TracespoolSpool"]),
        // MSD aggregation: SQL over a job's spool (detection, lineage and event tables).
        .target(name: "TracespoolMSD", dependencies: ["TracespoolSpool"]),
        // Self-contained HTML reports (inline SVG and CSS) rendered from the readers' JSON; no spool access.
        .target(name: "TracespoolReports"),
        .target(name: "TracespoolJobs", dependencies: [
            "TracespoolPipeline", "TracespoolSpool", "TracespoolSource",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The HTTP API: routes over the job store and the readers; blocking SQLite work on NIO's thread pool.
        .target(name: "TracespoolServer", dependencies: [
            "TracespoolJobs", "TracespoolReaders", "TracespoolMSD", "TracespoolReports", "TracespoolSpool", "TracespoolPipeline",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .executableTarget(name: "tracespool", dependencies: [
            "TracespoolServer",
            "TracespoolJobs", "TracespoolReaders", "TracespoolMSD", "TracespoolReports", "TracespoolPipeline", "TracespoolSpool", "TracespoolSource",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .testTarget(name: "TracespoolTests", dependencies: [
            "TracespoolSource", "TracespoolSpool", "TracespoolPipeline", "TracespoolReaders", "TracespoolJobs",
            "TracespoolMSD", "TracespoolServer", "TracespoolReports",
            .product(name: "CSV", package: "CSV.swift"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
