// swift-tools-version: 6.0
import PackageDescription

// Modules follow the data flow of DESIGN.md:
//   source (PostgreSQL) → pipeline → spool (SQLite) → readers → jobs → CLI (and later the server).

// How the release binary is laid out on Linux (README "Where the memory goes"): lld puts the functions the
// usual work runs first and together (scripts/build/symbol-order.txt, written by
// scripts/build/profile-symbol-order), so the code a process touches fills a few MiB of text
// instead of most of its 29 MiB in 64 KiB fault-around windows; the executable exports no
// dynamic symbols (nothing loads it as a library: its 41 000 exports were 3.7 MiB of tables the
// loader searched), and its relative relocations are packed (RELR: 26 KB instead of 3 MiB read
// at every start). Needs glibc 2.36 or later. Release builds only: debug builds link as before.
let codeLayout = [
    "-use-ld=lld",
    "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/scripts/build/symbol-order.txt",
    "-Xlinker", "--no-warn-symbol-ordering",
    "-Xlinker", "--no-export-dynamic",
    "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
]
// Each function in its own section, so the ordering above can move it (without this, swiftc puts
// most of a file's functions in one `.text`, which moves only as a whole).
let ownSections: [SwiftSetting] = [.unsafeFlags(["-Xfrontend", "-function-sections"], .when(platforms: [.linux], configuration: .release))]
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
        ], swiftSettings: ownSections),
        .target(name: "TracespoolSpool", dependencies: ["CSQLite"], swiftSettings: ownSections),
        .target(name: "TracespoolPipeline", dependencies: [
            "TracespoolSource", "TracespoolSpool", .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: ownSections),
        .target(name: "TracespoolReaders", dependencies: ["TracespoolSpool"], swiftSettings: ownSections),
        // MSD aggregation: SQL over a job's spool (detection, lineage and event tables).
        .target(name: "TracespoolMSD", dependencies: ["TracespoolSpool"], swiftSettings: ownSections),
        // Self-contained HTML reports (inline SVG and CSS) rendered from the readers' JSON; no spool access.
        .target(name: "TracespoolReports", swiftSettings: ownSections),
        .target(name: "TracespoolJobs", dependencies: [
            "TracespoolPipeline", "TracespoolSpool", "TracespoolSource",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: ownSections),
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
        ], swiftSettings: ownSections),
        .executableTarget(name: "tracespool", dependencies: [
            "TracespoolServer",
            "TracespoolJobs", "TracespoolReaders", "TracespoolMSD", "TracespoolReports", "TracespoolPipeline", "TracespoolSpool", "TracespoolSource",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: ownSections, linkerSettings: [.unsafeFlags(codeLayout, .when(platforms: [.linux], configuration: .release))]),
        .testTarget(name: "TracespoolTests", dependencies: [
            "TracespoolSource", "TracespoolSpool", "TracespoolPipeline", "TracespoolReaders", "TracespoolJobs",
            "TracespoolMSD", "TracespoolServer", "TracespoolReports",
            .product(name: "CSV", package: "CSV.swift"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
