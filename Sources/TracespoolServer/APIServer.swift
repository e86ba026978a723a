import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TracespoolJobs

/// `tracespool serve` (README "HTTP API"): the HTTP server and the in-process workers are services
/// of one group; SIGTERM or SIGINT stops claiming, hands running jobs back to the queue, lets open
/// streams end within the grace period, and exits.
public enum APIServer {
    /// Runs until a shutdown signal. `onListening` gets the bound port (with port 0, the one the
    /// system chose).
    public static func run(settings: APISettings, runner: JobRunner, logger: Logger,
                           onListening: @escaping @Sendable (Int) -> Void) async throws {
        let services = APIServices(runner: runner, settings: settings)
        let metrics = APIMetrics()
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorEnvelopeMiddleware(logger: logger))
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        if let token = settings.token { router.add(middleware: BearerAuth(token: Array(token.utf8))) }
        // Reads of spools other nodes hold are forwarded there (README "Many hosts"); no redirects
        // followed, a node that does not connect within 3 s is down.
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                configuration: .init(redirectConfiguration: .disallow,
                                                     timeout: .init(connect: SpoolProxyMiddleware.connectTimeout)))
        router.add(middleware: SpoolProxyMiddleware(services: services, client: client))
        JobsAPI.register(router, services)
        ReadsAPI.register(router, services)
        HealthAPI.register(router, services, metrics: metrics)
        ReferenceTraceAPI.register(router, services)
        ReferenceMSDAPI.register(router, services)

        let app = Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [ParserErrorEnvelope(), RequestDeadline(seconds: settings.requestTimeoutSeconds)])),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "tracespool"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? settings.port) },
            logger: logger)
        var group: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: app),
            .init(service: ReaderPoolSweeper(pool: services.readers), successTerminationBehavior: .ignore),
        ]
        if settings.workers > 0 {
            let pool = WorkerPool(runner: runner, concurrency: settings.workers, once: false, pollSeconds: 0.5, logger: logger)
            pool.onFinished = { id, execution, seconds in
                metrics.jobFinished(execution, seconds: seconds)
                WorkerPool.report(id, execution, seconds)
            }
            group.append(.init(service: WorkerService(pool: pool)))
        }
        // The stated deadline: open streams get `graceSeconds` to end after SIGTERM, then they are
        // cancelled (their reader threads see the write fail and stop) and the process exits.
        var config = ServiceGroupConfiguration(services: group, gracefulShutdownSignals: [.sigterm, .sigint],
                                               cancellationSignals: [], logger: logger)
        config.maximumGracefulShutdownDuration = .seconds(settings.graceSeconds)
        config.maximumCancellationDuration = .seconds(5)
        do {
            try await ServiceGroup(configuration: config).run()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try? await client.shutdown()
    }
}

/// The worker pool as a service: runs on its own threads; a graceful shutdown stops claiming and
/// hands the running jobs back to the queue (they resume from their ledger).
struct WorkerService: Service {
    let pool: WorkerPool

    func run() async throws {
        let done = AsyncStream<Void>.makeStream()
        let thread = Thread { [pool] in
            pool.run()
            done.continuation.finish()
        }
        thread.start()
        await withGracefulShutdownHandler {
            for await _ in done.stream {}
        } onGracefulShutdown: { [pool] in
            pool.shutdown()
        }
    }
}
