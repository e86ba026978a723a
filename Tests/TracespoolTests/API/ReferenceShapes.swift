/// The reference dashboard's answers, field by field, as its front end reads them (README
/// "Reference routes"): names, types and nesting of every documented body. Quantities are
/// numbers (the warehouse's are decimals), counts are integers, rates and percentages numbers.
enum ReferenceShapes {
    typealias S = JSONShape
    static let text: S = .string | .null
    static let qty: S = .number
    static let strings: S = .array(.string)

    static let meta: S = .object(["timestamp": .string, "app_version": .string])
    static let success: S = .object(["success": .bool, "data": .any, "meta": meta], forbidden: ["error"])
    static let failure: S = .object(["success": .bool, "error": .object(["code": .string, "message": .string]), "meta": meta],
                                    forbidden: ["data"])

    // Stage 1.
    static let seed: S = .object(["container_id": .string, "container_name": .string, "lot_id": .string])
    static let seedResolveLots: S = .object(["stage": .string, "seed_count": .int, "cache_key": .string, "seeds": .array(seed)],
                                            optional: ["not_found": strings])
    static let seedResolveMSD: S = .object(["stage": .string, "seed_count": .int, "cache_key": .string, "seed_container_ids": strings],
                                           optional: ["not_found": strings, "seeds": .array(seed)])
    static let seedAsync: S = .object(["stage": .string, "async": .bool, "job_id": .string, "status_url": .string])
    /// The generic job status of seed and lineage jobs.
    static let stageJob: S = .object(["job_id": .string, "status": .string, "progress": text, "created_at": .number,
                                      "elapsed_seconds": .number, "error": text, "owner": text],
                                     optional: ["pct": .number, "stage": text, "completed_stages": strings, "profile": .string,
                                                "query_id": text, "dataset_id": text, "completed_at": .number | .null])

    // Stage 2.
    static let lineageAsync: S = .object(["stage": .string, "async": .bool, "job_id": .string, "query_id": .string, "status_url": .string])
    static let node: S = .object(["container_id": .string, "container_name": .string, "mfgorder_name": text,
                                  "wafer_lot": text, "node_type": .string])
    static let edge: S = .object(["from_cid": .string, "to_cid": .string, "edge_type": .string])
    static let lineageBackward: S = .object([
        "stage": .string, "roots": strings, "ancestors": .map(strings), "merges": .object([:]),
        "total_nodes": .int, "total_ancestor_count": .int, "parent_map": .map(strings), "merge_edges": .map(strings),
        "nodes": .map(node), "edges": .array(edge), "names": .map(.string), "seed_roots": .map(.string)])
    static let lineageForward: S = .object([
        "stage": .string, "roots": strings, "children_map": .map(strings), "leaf_serials": .map(strings),
        "names": .map(.string), "total_nodes": .int, "nodes": .map(node), "edges": .array(edge)])
    static let lineageCompact: S = .object(["stage": .string, "query_id": .string, "trace_lineage_query_id": .string,
                                            "total_nodes": .int, "total_ancestor_count": .int],
                                           optional: ["seed_roots": .map(.string)], forbidden: ["nodes", "edges", "parent_map"])

    // Stage 3.
    static let eventsAsync: S = .object(["stage": .string, "async": .bool, "job_id": .string, "status_url": .string, "stream_url": .string])
    static let quality: S = .object(["status": .string, "scope": .string, "reasons": .array(.any)],
                                    optional: ["domain": .string, "observed_rows": .int, "failed_domains": strings])
    static let eventsJob: S = .object(["job_id": .string, "status": .string, "profile": .string, "cid_count": .int,
                                       "domains": strings, "progress": .string, "created_at": .number,
                                       "elapsed_seconds": .number, "error": text],
                                      optional: ["stage": text, "completed_stages": strings, "query_id": .string, "trace_query_id": .string])
    static func eventsResult(aggregation: S) -> S {
        .object(["stage": .string,
                 "results": .map(.object(["data": .array(.map(.any)), "count": .int, "total": .int, "quality_meta": quality])),
                 "aggregation": aggregation, "quality_meta": quality, "domain_quality_meta": .map(quality),
                 "query_id": .string, "trace_query_id": .string])
    }
    static let spoolHit: S = .object(["stage": .string, "spool_hit": .bool, "trace_query_id": .string,
                                      "aggregation": backwardSummary, "results": .object([:])])

