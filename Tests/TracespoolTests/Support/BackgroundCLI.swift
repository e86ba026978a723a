import Foundation

/// The built binary running in the background as a real process (a worker, a long `run`): its
/// output goes to files so it never blocks on a pipe; a test can signal it (kill -9, SIGSTOP,
/// SIGTERM) and wait for it.
final class BackgroundCLI {
    let process = Process()
    let outPath: String
    let errPath: String

    init(_ arguments: [String], environment: [String: String] = [:], folder: String) throws {
        let tag = UUID().uuidString.prefix(8)
        outPath = "\(folder)/bg-\(tag).out"
        errPath = "\(folder)/bg-\(tag).err"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: try TestEnvironment.binary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Waits up to `seconds` for the process to end; kills it and returns nil if it does not.
    @discardableResult
    func wait(seconds: Double = 120) -> Int32? {
        let end = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            signal(SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    deinit { if process.isRunning { signal(SIGKILL); process.waitUntilExit() } }
}

/// Polls `condition` every 20 ms for up to `seconds`; true if it became true.
func eventually(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.02)
    }
    return try condition()
}
