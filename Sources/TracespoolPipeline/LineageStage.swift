import Foundation
import TracespoolSource
import TracespoolSpool

/// Genealogy of the seeds (`trace-pipeline.md` §1.2, §3) into the spool's lineage tables, and the
/// expansion of the trace's CID set: backward = seeds ∪ ancestors, forward = seeds ∪ descendants.
public struct LineageStage {
    let copy: BatchCopyStage
    let spool: Spool
    let config: EventsConfig

    public init(copy: BatchCopyStage, spool: Spool, config: EventsConfig) {
        self.copy = copy
        self.spool = spool
        self.config = config
    }

    public struct Outcome: Sendable {
        public let nodes: Int
        public let edges: Int
        public let cids: Int
    }

    public func run(direction: String) throws -> Outcome {
        let forward = direction == "forward"
        let plan = try BatchPlan.keys(spool: spool, table: "seeds", column: "CID", size: config.cidBatchSize, extra: [])
        let outcome = try copy.run(into: .lineageRaw, select: forward ? LineageQueries.forward : LineageQueries.backward,
                                   plan: plan, sessionSettings: LineageQueries.sessionSettings)
        // A seed without its genealogy would silently shrink the trace: lineage is all or nothing.
        try outcome.requireComplete("lineage")
        let db = spool.database
        try db.transaction {
            try db.execute(SpoolLineageSQL.fold)
            try db.execute(forward ? SpoolLineageSQL.forwardExpand : SpoolLineageSQL.backwardExpand)
            if !forward { try db.execute(SpoolLineageSQL.backwardRoots) }
            try db.execute("UPDATE seeds SET NAME = (SELECT n.NAME FROM lineage_nodes n WHERE n.CID = seeds.CID) WHERE NAME IS NULL")
            try spool.setMeta("lineage.direction", direction)
        }
        return Outcome(nodes: try db.scalarInt("SELECT count(*) FROM lineage_nodes") ?? 0,
                       edges: try db.scalarInt("SELECT count(*) FROM lineage_edges") ?? 0,
                       cids: try db.scalarInt("SELECT count(*) FROM trace_cids") ?? 0)
    }
}
