/// Counted nouns for messages: "1 lot", "2 lots", "1 batch", "3 batches".
public enum Wording {
    public static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
    }

    /// The first `limit` values, comma-separated, with "…" when there are more.
    public static func sample(_ values: [String], total: Int? = nil, limit: Int = 5) -> String {
        let more = (total ?? values.count) > min(limit, values.count)
        return values.prefix(limit).joined(separator: ", ") + (more ? ", …" : "")
    }
}
