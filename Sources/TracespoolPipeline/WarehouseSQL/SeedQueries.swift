/// Seed resolution: user values → containers. Each SELECT returns
/// (CONTAINERID, CONTAINERNAME, MFGORDERNAME, INPUT_VALUE) and takes
/// `$1` = exact values (text[]), `$2` = LIKE patterns (text[], `*` already turned into `%`, other
/// LIKE metacharacters escaped with `\`), `$3` = the input token of each pattern (text[]).
/// Exact values use the btree indexes; patterns are one `LIKE` per token.
public enum SeedQueries {
    /// Seed lookups by container column (`trace-pipeline.md` §1.1).
    public static func select(for type: ResolveType) -> String {
        switch type {
        case .lotId, .gdLotId: return byColumn("c.containername")
        case .waferLot: return byColumn("c.firstname")
        case .workOrder, .gdWorkOrder: return byColumn("upper(c.mfgordername)", upperInput: true)
        case .serialNumber: return serialByFinishedName
        }
    }

    static func byColumn(_ column: String, upperInput: Bool = false) -> String {
        let exact = upperInput ? "upper(v.token)" : "v.token"
        let pattern = upperInput ? "upper(v.pattern)" : "v.pattern"
        return """
            SELECT btrim(c.containerid) AS "CONTAINERID", c.containername AS "CONTAINERNAME",
                   c.mfgordername AS "MFGORDERNAME", v.token AS "INPUT_VALUE"
            FROM unnest($1::text[]) AS v(token)
            JOIN dwh.dw_mes_container c ON \(column) = \(exact)
            UNION ALL
            SELECT btrim(c.containerid), c.containername, c.mfgordername, v.token
            FROM unnest($2::text[], $3::text[]) AS v(pattern, token)
            JOIN dwh.dw_mes_container c ON \(column) LIKE \(pattern) ESCAPE '\\'
            """
    }

    /// Serial numbers, first priority: the finished lot that carries the serial
    /// (`dw_mes_pj_combinedassylots.finishedname` → `lotid`). Values not found there fall back to
    /// container names, then first names (`byColumn`).
    static let serialByFinishedName = """
        SELECT DISTINCT btrim(m.lotid) AS "CONTAINERID", COALESCE(c.containername, m.token) AS "CONTAINERNAME",
               c.mfgordername AS "MFGORDERNAME", m.token AS "INPUT_VALUE"
        FROM (
          SELECT v.token, ca.lotid FROM unnest($1::text[]) AS v(token)
          JOIN dwh.dw_mes_pj_combinedassylots ca ON ca.finishedname = v.token
          UNION ALL
          SELECT v.token, ca.lotid FROM unnest($2::text[], $3::text[]) AS v(pattern, token)
          JOIN dwh.dw_mes_pj_combinedassylots ca ON ca.finishedname LIKE v.pattern ESCAPE '\\'
        ) AS m
        LEFT JOIN dwh.dw_mes_container c ON c.containerid = m.lotid
        WHERE NULLIF(btrim(m.lotid), '') IS NOT NULL
        """

    /// MSD container mode: lots of the given column that tracked in at a detection station (no
    /// date bound). `$4` = the station group keys (text[]).
    public static func detectionStationFilter(_ inner: String) -> String {
        """
        SELECT s."CONTAINERID", s."CONTAINERNAME", s."MFGORDERNAME", s."INPUT_VALUE"
        FROM (\(inner)) AS s
        WHERE EXISTS (
          SELECT 1 FROM dwh.dw_mes_lotwiphistory h
          WHERE h.containerid = s."CONTAINERID"::bpchar
            AND h.equipmentid IS NOT NULL AND h.trackintimestamp IS NOT NULL
            AND {{STATION_GROUP(h.workcentername)}} = ANY ($4::text[]))
        """
    }
}

/// How a seed value is looked up.
public enum ResolveType: String, CaseIterable, Sendable, Codable {
    case lotId = "lot_id"
    case waferLot = "wafer_lot"
    case workOrder = "work_order"
    case serialNumber = "serial_number"
    case gdWorkOrder = "gd_work_order"
    case gdLotId = "gd_lot_id"
}
