import Foundation
import Testing
import TracespoolJobs
import TracespoolPipeline
import TracespoolSource
import TracespoolSpool

/// Lineage on crafted warehouses whose answers are known by construction.
@Suite("Lineage")
struct LineageTests {
    @Test("a split chain deeper than 20 is cut at 20 ancestors; the root is the top of the cut chain")
    func deepChainIsCut() throws {
        let w = try CraftedWarehouse("deep")
        for i in 0...24 { try w.container(String(format: "L%02d", i), name: String(format: "GA-L%02d", i), split: i == 0 ? nil : String(format: "L%02d", i - 1)) }
        let folder = TempFolder()
        let (r, spool) = try w.run(input("query_tool_reverse") { $0.seedCIDs = ["L24"] }, folder: folder.path)
        let expected = Set((4...23).map { String(format: "L%02d", $0) })
        #expect(try spool.ancestors(of: "L24") == expected)
        #expect(r.cidCount == 21)
        #expect(try spool.strings("SELECT ROOT_ID, ROOT_NAME FROM lineage_seed_roots WHERE SEED_ID = 'L24'") == ["L04|GA-L04"])
    }

    @Test("split cycles terminate without duplicates")
    func cycles() throws {
        let w = try CraftedWarehouse("cycle")
        try w.container("A", split: "B")
        try w.container("B", split: "A")
        try w.container("C", split: "D")
        try w.container("D", split: "E")
        try w.container("E", split: "C")
        let folder = TempFolder()
        let (_, spool) = try w.run(input("query_tool_reverse") { $0.seedCIDs = ["A", "C"] }, folder: folder.path)
        #expect(try spool.ancestors(of: "A") == ["B"])
        #expect(try spool.ancestors(of: "C") == ["D", "E"])
        #expect(try spool.strings("SELECT count(*) - count(DISTINCT FROM_ID || '>' || TO_ID || EDGE_TYPE) FROM lineage_edges") == ["0"])
        // The cycle is cut where it would close: the last lot reached has no parent left, it is the root.
        #expect(try spool.strings("SELECT ROOT_ID FROM lineage_seed_roots ORDER BY SEED_ID") == ["B", "E"])
        // Forward over a cycle terminates too.
        let (_, fwd) = try w.run(input("query_tool") { $0.seedCIDs = ["A"] }, folder: folder.path)
        #expect(try fwd.descendants(of: "A").contains("A"))
    }

    @Test("merge sources are one hop: their split chains count, their own merges do not")
    func mergesOneHop() throws {
        let w = try CraftedWarehouse("merge")
        try w.container("P1", name: "GA-P1")
        try w.container("S1", name: "GA-S1", split: "P1")
        try w.container("S2", name: "GA-S2")
        try w.container("M", name: "GA-M")
        try w.container("F", name: "GA-F")
        try w.container("Q", name: "GA-Q")
        try w.container("F2", name: "GA-F2", split: "Q")
        try w.merge(source: "S1", into: "F", serial: "SN1")
        try w.merge(source: "S2", into: "F", serial: "SN1")
        try w.merge(source: "M", into: "S2")     // a merge of a merge source: not followed
        try w.merge(source: "S2", into: "Q")     // a merge into the seed's split chain: followed
        let folder = TempFolder()
        let (_, spool) = try w.run(input("query_tool_reverse") { $0.seedCIDs = ["F", "F2"] }, folder: folder.path)
        #expect(try spool.ancestors(of: "F") == ["S1", "S2", "P1"])
        #expect(try spool.ancestors(of: "F2") == ["Q", "S2"])
        #expect(try spool.strings("SELECT FROM_ID FROM lineage_edges WHERE TO_ID = 'F' AND EDGE_TYPE = 'merge_source' ORDER BY 1") == ["S1", "S2"])
        // Several roots (P1, S2): the smallest name wins.
        #expect(try spool.strings("SELECT ROOT_NAME FROM lineage_seed_roots WHERE SEED_ID = 'F'") == ["GA-P1"])
    }

