import Foundation
import TracespoolSource

/// A file of container ids, one per line or comma-separated, read as a stream: a 115 000-CID
/// trace never becomes a 115 000-element array. Standard input ('-') is copied once into a file
/// beside the spools, since a request reads its CIDs twice (validate, then load).
public struct CIDFile: Codable, Sendable, Equatable {
    public let path: String

    public init(path: String) { self.path = path }

    /// Copies standard input into `folder` and returns that file (removed when the job ends).
    public static func fromStandardInput(into folder: String) throws -> CIDFile {
        try JobRunner.prepareSpoolDir(folder)
        let path = "\(folder)/.stdin-cids-\(getpid()).txt"
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let out = FileHandle(forWritingAtPath: path) else {
            throw TraceRequest.Invalid(message: "cannot buffer standard input in \(folder)")
        }
        defer { try? out.close() }
        while true {
            let chunk = FileHandle.standardInput.readData(ofLength: 64 * 1024)
            if chunk.isEmpty { break }
            out.write(chunk)
        }
        return CIDFile(path: path)
    }

    /// Calls `body` with every non-empty, trimmed, validated CID in file order.
    public func forEach(_ body: (String) throws -> Void) throws {
        guard let f = fopen(path, "r") else {
            throw TraceRequest.Invalid(message: "cannot read --cids-file \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(f) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        var lineNumber = 0
        while getline(&line, &capacity, f) >= 0 {
            lineNumber += 1
            let text = String(cString: line!)
            for raw in text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == "\r" }) {
                let v = raw.trimmingCharacters(in: .whitespaces)
                if v.isEmpty { continue }
                do { try body(try CIDList.validate(v)) } catch let e as CIDList.Invalid {
                    throw TraceRequest.Invalid(message: "\(path):\(lineNumber): \(e.description)")
                }
            }
        }
    }

    /// Validates every CID and counts them (repeats included).
    public func count() throws -> Int {
        var n = 0
        try forEach { _ in n += 1 }
        return n
    }
}
