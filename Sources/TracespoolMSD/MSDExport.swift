import Foundation
import TracespoolSpool

/// CSV export of the detail (`msd.md` §6.4): the reference's Chinese headers, UTF-8 with BOM (Excel),
/// RFC 4180 quoting, masks applied (all three — the reference dropped type/package), rows in the
/// default order (defect rate desc, then lot name, id, reason). One statement streams the rows;
/// they are handed to `write` in groups of `groupRows`, so memory stays flat at any size.
public enum MSDExport {
    public static let backwardHeader = ["LOT ID", "TYPE", "PACKAGE", "WORKFLOW", "偵測設備", "投入數", "報廢原因", "不良數",
                                        "不良率(%)", "上游LOT數", "上游台數"]
    public static let forwardHeader = ["LOT ID", "偵測設備", "前段不良原因", "偵測投入", "偵測不良", "下游到達站數",
                                       "下游不良總數", "下游不良率(%)"]
    public static let groupRows = 2000

    /// Writes the CSV; returns the number of data rows.
    @discardableResult
    public static func csv(_ m: MSDSpool, masks: MSDMasks, write: (Data) throws -> Void) throws -> Int {
        let v = try MSDView(m, masks: masks)
        _ = try MSDDetail.prepareRows(v, machineCounts: true)
        let backward = m.direction == .backward
        var buffer = "\u{FEFF}"
        if let note = try MSDQuality.incompleteNote(m) {
            // Visible in Excel's first row; a complete job's CSV keeps the reference's exact shape.
            buffer += line(["品質 quality: \(note)"])
        }
        buffer += line(backward ? backwardHeader : forwardHeader)
        let sql = MSDDetail.select(v, order: MSDDetail.orderBy(m.direction, "defect_rate", "desc"), machineCounts: true, limited: false)
        var n = 0
        try v.db.each(sql) { s in
            let fields: [String]
            if backward {
                fields = [s.text(2) ?? "", s.text(3) ?? "", s.text(4) ?? "", s.text(5) ?? "", s.text(7) ?? "",
                          qty(s.num(8)), s.text(9) ?? "", qty(s.num(10)), rate(s.num(11)),
                          String(s.count(12)), String(s.count(13))]
            } else {
                fields = [s.text(2) ?? "", s.text(6) ?? "", s.text(9) ?? "", qty(s.num(7)), qty(s.num(8)),
                          String(s.count(10)), qty(s.num(11)), rate(s.num(12))]
            }
            buffer += line(fields)
            n += 1
            if n % groupRows == 0 {
                try write(Data(buffer.utf8))
                buffer = ""
            }
        }
        if !buffer.isEmpty { try write(Data(buffer.utf8)) }
        return n
    }

    static func qty(_ d: Double) -> String { JSON.number(d).text }
    static func rate(_ d: Double) -> String { JSON.double(d).text }

    static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
