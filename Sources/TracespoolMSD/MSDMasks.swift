import Foundation

/// The read-time masks of `msd.md` §1.5 as tracespool applies them (DESIGN.md "MSD aggregation"):
/// - `pjTypes`, `packages`: population masks on the trimmed PJ_TYPE / PRODUCTLINENAME (AND-ed);
///   they shrink numerator and denominator.
/// - `lossReasons`: numerator-only. A lot's defect qty becomes the sum of its selected reasons; the
///   population (lot count, input) never shrinks. A reject without a reason is the reason
///   `(未填寫)` and survives a reason mask only when the mask names that label.
/// Empty lists mean "no mask". Values are trimmed, deduplicated and sorted, so equal requests are
/// equal values; values that match nothing give empty results, never errors.
public struct MSDMasks: Sendable, Equatable {
    public var lossReasons: [String]
    public var pjTypes: [String]
    public var packages: [String]

    public init(lossReasons: [String] = [], pjTypes: [String] = [], packages: [String] = []) {
        self.lossReasons = MSDMasks.normalize(lossReasons)
        self.pjTypes = MSDMasks.normalize(pjTypes)
        self.packages = MSDMasks.normalize(packages)
    }

    public static let none = MSDMasks()

    public var isEmpty: Bool { lossReasons.isEmpty && pjTypes.isEmpty && packages.isEmpty }
    public var hasPopulationMask: Bool { !pjTypes.isEmpty || !packages.isEmpty }

    /// The label a reject without a reason carries everywhere.
    public static let unnamedReason = "(未填寫)"

    static func normalize(_ values: [String]) -> [String] {
        Array(Set(values.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })).sorted()
    }

    /// Splits CLI-style values: repeated options and comma-separated lists.
    public static func split(_ raw: [String]) -> [String] {
        raw.flatMap { $0.split(separator: ",").map(String.init) }
    }
}

