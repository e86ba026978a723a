import ArgumentParser
import Foundation
import TracespoolJobs
import TracespoolPipeline
import TracespoolServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "The HTTP API over the spool folder, with in-process workers.",
        discussion: """
            Binds 127.0.0.1:8080 unless told otherwise; prints `listening on HOST:PORT` on stdout once \
            it accepts connections (--port 0 lets the system choose). SIGTERM or Ctrl-C stops claiming, \
            hands running jobs back to the queue and exits. With --token (or TRACESPOOL_API_TOKEN) every \
            route but /healthz needs `Authorization: Bearer TOKEN`. Routes and examples: README "HTTP API".
            \(ExitStatus.helpText)
            """)

    @Option(name: .customLong("host"), help: "Address to bind (default 127.0.0.1).") var host = "127.0.0.1"
    @Option(name: .customLong("port"), parsing: .unconditional, help: "Port (default 8080; 0: any free one).") var port = 8080
    @Option(name: .customLong("workers"), parsing: .unconditional, help: "Workers run in this process (default 1).") var workers = 1
    @Flag(name: .customLong("no-workers"), help: "Run no workers here (another process runs them).") var noWorkers = false
    @Option(name: .customLong("token"), help: "Bearer token every route but /healthz needs (else TRACESPOOL_API_TOKEN).") var token: String?
    @OptionGroup var source: SourceOptions
    @OptionGroup var spool: SpoolOptions

    func validate() throws {
        if !(0...65_535).contains(port) { throw ValidationError("--port must be in 0...65535") }
        if !(0...64).contains(workers) { throw ValidationError("--workers must be in 0...64") }
        if host.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--host is empty") }
        if let t = token, t.count < 8 { throw ValidationError("--token must be at least 8 characters") }
    }

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        let env = ProcessInfo.processInfo.environment
        let logger = LogSetup.logger()
        let config = try JobCLI.eventsConfig()
        // The address other API nodes proxy reads to: what this server listens on, when that is one
        // address and a fixed port (TRACESPOOL_NODE_URL overrides it; README "Many hosts").
        let listensOn = !["0.0.0.0", "::", "*"].contains(host) && port != 0 ? "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" : nil
        let runner = try JobCLI.runner(spoolDir: spool.path, conninfo: source.conninfo, config: config, logger: logger, json: false,
                                       nodeURL: listensOn)
        var settings = APISettings(spoolDir: spool.path, conninfo: source.conninfo)
        settings.host = host
        settings.port = port
        settings.workers = noWorkers ? 0 : workers
        settings.token = token ?? env["TRACESPOOL_API_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        func setting(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let raw = env[name] else { return nil }
            guard let v = Int(raw), range.contains(v) else { throw ValidationError("\(name)=\(raw) is not in \(range)") }
            return v
        }
        if let v = try setting("TRACESPOOL_API_MAX_BODY_BYTES", 1024...(1 << 30)) { settings.maxBodyBytes = v }
        if let v = try setting("TRACESPOOL_API_MAX_STREAMS", 1...10_000) { settings.maxStreams = v }
        if let v = try setting("TRACESPOOL_API_GRACE_SECONDS", 0...3600) { settings.graceSeconds = v }
        if let v = try setting("TRACESPOOL_API_REQUEST_TIMEOUT_SECONDS", 1...3600) { settings.requestTimeoutSeconds = v }
        if let v = try setting("TRACESPOOL_REFERENCE_WAIT_SECONDS", 0...3600) { settings.referenceWaitSeconds = Double(v) }
        if let v = try setting("TRACESPOOL_SPOOL_SHARED", 0...1) { settings.sharedSpool = v == 1 }
        let host = self.host
        try await APIServer.run(settings: settings, runner: runner, logger: logger) { port in
            // Unbuffered, so a supervisor or a test reading the pipe sees it at once.
            FileHandle.standardOutput.write(Data("listening on \(host):\(port)\n".utf8))
        }
    }
}