    @Test("wafer-origin and GD-rework parents join the genealogy, one level")
    func semanticEdges() throws {
        let w = try CraftedWarehouse("semantic")
        try w.container("W", name: "WL26A0001", objecttype: "LOT")
        try w.container("X", name: "GA26010001-A00-001", firstname: "WL26A0001")
        try w.container("G", name: "GD26010001-R00-001", order: "GD26010001", original: "X")
        let folder = TempFolder()
        let (_, spool) = try w.run(input("query_tool_reverse") { $0.seedCIDs = ["X", "G"] }, folder: folder.path)
        #expect(try spool.ancestors(of: "X") == ["W"])
        #expect(try spool.ancestors(of: "G") == ["X"])
        #expect(try spool.strings("SELECT CID, NODE_TYPE FROM lineage_nodes ORDER BY CID") == ["G|GD", "W|WAFER", "X|GA"])
        #expect(try spool.strings("SELECT FROM_ID, TO_ID, EDGE_TYPE FROM lineage_edges ORDER BY 1, 2") ==
                ["W|X|wafer_origin", "X|G|gd_rework_source"])
        #expect(try spool.strings("SELECT ROOT_NAME FROM lineage_seed_roots WHERE SEED_ID = 'X'") == ["WL26A0001"])
    }

    @Test("forward: the whole tree is in the graph, descendants are the seed's own branch")
    func forwardSiblings() throws {
        let w = try CraftedWarehouse("forward")
        try w.container("R", name: "GA-R")
        try w.container("A", name: "GA-A", split: "R")
        try w.container("B", name: "GA-B", split: "R")
        try w.container("A1", name: "GA-A1", split: "A")
        try w.container("A2", name: "GA-A2", split: "A")
        try w.container("GA1", name: "GD-A1", order: "GD26010002", original: "A1")
        try w.merge(source: "A2", into: "FIN", serial: "SN-9")
        let folder = TempFolder()
        let (r, spool) = try w.run(input("query_tool") { $0.seedCIDs = ["A"] }, folder: folder.path)
        #expect(try spool.descendants(of: "A") == ["A", "A1", "A2", "GA1"])
        #expect(try spool.strings("SELECT CID FROM lineage_nodes ORDER BY CID") == ["A", "A1", "A2", "B", "GA1", "R"])
        #expect(r.cidCount == 4)
        #expect(try spool.strings("SELECT CID, FINISHEDNAME FROM lineage_serials") == ["A2|SN-9"])
        #expect(try spool.strings("SELECT ROOT_ID FROM lineage_seed_roots") == ["R"])
        // The lineage JSON, forward shape.
        let out = try runCLI(["lineage", r.spoolPath])
        #expect(out.status == 0, "\(out.stderr)")
        let doc = try parseJSONObject(out.stdout)
        #expect(doc["roots"] as? [String] == ["R"])
        #expect((doc["children_map"] as? [String: [String]])?["A"] == ["A1", "A2"])
        #expect((doc["leaf_serials"] as? [String: [String]])?["A2"] == ["SN-9"])
        #expect(doc["total_nodes"] as? Int == 6)
    }

    @Test("a seed's ancestors do not depend on the other seeds of the trace")
    func seedsAreIndependent() throws {
        let w = try CraftedWarehouse("independent")
        try w.container("P", name: "GA-P")
        try w.container("C1", name: "GA-C1", split: "P")
        try w.container("C2", name: "GA-C2", split: "C1")
        try w.container("Z", name: "GA-Z")
        try w.merge(source: "Z", into: "C1")
        let folder = TempFolder()
        let (_, together) = try w.run(input("query_tool_reverse") { $0.seedCIDs = ["C1", "C2", "P"] }, folder: folder.path, batch: 2)
        for seed in ["C1", "C2", "P"] {
            let (_, alone) = try w.run(input("query_tool_reverse") { $0.seedCIDs = [seed] }, folder: folder.path)
            #expect(try together.ancestors(of: seed) == alone.ancestors(of: seed), "\(seed)")
        }
        #expect(try together.ancestors(of: "C2") == ["C1", "P", "Z"])
    }

    @Test("the backward lineage JSON has the reference's shape")
    func backwardJSON() throws {
        let w = try CraftedWarehouse("json")
        try w.container("P", name: "GA-P")
        try w.container("C", name: "GA-C", split: "P")
        let folder = TempFolder()
        let (r, _) = try w.run(input("query_tool_reverse") { $0.seedCIDs = ["C"] }, folder: folder.path)
        let out = try runCLI(["lineage", r.jobId, "--spool-dir", folder.path])
        #expect(out.status == 0, "\(out.stderr)")
        let doc = try parseJSONObject(out.stdout)
        #expect(doc["stage"] as? String == "lineage")
        #expect(doc["roots"] as? [String] == ["C"])
        #expect((doc["ancestors"] as? [String: [String]])?["C"] == ["P"])
        #expect((doc["parent_map"] as? [String: [String]])?["C"] == ["P"])
        #expect(doc["total_ancestor_count"] as? Int == 1)
        #expect((doc["seed_roots"] as? [String: String])?["C"] == "GA-P")
        #expect((doc["edges"] as? [[String: String]])?.first?["edge_type"] == "split_from")
    }
}
