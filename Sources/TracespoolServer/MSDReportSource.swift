import Foundation
import TracespoolJobs
import TracespoolMSD
import TracespoolReports

/// Gathers a report's inputs from an open MSD spool: the same summary text `msd summary` prints
/// (`MSDSummaryStore.summaryText`) and the first detail page `msd detail` prints.
public enum MSDReportSource {
    /// The reference dashboard shows 20 detail rows a page.
    public static let detailRows = 20

    public static func html(_ m: MSDSpool, masks: MSDMasks, top: Int, command: String) throws -> String {
        let summary = try MSDSummaryStore.summaryText(m, masks: masks)
        let detail = try MSDDetail.page(m, MSDDetailRequest(page: 1, pageSize: detailRows, masks: masks)).text
        let input = MSDReportInput(
            summaryText: summary, detailText: detail, detailColumns: columns(m.direction),
            snapshotTimes: (try m.spool.meta("snapshot_times"))?.split(separator: ",").map(String.init) ?? [],
            top: top, command: command, generatedAt: UTCTime.iso(Date()), version: TracespoolVersion.current)
        do {
            return try MSDReport.render(input)
        } catch let e as ReportError {
            throw MSDError(.schemaOutdated, e.message)
        }
    }

    /// The detail columns under the CSV export's headers (`MSDExport`), keyed by the detail JSON's fields.
    static func columns(_ d: MSDDirection) -> [(key: String, label: String, numeric: Bool)] {
        let keys = d == .backward
            ? ["CONTAINERNAME", "PJ_TYPE", "PRODUCTLINENAME", "WORKFLOW", "DETECTION_EQUIPMENTNAME", "INPUT_QTY", "LOSS_REASON",
               "DEFECT_QTY", "DEFECT_RATE", "ANCESTOR_COUNT", "UPSTREAM_MACHINE_COUNT"]
            : ["CONTAINERNAME", "DETECTION_EQUIPMENTNAME", "DETECTION_LOSS_REASON", "TRACKINQTY", "DEFECT_QTY",
               "DOWNSTREAM_STATIONS_REACHED", "DOWNSTREAM_TOTAL_REJECT", "DOWNSTREAM_REJECT_RATE"]
        let labels = d == .backward ? MSDExport.backwardHeader : MSDExport.forwardHeader
        let numeric: Set<String> = ["INPUT_QTY", "DEFECT_QTY", "DEFECT_RATE", "ANCESTOR_COUNT", "UPSTREAM_MACHINE_COUNT", "TRACKINQTY",
                                    "DOWNSTREAM_STATIONS_REACHED", "DOWNSTREAM_TOTAL_REJECT", "DOWNSTREAM_REJECT_RATE"]
        return zip(keys, labels).map { ($0, $1, numeric.contains($0)) }
    }
}

