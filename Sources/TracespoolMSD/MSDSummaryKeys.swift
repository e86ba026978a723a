/// The fields of a summary's `kpi` and `charts` objects, in the order the reference shows them
/// (README "MSD"): what the text table prints and what an empty (pending) summary carries.
public enum MSDSummaryKeys {
    public static func kpi(forward: Bool) -> [String] {
        forward
            ? ["detection_lot_count", "detection_defect_qty", "tracked_lot_count", "downstream_stations_reached",
               "downstream_total_reject", "downstream_reject_rate"]
            : ["lot_count", "total_input", "defective_lot_count", "total_defect_qty", "total_defect_rate", "top_loss_reason",
               "affected_machine_count"]
    }

    public static func charts(forward: Bool) -> [String] {
        forward
            ? ["by_downstream_station", "by_downstream_machine", "by_downstream_loss_reason", "by_detection_machine"]
            : ["by_machine", "by_material", "by_wafer_root", "by_workflow", "by_detection_machine", "by_loss_reason"]
    }
}
