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

    /// Calls `body` with every non-empty, trimmed, validated CID in file order. A UTF-8 byte order
    /// mark (Excel's "CSV UTF-8", Notepad) is skipped; a UTF-16 file or a folder is refused by name.
    public func forEach(_ body: (String) throws -> Void) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw TraceRequest.Invalid(message: "--cids-file \(path) is a folder: give a file of container ids (one per line or comma-separated)")
        }
        guard let f = fopen(path, "r") else {
            throw TraceRequest.Invalid(message: "cannot read --cids-file \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(f) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        var lineNumber = 0
        while true {
            let length = getline(&line, &capacity, f)
            if length < 0 {
                if ferror(f) != 0 {
                    throw TraceRequest.Invalid(message: "cannot read --cids-file \(path): \(String(cString: strerror(errno)))")
                }
                break
            }
            lineNumber += 1
            var bytes = UnsafeRawBufferPointer(start: line!, count: length)
            if lineNumber == 1 {
                if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
                    throw TraceRequest.Invalid(message: "\(path) is UTF-16 text (Notepad's \"Unicode\"): save it as UTF-8 or plain text")
                }
                if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = UnsafeRawBufferPointer(rebasing: bytes.dropFirst(3)) }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            for raw in text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
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