    /// The NDJSON stream's lines, by `type`.
    static let streamLines: [String: S] = [
        "meta": .object(["type": .string, "job_id": .string, "profile": .string, "domains": strings,
                         "query_id": .string, "trace_query_id": .string]),
        "domain_start": .object(["type": .string, "domain": .string, "total": .int, "quality_meta": quality]),
        "records": .object(["type": .string, "domain": .string, "batch": .int, "count": .int, "data": .array(.map(.any))]),
        "domain_end": .object(["type": .string, "domain": .string, "count": .int]),
        "aggregation": .object(["type": .string, "data": .map(.any)]),
        "quality_meta": .object(["type": .string, "quality_meta": quality, "domain_quality_meta": .map(quality)]),
        "complete": .object(["type": .string, "total_records": .int]),
    ]

    // MSD summaries.
    static let chartItem: S = .object(["name": .string, "lot_count": .int, "defect_qty": qty, "input_qty": qty,
                                       "defect_rate": .number, "cumulative_pct": .number])
    static let reasonItem: S = .object(["name": .string, "defect_qty": qty, "lot_count": .int, "defect_rate": .number,
                                        "cumulative_pct": .number])
    static let trendDay: S = .object(["date": .string, "input_qty": qty, "defect_qty": qty, "defect_rate": .number])
    static let backwardKPI: S = .object(["total_input": qty, "lot_count": .int, "defective_lot_count": .int,
                                         "total_defect_qty": qty, "total_defect_rate": .number, "top_loss_reason": text,
                                         "affected_machine_count": .int])
    static let backwardCharts: S = .object(["by_machine": .array(chartItem), "by_material": .array(chartItem),
                                            "by_wafer_root": .array(chartItem), "by_workflow": .array(chartItem),
                                            "by_detection_machine": .array(chartItem), "by_loss_reason": .array(reasonItem)])
    static let attribution: S = .object(["WORKCENTER_GROUP": text, "EQUIPMENT_NAME": text, "EQUIPMENT_ID": text,
                                         "RESOURCEFAMILYNAME": text, "DETECTION_LOT_COUNT": .int, "INPUT_QTY": qty,
                                         "DEFECT_QTY": qty, "DEFECT_RATE": .number])
    static let materialsAttribution: S = .object(["MATERIAL_KEY": .string, "MATERIAL_PART_NAME": text, "MATERIAL_LOT_NAME": text,
                                                  "MATERIAL_PART_DESC": text, "DETECTION_LOT_COUNT": .int, "INPUT_QTY": qty,
                                                  "DEFECT_QTY": qty, "DEFECT_RATE": .number])
    static let backwardCommon: [String: S] = [
        "kpi": backwardKPI, "charts": backwardCharts, "daily_trend": .array(trendDay), "attribution": .array(attribution),
        "available_loss_reasons": strings, "genealogy_status": .string, "detail_total_count": .int, "trace_query_id": .string]
    static let backwardSummary: S = .object(backwardCommon.merging(["materials_attribution": .array(materialsAttribution)]) { a, _ in a },
                                            optional: ["domain_quality_meta": .map(quality)])

