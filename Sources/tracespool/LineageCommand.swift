import ArgumentParser
import Foundation
import TracespoolReaders
import TracespoolSpool

struct LineageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage",
        abstract: "Print a job's lineage JSON (backward or forward shape) from its spool.",
        discussion: ExitStatus.helpText)

    @Argument(help: "A job id (looked up in the spool folder) or a spool file path.")
    var job: String

    @OptionGroup var spool: SpoolOptions

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        do {
            let located = try SpoolLocator.resolve(job, spoolDir: spool.path)
            let s = try Spool.open(at: located.path)
            let out = OutputBuffer(sink: FileDescriptorSink(fd: STDOUT_FILENO, name: "stdout"))
            try LineageDocument.write(s, into: out)
            try out.flush()
        } catch let e as ReaderError where e.kind == .brokenPipe {
            return
        } catch let e as ReaderError {
            fail(e.code, e.message, ExitStatus.usage)
        } catch let e as SpoolError {
            fail(e.code, e.message, ExitStatus.forCode(e.code))
        } catch let e as SpoolLocator.NotFound {
            fail(e.code, e.message, ExitStatus.forCode(e.code))
        }
    }

    private func fail(_ code: String, _ message: String, _ status: Int32) -> Never {
        FileHandle.standardError.write(Data("tracespool: \(code): \(message)\n".utf8))
        Foundation.exit(status)
    }
}
