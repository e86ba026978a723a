import Foundation
import TracespoolJobs
import TracespoolMSD
import TracespoolReaders
import TracespoolReports
import TracespoolServer
import TracespoolSpool

/// A nightly trace's report: the same page `msd report JOB` (MSD) or `report JOB` (others) writes,
/// produced in-process with errors thrown rather than printed-and-exited, so one bad report does
/// not end the batch.
enum NightlyReport {
    static func write(jobId: String, profile: Profile, runner: JobRunner, to path: String) throws {
        let html: String
        if profile == .midSectionDefect {
            let m = try MSDReader.open(path: runner.spoolPath(jobId))
            html = try MSDReportSource.html(m, masks: MSDMasks(), top: 10, command: "tracespool msd report \(jobId)")
        } else {
            html = JobOverviewReport.render(try JobReportCommand.input(source: jobId, spoolDir: runner.spoolDir))
        }
        // Written under .part and renamed: a morning reader never opens half a page.
        let tmp = path + ".part"
        try Data(html.utf8).write(to: URL(fileURLWithPath: tmp))
        if rename(tmp, path) != 0 {
            try? FileManager.default.removeItem(atPath: tmp)
            throw SpoolError(.unwritable, "cannot rename \(tmp) to \(path)")
        }
    }

    static func describe(_ error: Error) -> (String, String) {
        switch error {
        case let e as MSDError: return (e.code, e.message)
        case let e as ExportFailure: return (e.code, e.message)
        case let e as SpoolLocator.NotFound: return (e.code, e.message)
        case let e as CocoaError: return ("SPOOL_UNWRITABLE", e.localizedDescription)
        default: return StableError.describe(error)
        }
    }
}