    static let forwardKPI: S = .object(["detection_lot_count": .int, "detection_defect_qty": qty, "tracked_lot_count": .int,
                                        "downstream_stations_reached": .int, "downstream_total_reject": qty,
                                        "downstream_reject_rate": .number])
    static let forwardCharts: S = .object([
        "by_downstream_station": .array(.object(["name": .string, "input_qty": qty, "defect_qty": qty, "defect_rate": .number,
                                                 "lot_count": .int, "cumulative_pct": .number])),
        "by_downstream_machine": .array(.object(["name": .string, "input_qty": qty, "defect_qty": qty, "defect_rate": .number,
                                                 "cumulative_pct": .number])),
        "by_downstream_loss_reason": .array(.object(["name": .string, "defect_qty": qty, "cumulative_pct": .number])),
        "by_detection_machine": .array(.object(["name": .string, "input_qty": qty, "defect_qty": qty, "defect_rate": .number,
                                                "lot_count": .int, "cumulative_pct": .number]))])
    static let forwardCommon: [String: S] = [
        "kpi": forwardKPI, "amplification": .number | .null, "charts": forwardCharts, "daily_trend": .array(trendDay),
        "by_detection_loss_reason": .array(.object(["loss_reason": .string, "reject_qty": qty, "input_qty": qty,
                                                    "lot_count": .int, "reject_rate": .number])),
        "loss_reason_workcenter_crosstab": .object([
            "loss_reasons": strings, "workcenter_groups": strings,
            "cells": .array(.object(["loss_reason": .string, "workcenter_group": .string, "reject_qty": qty, "reject_rate": .number]))]),
        "downstream_trend": .array(.object(["date": .string, "reject_qty": qty, "reject_rate": .number])),
        "available_loss_reasons": strings, "genealogy_status": .string, "detail_total_count": .int, "trace_query_id": .string]
    static let forwardSummary: S = .object(forwardCommon.merging([
        "by_front_downstream_reason_matrix": .object([
            "rows": .array(.object(["name": .string, "total": qty])), "cols": .array(.object(["name": .string, "total": qty])),
            "cells": .array(.array(qty)), "row_pct": .array(.array(.number))])]) { a, _ in a })

    /// `/api/mid-section-defect/analysis`: the summary without materials attribution and the matrix.
    static let backwardAnalysis: S = .object(backwardCommon, forbidden: ["materials_attribution", "by_front_downstream_reason_matrix"])
    static let forwardAnalysis: S = .object(forwardCommon, forbidden: ["materials_attribution", "by_front_downstream_reason_matrix"])

    static let pagination: S = .object(["page": .int, "page_size": .int, "total_count": .int, "total_pages": .int])
    static let backwardDetailRow: S = .object([
        "CONTAINERID": .string, "CONTAINERNAME": text, "PJ_TYPE": text, "PRODUCTLINENAME": text, "WORKFLOW": text,
        "FINISHEDRUNCARD": text, "DETECTION_EQUIPMENTNAME": text, "INPUT_QTY": qty, "LOSS_REASON": text,
        "DEFECT_QTY": qty, "DEFECT_RATE": .number, "ANCESTOR_COUNT": .int, "UPSTREAM_MACHINE_COUNT": .int,
        "UPSTREAM_MACHINES": .array(.object(["station": text, "machine": text])),
        "UPSTREAM_MATERIALS": .array(.object(["part": text, "lot": text])), "WAFER_ROOT": text])
    static let forwardDetailRow: S = .object([
        "CONTAINERNAME": text, "PJ_TYPE": text, "PRODUCTLINENAME": text, "WORKFLOW": text, "DETECTION_EQUIPMENTNAME": text,
        "TRACKINQTY": qty, "DEFECT_QTY": qty, "DOWNSTREAM_STATIONS_REACHED": .int, "DOWNSTREAM_TOTAL_REJECT": qty,
        "DOWNSTREAM_REJECT_RATE": .number, "WORST_DOWNSTREAM_STATION": text, "DETECTION_LOSS_REASON": text])
    static func detail(_ row: S) -> S { .object(["detail": .array(row), "pagination": pagination, "trace_query_id": .string]) }

    static let stationOptions: S = .array(.object(["name": .string, "label": .string, "order": .int]))
    static let lossReasons: S = .object(["loss_reasons": strings])
}
