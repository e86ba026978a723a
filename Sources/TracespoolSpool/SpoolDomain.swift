/// The event domains a spool can hold and their typed columns — the reference output contract of
/// `trace-pipeline.md` §2.1, upper-case names. The warehouse SQL that fills them lives in the
/// pipeline module; readers discover columns from the spool file itself.
public struct SpoolDomain: Sendable, Equatable {
    public enum ColumnType: String, Sendable {
        /// Free text.
        case text = "TEXT"
        /// Exact decimal from PostgreSQL `numeric`, bound as text; SQLite keeps integers as INTEGER.
        case numeric = "NUMERIC"
        /// `YYYY-MM-DD HH:MM:SS` text.
        case timestamp = "TIMESTAMP_TEXT"
    }

    public struct Column: Sendable, Equatable {
        public let name: String
        public let type: ColumnType
    }

    public let name: String
    public let columns: [Column]

    /// `ev_<name>` for event domains; stage tables (e.g. `msd_detection`) name their own.
    public let tableName: String
    /// Position of CONTAINERID among `columns`.
    public var cidColumn: Int { columns.firstIndex { $0.name == "CONTAINERID" }! }

    init(_ name: String, table: String? = nil, _ spec: [(String, ColumnType)]) {
        self.name = name
        tableName = table ?? "ev_\(name)"
        columns = spec.map { Column(name: $0.0, type: $0.1) }
    }

    public static func named(_ name: String) -> SpoolDomain? { all.first { $0.name == name } }
    public static var names: [String] { all.map(\.name) }

    public static let all: [SpoolDomain] = [
        SpoolDomain("history", [
            ("CONTAINERID", .text), ("WORKCENTERNAME", .text), ("EQUIPMENTID", .text),
            ("EQUIPMENTNAME", .text), ("SPECNAME", .text), ("TRACKINTIMESTAMP", .timestamp),
            ("TRACKOUTTIMESTAMP", .timestamp), ("TRACKINQTY", .numeric), ("TRACKOUTQTY", .numeric),
            ("FINISHEDRUNCARD", .text), ("PJ_WORKORDER", .text), ("CONTAINERNAME", .text),
            ("PJ_TYPE", .text), ("PJ_BOP", .text), ("PRODUCTLINENAME", .text), ("WAFER_LOT_ID", .text),
        ]),
        SpoolDomain("materials", [
            ("CONTAINERID", .text), ("CONTAINERNAME", .text), ("MATERIALPARTNAME", .text),
            ("MATERIALLOTNAME", .text), ("MATERIALDESCRIPTION", .text), ("QTYCONSUMED", .numeric),
            ("WORKCENTERNAME", .text), ("SPECNAME", .text), ("EQUIPMENTNAME", .text), ("TXNDATE", .timestamp),
        ]),
        SpoolDomain("rejects", [
            ("CONTAINERID", .text), ("CONTAINERNAME", .text), ("WORKCENTERNAME", .text),
            ("WORKCENTER_GROUP", .text), ("WORKCENTERSEQUENCE_GROUP", .numeric), ("PRODUCTLINENAME", .text),
            ("PJ_FUNCTION", .text), ("PJ_TYPE", .text), ("PRODUCTNAME", .text), ("SPECNAME", .text),
            ("LOSSREASONNAME", .text), ("EQUIPMENTNAME", .text), ("REJECTCOMMENT", .text),
            ("REJECT_QTY", .numeric), ("STANDBY_QTY", .numeric), ("QTYTOPROCESS_QTY", .numeric),
            ("INPROCESS_QTY", .numeric), ("PROCESSED_QTY", .numeric), ("REJECT_TOTAL_QTY", .numeric),
            ("DEFECT_QTY", .numeric), ("TXN_TIME", .timestamp), ("TXNDATE", .timestamp), ("TXN_DAY", .timestamp),
        ]),
        SpoolDomain("holds", [
            ("CONTAINERID", .text), ("CONTAINERNAME", .text), ("WORKCENTERNAME", .text),
            ("HOLDTXNDATE", .timestamp), ("HOLDEMP", .text), ("HOLDEMPDEPTNAME", .text),
            ("HOLDREASONNAME", .text), ("HOLDCOMMENTS", .text), ("RELEASETXNDATE", .timestamp),
            ("RELEASEEMP", .text), ("RELEASECOMMENTS", .text), ("NCRID", .text), ("HOLD_STATUS", .text),
            ("HOLD_HOURS", .numeric),
        ]),
        SpoolDomain("jobs", [
            ("JOBID", .text), ("RESOURCEID", .text), ("RESOURCENAME", .text), ("JOBSTATUS", .text),
            ("JOBMODELNAME", .text), ("JOBORDERNAME", .text), ("CREATEDATE", .timestamp),
            ("COMPLETEDATE", .timestamp), ("CAUSECODENAME", .text), ("REPAIRCODENAME", .text),
            ("SYMPTOMCODENAME", .text), ("CONTAINERIDS", .text), ("CONTAINERNAMES", .text),
            ("CONTAINERID", .text),
        ]),
        SpoolDomain("upstream_history", [
            ("CONTAINERID", .text), ("WORKCENTERNAME", .text), ("WORKCENTER_GROUP", .text),
            ("EQUIPMENTID", .text), ("EQUIPMENTNAME", .text), ("SPECNAME", .text),
            ("TRACKINTIMESTAMP", .timestamp), ("TRACKINQTY", .numeric),
        ]),
        SpoolDomain("downstream_rejects", [
            ("CONTAINERID", .text), ("WORKCENTERNAME", .text), ("WORKCENTER_GROUP", .text),
            ("LOSSREASONNAME", .text), ("EQUIPMENTNAME", .text), ("REJECT_TOTAL_QTY", .numeric),
            ("TXNDATE", .timestamp),
        ]),
    ]
}
