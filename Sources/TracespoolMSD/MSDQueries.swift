/// Every SQL statement of the MSD aggregation, in one place. Parameters are bound (`?1` …); mask
/// values reach SQL only through the temp tables `temp.mask_reason / mask_pj / mask_pkg`; no text
/// from a request is ever spliced into a statement (table and column names spliced below are
/// constants of this file).
///
/// Per-job helper tables (built once by `MSDHelpers.build`, in one transaction):
///   msd_station     group key → order (the §1.2 table)
///   msd_lot         one row per detection lot, ids in (CONTAINERNAME, CONTAINERID) order, so the
///                   "name, then id" tie-break is the lot id; wide: attributes for detail rows
///   msd_lotw        the same lots, narrow: t(L), d(L) over all reasons, masks' keys, day, signature,
///                   the lot-attribute dimensions ('(未知)' for blanks) — what aggregates touch per lot
///   msd_lot_reason  (lot, reason) → qty for qty > 0; a reject without reason is '(未填寫)'
///   msd_factor      factor dictionary; kind 1 equipment (group, name, id) at upstream groups,
///                   2 machine name (only names shared by several kind-1 rows), 3 material part,
///                   4 material (part, lot); ids are contiguous per kind
///   msd_cf          (container, factor): which factors each container's events touch
///   msd_sig         ancestor signatures: the distinct proper-ancestor sets of detection lots (split
///                   siblings share one), so shared ancestry is joined once per set, not per lot
///   msd_sig_pair    (factor, signature): factors of a signature's containers, deduplicated
///   msd_own_pair    (factor, lot): factors of the lot's own events not already in its signature —
///                   together with msd_sig_pair exactly the deduplicated factor × lot pairs
///   msd_sig_pair_sig, msd_own_pair_lot  the same pairs clustered by signature / lot, for masks that
///                   touch few lots (a loss-reason mask): only those lots' pairs are read
///   msd_factor_total unmasked per-factor lots, input, defect (also what a loss-reason mask leaves
///                   unchanged: lots and input); msd_dim_total the same for the lot-attribute charts
///   msd_detail      unmasked backward detail rows, indexed in the default order
///   msd_fwd_desc    (container, seed) forward lineage incl. self rows (forward)
///   msd_fwd_ev      downstream WIP / reject events (order > s0, qty > 0) (forward)
///   msd_fwd_lot     unmasked forward detail facts per flagged lot, indexed in the default order
enum MSDSQL {
    static let helperTables = ["msd_station", "msd_lot", "msd_lotw", "msd_lot_reason", "msd_factor", "msd_cf",
                               "msd_sig", "msd_sig_pair", "msd_own_pair", "msd_sig_pair_sig", "msd_own_pair_lot",
                               "msd_factor_total", "msd_dim_total", "msd_detail", "msd_fwd_desc", "msd_fwd_ev", "msd_fwd_lot"]

    enum Kind: Int, CaseIterable {
        case equipment = 1, machineName = 2, part = 3, material = 4
    }

    /// Lot-attribute dimensions: columns of msd_lotw / temp.m_lot.
    enum Dimension: String, CaseIterable {
        case root = "root", workflow = "wf", detectionMachine = "det"
        var column: String { rawValue }
    }

    // MARK: - helper tables

    static let createHelpers = """
        CREATE TABLE msd_station (grp TEXT PRIMARY KEY, ord INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE msd_lot (
          lot INTEGER PRIMARY KEY, cid TEXT NOT NULL, name TEXT, mfgorder TEXT, pj_type TEXT, package TEXT,
          workflow TEXT, runcard TEXT, det_eqid TEXT, det_eqname TEXT, det_wc TEXT,
          t NUMERIC NOT NULL, ts TEXT, d NUMERIC NOT NULL, zero_row INTEGER NOT NULL, root TEXT, anc INTEGER NOT NULL);
        CREATE TABLE msd_lotw (
          lot INTEGER PRIMARY KEY, t NUMERIC NOT NULL, d NUMERIC NOT NULL, zero_row INTEGER NOT NULL, anc INTEGER NOT NULL,
          pj TEXT, pkg TEXT, day TEXT, sig INTEGER NOT NULL, root TEXT NOT NULL, wf TEXT NOT NULL, det TEXT NOT NULL);
        CREATE TABLE msd_sig (sig INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);
        CREATE TABLE msd_lot_reason (
          lot INTEGER NOT NULL, reason TEXT NOT NULL, qty NUMERIC NOT NULL, PRIMARY KEY (lot, reason)) WITHOUT ROWID;
        CREATE TABLE msd_factor (
          fid INTEGER PRIMARY KEY, kind INTEGER NOT NULL, k1 TEXT NOT NULL, k2 TEXT NOT NULL DEFAULT '',
          k3 TEXT NOT NULL DEFAULT '', info TEXT, UNIQUE (kind, k1, k2, k3));
        CREATE TABLE msd_cf (cid TEXT NOT NULL, fid INTEGER NOT NULL, PRIMARY KEY (cid, fid)) WITHOUT ROWID;
        CREATE TABLE msd_sig_pair (fid INTEGER NOT NULL, sig INTEGER NOT NULL, PRIMARY KEY (fid, sig)) WITHOUT ROWID;
        CREATE TABLE msd_own_pair (fid INTEGER NOT NULL, lot INTEGER NOT NULL, PRIMARY KEY (fid, lot)) WITHOUT ROWID;
        CREATE TABLE msd_sig_pair_sig (sig INTEGER NOT NULL, fid INTEGER NOT NULL, PRIMARY KEY (sig, fid)) WITHOUT ROWID;
        CREATE TABLE msd_own_pair_lot (lot INTEGER NOT NULL, fid INTEGER NOT NULL, PRIMARY KEY (lot, fid)) WITHOUT ROWID;
        CREATE TABLE msd_factor_total (fid INTEGER PRIMARY KEY, n INTEGER NOT NULL, t NUMERIC NOT NULL, d NUMERIC NOT NULL);
        CREATE TABLE msd_dim_total (dim TEXT NOT NULL, name TEXT NOT NULL, n INTEGER NOT NULL, t NUMERIC NOT NULL, d NUMERIC NOT NULL,
                                    PRIMARY KEY (dim, name)) WITHOUT ROWID;
        CREATE TABLE msd_detail (lot INTEGER NOT NULL, reason TEXT NOT NULL, qty NUMERIC NOT NULL, rate REAL NOT NULL);
        CREATE TABLE msd_fwd_desc (cid TEXT NOT NULL, seed TEXT NOT NULL, lot INTEGER NOT NULL, PRIMARY KEY (cid, seed)) WITHOUT ROWID;
        CREATE TABLE msd_fwd_ev (
          cid TEXT NOT NULL, ord INTEGER NOT NULL, grp TEXT NOT NULL, eq TEXT NOT NULL,
          rej INTEGER NOT NULL, qty NUMERIC NOT NULL, reason TEXT, day TEXT);
        CREATE TABLE msd_fwd_lot (lot INTEGER PRIMARY KEY, stations INTEGER NOT NULL, reject NUMERIC NOT NULL, worst TEXT,
                                  rate REAL NOT NULL, reason TEXT);
        """

    static let insertStation = "INSERT INTO msd_station (grp, ord) VALUES (?1, ?2)"

    /// One row per detection lot. Lot attributes (name, type, package, workflow, detection machine …)
    /// are the same on every row of a lot (`msd.md` §1.3) and are taken from one of them (SQLite's
    /// bare columns: the group's last row in (CONTAINERID, seq) order) — far cheaper than MAX over
    /// ten text columns. t(L) = MAX(TRACKINQTY) (the session's original load); d(L) = Σ positive
    /// REJECTQTY; zero_row = the lot has a row with REJECTQTY 0 (a clean lot's NULL-reason row),
    /// which keeps it in the reason-filtered view whatever the mask. WAFER_ROOT = the seed's root,
    /// else its own name. anc = ANCESTOR_COUNT.
    static let fillLots = """
        INSERT INTO msd_lot (cid, name, mfgorder, pj_type, package, workflow, runcard, det_eqid, det_eqname, det_wc,
                             t, ts, d, zero_row, root, anc)
        SELECT g.cid, g.name, g.mfgorder, g.pj_type, g.package, g.workflow, g.runcard, g.det_eqid, g.det_eqname, g.det_wc,
               g.t, g.ts, g.d, g.zero_row,
               coalesce((SELECT r.ROOT_NAME FROM lineage_seed_roots r WHERE r.SEED_ID = g.cid), g.name),
               (SELECT count(*) FROM lineage_ancestors a WHERE a.SEED_ID = g.cid AND a.ANCESTOR_ID <> a.SEED_ID)
        FROM (SELECT CONTAINERID AS cid, CONTAINERNAME AS name, MFGORDERNAME AS mfgorder,
                     trim(PJ_TYPE) AS pj_type, trim(PRODUCTLINENAME) AS package, WORKFLOW AS workflow,
                     FINISHEDRUNCARD AS runcard, DETECTION_EQUIPMENTID AS det_eqid,
                     DETECTION_EQUIPMENTNAME AS det_eqname, WORKCENTERNAME AS det_wc,
                     coalesce(max(TRACKINQTY), 0) AS t, max(TRACKINTIMESTAMP) AS ts,
                     coalesce(sum(CASE WHEN REJECTQTY > 0 THEN REJECTQTY END), 0) AS d,
                     max(coalesce(REJECTQTY, 0) <= 0) AS zero_row
              FROM msd_detection WHERE CONTAINERID IS NOT NULL GROUP BY CONTAINERID) g
        ORDER BY g.name, g.cid;
        CREATE UNIQUE INDEX msd_lot_cid ON msd_lot (cid);
        """

    /// Ancestor signatures: each lot's proper ancestors as one key (in ANCESTOR_ID order, the
    /// lineage table's key order), deduplicated. Lots without proper ancestors have signature 0.
    static let fillSignatures = """
        CREATE TEMP TABLE sig_key (cid TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID;
        INSERT INTO temp.sig_key (cid, key)
        SELECT SEED_ID, group_concat(ANCESTOR_ID, ',')
        FROM (SELECT SEED_ID, ANCESTOR_ID FROM lineage_ancestors WHERE ANCESTOR_ID <> SEED_ID ORDER BY SEED_ID, ANCESTOR_ID)
        GROUP BY SEED_ID;
        INSERT OR IGNORE INTO msd_sig (key) SELECT key FROM temp.sig_key;
        """

    /// The narrow per-lot table.
    static let fillLotWeights = """
        INSERT INTO msd_lotw (lot, t, d, zero_row, anc, pj, pkg, day, sig, root, wf, det)
        SELECT l.lot, l.t, l.d, l.zero_row, l.anc, l.pj_type, l.package, date(l.ts),
               coalesce((SELECT s.sig FROM temp.sig_key k JOIN msd_sig s ON s.key = k.key WHERE k.cid = l.cid), 0),
               coalesce(nullif(trim(l.root), ''), '(未知)'), coalesce(nullif(trim(l.workflow), ''), '(未知)'),
               coalesce(nullif(trim(l.det_eqname), ''), '(未知)')
        FROM msd_lot l ORDER BY l.lot;
        """

    static let fillLotReasons = """
        INSERT INTO msd_lot_reason (lot, reason, qty)
        SELECT l.lot, coalesce(nullif(trim(d.LOSSREASONNAME), ''), '(未填寫)') AS reason, sum(d.REJECTQTY)
        FROM msd_detection d JOIN msd_lot l ON l.cid = d.CONTAINERID
        WHERE d.REJECTQTY > 0
        GROUP BY l.lot, reason;
        CREATE INDEX msd_lot_reason_by_reason ON msd_lot_reason (reason, lot);
        """

    /// The unmasked backward detail rows, indexed in the default order (defect rate desc, then lot
    /// (= name, id), reason) so the first pages of the default view are an index range, not a sort.
    static let fillDetail = """
        INSERT INTO msd_detail (lot, reason, qty, rate)
        SELECT l.lot, coalesce(r.reason, ''), coalesce(r.qty, 0),
               CASE WHEN l.t > 0 THEN round(coalesce(r.qty, 0) * 100.0 / l.t, 4) ELSE 0.0 END
        FROM msd_lotw l LEFT JOIN msd_lot_reason r ON r.lot = l.lot
        WHERE l.zero_row OR l.d > 0;
        CREATE INDEX msd_detail_rate ON msd_detail (rate DESC, lot, reason);
        """

    // Backward factors. ?1 = s0 (upstream groups have order < s0; unknown s0 → 999, all groups).

    static let factorsEquipment = """
        INSERT OR IGNORE INTO msd_factor (kind, k1, k2, k3)
        SELECT 1, e.WORKCENTER_GROUP, trim(e.EQUIPMENTNAME), coalesce(trim(e.EQUIPMENTID), '')
        FROM ev_upstream_history e CROSS JOIN msd_station s ON s.grp = e.WORKCENTER_GROUP
        WHERE s.ord < ?1 AND trim(coalesce(e.EQUIPMENTNAME, '')) <> ''
        """

    static let cfEquipment = """
        INSERT OR IGNORE INTO msd_cf (cid, fid)
        SELECT e.CONTAINERID, f.fid
        FROM ev_upstream_history e CROSS JOIN msd_station s ON s.grp = e.WORKCENTER_GROUP
        CROSS JOIN msd_factor f ON f.kind = 1 AND f.k1 = e.WORKCENTER_GROUP AND f.k2 = trim(e.EQUIPMENTNAME)
                         AND f.k3 = coalesce(trim(e.EQUIPMENTID), '')
        WHERE s.ord < ?1 AND trim(coalesce(e.EQUIPMENTNAME, '')) <> ''
        """

    /// Machine names carried by several equipment rows (e.g. one name at two groups) get a factor of
    /// their own so `by_machine` counts a lot once per name; other names reuse their equipment row.
    static let factorsSharedNames = """
        INSERT INTO msd_factor (kind, k1)
        SELECT 2, k2 FROM msd_factor WHERE kind = 1 GROUP BY k2 HAVING count(*) > 1 ORDER BY k2
        """

    static let cfSharedNames = """
        INSERT OR IGNORE INTO msd_cf (cid, fid)
        SELECT e.CONTAINERID, f.fid
        FROM ev_upstream_history e CROSS JOIN msd_station s ON s.grp = e.WORKCENTER_GROUP
        CROSS JOIN msd_factor f ON f.kind = 2 AND f.k1 = trim(e.EQUIPMENTNAME) AND f.k2 = '' AND f.k3 = ''
        WHERE s.ord < ?1 AND trim(coalesce(e.EQUIPMENTNAME, '')) <> ''
        """

    static let factorsMaterial = """
        INSERT INTO msd_factor (kind, k1, k2, info)
        SELECT 4, trim(MATERIALPARTNAME) AS part, coalesce(trim(MATERIALLOTNAME), '') AS mlot, min(MATERIALDESCRIPTION)
        FROM ev_materials WHERE trim(coalesce(MATERIALPARTNAME, '')) <> ''
        GROUP BY part, mlot ORDER BY part, mlot;
        INSERT INTO msd_factor (kind, k1)
        SELECT DISTINCT 3, k1 FROM msd_factor WHERE kind = 4 ORDER BY k1;
        """

    static let cfMaterial = """
        INSERT OR IGNORE INTO msd_cf (cid, fid)
        SELECT e.CONTAINERID, f.fid
        FROM ev_materials e CROSS JOIN (SELECT 3 AS kind UNION ALL SELECT 4) k
        CROSS JOIN msd_factor f ON f.kind = k.kind AND f.k1 = trim(e.MATERIALPARTNAME)
                         AND f.k2 = CASE k.kind WHEN 4 THEN coalesce(trim(e.MATERIALLOTNAME), '') ELSE '' END AND f.k3 = ''
        WHERE trim(coalesce(e.MATERIALPARTNAME, '')) <> ''
        """

    static let familyFromResources = """
        UPDATE msd_factor SET info = coalesce(
          (SELECT max(nullif(trim(r.RESOURCEFAMILYNAME), '')) FROM msd_resources r WHERE r.CONTAINERID = msd_factor.k3), '(未知)')
        WHERE kind = 1
        """
    static let familyUnknown = "UPDATE msd_factor SET info = '(未知)' WHERE kind = 1"

    /// Factor × signature: the factors of every container of the signature (one representative
    /// lot's lineage rows describe it), once per pair.
    static let fillSignaturePairs = """
        CREATE TEMP TABLE sig_member AS
        SELECT r.sig, a.ANCESTOR_ID AS cid
        FROM (SELECT sig, min(lot) AS rep FROM msd_lotw WHERE sig > 0 GROUP BY sig) r
        CROSS JOIN msd_lot l ON l.lot = r.rep
        CROSS JOIN lineage_ancestors a ON a.SEED_ID = l.cid AND a.ANCESTOR_ID <> a.SEED_ID;
        INSERT OR IGNORE INTO msd_sig_pair_sig (sig, fid)
        SELECT m.sig, c.fid FROM temp.sig_member m CROSS JOIN msd_cf c ON c.cid = m.cid;
        INSERT INTO msd_sig_pair (fid, sig) SELECT fid, sig FROM msd_sig_pair_sig ORDER BY fid, sig;
        """
    static let dropSignatureTemps = "DROP TABLE IF EXISTS temp.sig_member; DROP TABLE IF EXISTS temp.sig_key;"

    /// Factor × lot for the lot's own events, minus the factors its signature already carries:
    /// with msd_sig_pair, every lot counts once per factor however many ancestors / events share it.
    /// A lot without any lineage row (signature 0) contributes its own events only.
    static let fillOwnPairs = """
        INSERT INTO msd_own_pair_lot (lot, fid)
        SELECT w.lot, c.fid FROM msd_lot l CROSS JOIN msd_lotw w ON w.lot = l.lot CROSS JOIN msd_cf c ON c.cid = l.cid
        WHERE w.sig = 0 OR NOT EXISTS (SELECT 1 FROM msd_sig_pair_sig p WHERE p.sig = w.sig AND p.fid = c.fid);
        INSERT INTO msd_own_pair (fid, lot) SELECT fid, lot FROM msd_own_pair_lot ORDER BY fid, lot;
        """

    /// Unmasked per-factor totals: through signatures, then the lots' own pairs added in.
    static let fillFactorTotals = """
        CREATE TEMP TABLE sig_total (sig INTEGER PRIMARY KEY, n INTEGER NOT NULL, t NUMERIC NOT NULL, d NUMERIC NOT NULL);
        INSERT INTO temp.sig_total SELECT sig, count(*), sum(t), sum(d) FROM msd_lotw WHERE sig > 0 GROUP BY sig;
        INSERT INTO msd_factor_total (fid, n, t, d)
        SELECT p.fid, sum(s.n), sum(s.t), sum(s.d) FROM msd_sig_pair p CROSS JOIN temp.sig_total s ON s.sig = p.sig GROUP BY p.fid;
        INSERT INTO msd_factor_total (fid, n, t, d)
        SELECT p.fid, count(*), sum(w.t), sum(w.d) FROM msd_own_pair p CROSS JOIN msd_lotw w ON w.lot = p.lot WHERE true GROUP BY p.fid
        ON CONFLICT (fid) DO UPDATE SET n = n + excluded.n, t = t + excluded.t, d = d + excluded.d;
        DROP TABLE temp.sig_total;
        """

    /// total_ancestor_count: distinct ancestors that are not detection lots / seeds (mask
    /// independent) — the union of every signature's members (run before they are dropped).
    static let totalAncestors = """
        SELECT count(*) FROM (SELECT DISTINCT cid AS x FROM temp.sig_member) a
        WHERE NOT EXISTS (SELECT 1 FROM seeds s WHERE s.CID = a.x) AND NOT EXISTS (SELECT 1 FROM msd_lot l WHERE l.cid = a.x)
        """

    // Forward. ?1 = s0 (downstream groups have order > s0).

    static let fillForward = """
        INSERT OR IGNORE INTO msd_fwd_desc (cid, seed, lot)
        SELECT d.DESCENDANT_ID, l.cid, l.lot FROM lineage_descendants d JOIN msd_lot l ON l.cid = d.SEED_ID;
        INSERT OR IGNORE INTO msd_fwd_desc (cid, seed, lot) SELECT cid, cid, lot FROM msd_lot;
        """

    static let forwardWIP = """
        INSERT INTO msd_fwd_ev (cid, ord, grp, eq, rej, qty, reason, day)
        SELECT e.CONTAINERID, s.ord, s.grp, coalesce(nullif(trim(e.EQUIPMENTNAME), ''), '(未知)'), 0, e.TRACKINQTY, NULL,
               date(e.TRACKINTIMESTAMP)
        FROM ev_upstream_history e CROSS JOIN msd_station s ON s.grp = e.WORKCENTER_GROUP
        WHERE s.ord > ?1 AND e.TRACKINQTY > 0
        """

    static let forwardRejects = """
        INSERT INTO msd_fwd_ev (cid, ord, grp, eq, rej, qty, reason, day)
        SELECT e.CONTAINERID, s.ord, s.grp, coalesce(nullif(trim(e.EQUIPMENTNAME), ''), '(NA)'), 1, e.REJECT_TOTAL_QTY,
               coalesce(nullif(trim(e.LOSSREASONNAME), ''), '(未填寫)'), date(e.TXNDATE)
        FROM ev_downstream_rejects e CROSS JOIN msd_station s ON s.grp = e.WORKCENTER_GROUP
        WHERE s.ord > ?1 AND e.REJECT_TOTAL_QTY > 0
        """

    static let forwardIndex = "CREATE INDEX msd_fwd_ev_cid ON msd_fwd_ev (cid)"

    // MARK: - per request (temp tables / views on the reading connection)

    /// The masked lot view `temp.m_lot(lot, t, d, in_det, anc, day, sig, root, wf, det)`: lots of
    /// the population (type/package masks) with t(L), d(L) over the selected reasons, and in_det =
    /// the lot is in the reason-filtered view (`det`). Unmasked it is a view over the narrow msd_lotw
    /// (nothing to copy); under any mask it is materialised.
    static func maskedLots(reasonMask: Bool, pjMask: Bool, pkgMask: Bool) -> String {
        var conds: [String] = []
        if pjMask { conds.append("l.pj IN (SELECT v FROM temp.mask_pj)") }
        if pkgMask { conds.append("l.pkg IN (SELECT v FROM temp.mask_pkg)") }
        let pop = conds.isEmpty ? "" : "WHERE " + conds.joined(separator: " AND ")
        if !reasonMask && conds.isEmpty {
            return """
                CREATE TEMP VIEW m_lot AS
                SELECT l.lot AS lot, l.t AS t, l.d AS d, (l.zero_row OR l.d > 0) AS in_det, l.anc AS anc, l.day AS day,
                       l.sig AS sig, l.root AS root, l.wf AS wf, l.det AS det
                FROM msd_lotw l;
                """
        }
        // Masked: materialised once, so the factor × lot scans do one narrow lookup per pair. The Σ
        // of the selected reasons per lot is read through the (reason, lot) index: only the selected
        // reasons' rows are visited.
        let sel = reasonMask ? """
            CREATE TEMP TABLE m_sel (lot INTEGER PRIMARY KEY, d NUMERIC NOT NULL);
            INSERT INTO temp.m_sel (lot, d)
            SELECT r.lot, sum(r.qty) FROM temp.mask_reason v CROSS JOIN msd_lot_reason r ON r.reason = v.v GROUP BY r.lot;
            """ : ""
        let d = reasonMask ? "coalesce(s.d, 0)" : "l.d"
        return """
            \(sel)
            CREATE TEMP TABLE m_lot (lot INTEGER PRIMARY KEY, t NUMERIC NOT NULL, d NUMERIC NOT NULL, in_det INTEGER NOT NULL,
                                     anc INTEGER, day TEXT, sig INTEGER, root TEXT, wf TEXT, det TEXT);
            INSERT INTO temp.m_lot
            SELECT l.lot, l.t, \(d), (l.zero_row OR \(d) > 0), l.anc, l.day, l.sig, l.root, l.wf, l.det
            FROM msd_lotw l \(reasonMask ? "LEFT JOIN temp.m_sel s ON s.lot = l.lot" : "") \(pop);
            \(reasonMask ? "DROP TABLE temp.m_sel;" : "")
            """
    }

    /// The selected positive reasons of the masked lots, `temp.m_reason(lot, reason, qty)`.
    static func maskedReasons(reasonMask: Bool, populationMask: Bool) -> String {
        if !reasonMask && !populationMask {
            return "CREATE TEMP VIEW m_reason AS SELECT lot, reason, qty FROM msd_lot_reason;"
        }
        let source = reasonMask
            ? "temp.mask_reason v CROSS JOIN msd_lot_reason r ON r.reason = v.v CROSS JOIN temp.m_lot m ON m.lot = r.lot"
            : "temp.m_lot m CROSS JOIN msd_lot_reason r ON r.lot = m.lot"
        return """
            CREATE TEMP TABLE m_reason (lot INTEGER NOT NULL, reason TEXT NOT NULL, qty NUMERIC NOT NULL, PRIMARY KEY (lot, reason)) WITHOUT ROWID;
            INSERT INTO temp.m_reason SELECT r.lot, r.reason, r.qty FROM \(source);
            """
    }

    static let kpiBackward = "SELECT count(*), sum(t), sum(d > 0), sum(d) FROM temp.m_lot"

    static let reasonTotals = """
        SELECT reason, sum(qty), count(*) FROM temp.m_reason GROUP BY reason ORDER BY sum(qty) DESC, reason
        """

    /// Reasons with qty > 0 in the population, before the reason mask (`available_loss_reasons`).
    static let availableReasons = """
        SELECT DISTINCT r.reason FROM msd_lot_reason r JOIN temp.m_lot m ON m.lot = r.lot ORDER BY r.reason
        """

    static let factorRanges = "SELECT kind, min(fid), max(fid) FROM msd_factor GROUP BY kind"

    /// Masked totals per signature (`temp.m_sig`): lots, Σ t, Σ d, defective lots.
    static let maskedSignatures = """
        CREATE TEMP TABLE m_sig (sig INTEGER PRIMARY KEY, n INTEGER NOT NULL, t NUMERIC NOT NULL, d NUMERIC NOT NULL, dk INTEGER NOT NULL);
        INSERT INTO temp.m_sig (sig, n, t, d, dk)
        SELECT sig, count(*), sum(t), sum(d), sum(d > 0) FROM temp.m_lot WHERE sig > 0 GROUP BY sig;
        """

    /// Per factor of one kind (id range ?1..?2): lots touching it, Σ input, Σ defect — in two parts
    /// (through signatures, through the lots' own events) that the caller adds up.
    static let factorTotalsSig = """
        SELECT p.fid, sum(s.n), sum(s.t), sum(s.d) FROM msd_sig_pair p JOIN temp.m_sig s ON s.sig = p.sig
        WHERE p.fid BETWEEN ?1 AND ?2 GROUP BY p.fid
        """
    static let factorTotalsOwn = """
        SELECT p.fid, count(*), sum(m.t), sum(m.d) FROM msd_own_pair p JOIN temp.m_lot m ON m.lot = p.lot
        WHERE p.fid BETWEEN ?1 AND ?2 GROUP BY p.fid
        """

    static let factorNames = "SELECT fid, kind, k1, k2, k3, info FROM msd_factor WHERE fid BETWEEN ?1 AND ?2"

    static let factorTotalsStored = "SELECT fid, n, t, d FROM msd_factor_total WHERE fid BETWEEN ?1 AND ?2"

    /// Defect per factor under a loss-reason mask, reading only the pairs of lots whose selected
    /// reasons are positive (through their signature and their own events).
    static let factorDefectsSparseSig = """
        SELECT p.fid, sum(s.d) FROM temp.m_sig s CROSS JOIN msd_sig_pair_sig p ON p.sig = s.sig
        WHERE s.d > 0 AND p.fid BETWEEN ?1 AND ?2 GROUP BY p.fid
        """
    static let factorDefectsSparseOwn = """
        SELECT p.fid, sum(m.d) FROM temp.m_lot m CROSS JOIN msd_own_pair_lot p ON p.lot = m.lot
        WHERE m.d > 0 AND p.fid BETWEEN ?1 AND ?2 GROUP BY p.fid
        """

    /// affected_machine_count: distinct equipment ids of upstream factors touched by a defective lot.
    static let affectedMachines = """
        SELECT count(DISTINCT f.k3) FROM msd_factor f
        WHERE f.fid BETWEEN ?1 AND ?2 AND f.k3 <> ''
          AND (EXISTS (SELECT 1 FROM msd_sig_pair p JOIN temp.m_sig s ON s.sig = p.sig WHERE p.fid = f.fid AND s.dk > 0)
            OR EXISTS (SELECT 1 FROM msd_own_pair p JOIN temp.m_lot m ON m.lot = p.lot WHERE p.fid = f.fid AND m.d > 0))
        """

    /// One lot-attribute dimension (exclusive: each lot in one bar). `column` is a `Dimension`'s.
    static func lotDimension(_ column: String) -> String {
        "SELECT \(column), count(*), sum(t), sum(d) FROM temp.m_lot GROUP BY \(column)"
    }

    /// Unmasked dimension totals (built with the helpers, for the stored and sparse plans).
    static let fillDimTotals = Dimension.allCases.map { d in
        "INSERT INTO msd_dim_total (dim, name, n, t, d) SELECT '\(d.column)', \(d.column), count(*), sum(t), sum(d) FROM msd_lotw GROUP BY \(d.column);"
    }.joined(separator: "\n")

    static let dimTotalsStored = "SELECT name, n, t, d FROM msd_dim_total WHERE dim = ?1"

    /// Defect per dimension value from the lots that keep one under a loss-reason mask.
    static func lotDimensionDefects(_ column: String) -> String {
        "SELECT \(column), sum(d) FROM temp.m_lot WHERE d > 0 GROUP BY \(column)"
    }

    static let dailyTrend = """
        SELECT day, sum(t), sum(d) FROM temp.m_lot WHERE day IS NOT NULL GROUP BY day ORDER BY day
        """

    static let backwardDetailCount = """
        SELECT count(*) FROM temp.m_lot m LEFT JOIN temp.m_reason r ON r.lot = m.lot WHERE m.in_det
        """

    // Backward detail rows: the page is chosen over narrow tables (sort keys and the lot id, which
    // orders by name then id), then joined to the wide lot attributes. The upstream machine count
    // comes from temp.m_up when the whole set needs it (sorting by it, CSV export), else it is
    // computed for the page's lots only (NULL here). `order` is assembled from constants.
    static func backwardDetail(order: (inner: String, outer: String), machineCounts: Bool, limited: Bool) -> String {
        """
        SELECT l.lot, l.cid, l.name, l.pj_type, l.package, l.workflow, l.runcard, l.det_eqname, l.t,
               x.reason, x.qty, x.rate, l.anc, x.up_machines, l.root
        FROM (SELECT m.lot AS lot, m.t AS t, m.anc AS anc, coalesce(r.reason, '') AS reason, coalesce(r.qty, 0) AS qty,
                     CASE WHEN m.t > 0 THEN round(coalesce(r.qty, 0) * 100.0 / m.t, 4) ELSE 0.0 END AS rate,
                     \(machineCounts ? "coalesce(u.n, 0)" : "NULL") AS up_machines
              FROM temp.m_lot m LEFT JOIN temp.m_reason r ON r.lot = m.lot
              \(machineCounts ? "LEFT JOIN temp.m_up u ON u.lot = m.lot" : "")
              WHERE m.in_det \(order.inner) \(limited ? "LIMIT ?1 OFFSET ?2" : "")) x
        CROSS JOIN msd_lot l ON l.lot = x.lot
        \(order.outer)
        """
    }

    static let backwardDetailFast = """
        SELECT l.lot, l.cid, l.name, l.pj_type, l.package, l.workflow, l.runcard, l.det_eqname, l.t,
               x.reason, x.qty, x.rate, l.anc, NULL AS up_machines, l.root
        FROM (SELECT lot, reason, qty, rate FROM msd_detail ORDER BY rate DESC, lot, reason LIMIT ?1 OFFSET ?2) x
        CROSS JOIN msd_lot l ON l.lot = x.lot
        ORDER BY x.rate DESC, x.lot, x.reason
        """

    /// UPSTREAM_MACHINE_COUNT of every lot: distinct equipment ids at upstream groups over the lot
    /// and its ancestors (never material rows). ?1, ?2 = the equipment factor id range.
    static let machineCounts = """
        CREATE TEMP TABLE m_up (lot INTEGER PRIMARY KEY, n INTEGER NOT NULL);
        """
    static let machineCountsFill = """
        INSERT INTO temp.m_up (lot, n)
        SELECT l.lot, count(DISTINCT f.k3)
        FROM lineage_ancestors a CROSS JOIN msd_lot l ON l.cid = a.SEED_ID
        CROSS JOIN msd_cf c ON c.cid = a.ANCESTOR_ID AND c.fid BETWEEN ?1 AND ?2 CROSS JOIN msd_factor f ON f.fid = c.fid
        WHERE f.k3 <> '' GROUP BY a.SEED_ID
        """
    static let machineCountsFillUnlinked = """
        INSERT OR IGNORE INTO temp.m_up (lot, n)
        SELECT l.lot, count(DISTINCT f.k3)
        FROM msd_lot l CROSS JOIN msd_cf c ON c.cid = l.cid AND c.fid BETWEEN ?1 AND ?2 CROSS JOIN msd_factor f ON f.fid = c.fid
        WHERE f.k3 <> '' AND NOT EXISTS (SELECT 1 FROM lineage_ancestors a WHERE a.SEED_ID = l.cid) GROUP BY l.lot
        """

    /// Upstream (group, machine, equipment id) of one lot and its ancestors, in process order.
    static let detailMachines = """
        SELECT DISTINCT f.k1, f.k2, f.k3, s.ord
        FROM (SELECT a.ANCESTOR_ID AS x FROM lineage_ancestors a WHERE a.SEED_ID = ?1 UNION SELECT ?1) a
        JOIN msd_cf c ON c.cid = a.x AND c.fid BETWEEN ?2 AND ?3
        JOIN msd_factor f ON f.fid = c.fid JOIN msd_station s ON s.grp = f.k1
        ORDER BY s.ord, f.k2, f.k3
        """

    static let detailMaterials = """
        SELECT DISTINCT f.k1, f.k2
        FROM (SELECT a.ANCESTOR_ID AS x FROM lineage_ancestors a WHERE a.SEED_ID = ?1 UNION SELECT ?1) a
        JOIN msd_cf c ON c.cid = a.x AND c.fid BETWEEN ?2 AND ?3
        JOIN msd_factor f ON f.fid = c.fid
        ORDER BY f.k1, f.k2
        """

    // MARK: forward per request

    /// Tracked containers of the flagged cohort (DEF = masked lots with d > 0) and their key lot:
    /// a descendant reachable from several DEF seeds belongs to the smallest seed id (the bare
    /// column `lot` comes from the row holding min(seed)).
    static let forwardKeys = """
        CREATE TEMP TABLE f_key (cid TEXT PRIMARY KEY, lot INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO temp.f_key (cid, lot)
        SELECT cid, lot FROM (
          SELECT x.cid AS cid, x.lot AS lot, min(x.seed) FROM msd_fwd_desc x JOIN temp.m_lot m ON m.lot = x.lot
          WHERE m.d > 0 GROUP BY x.cid);
        CREATE TEMP TABLE f_ev AS
        SELECT k.lot, e.ord, e.grp, e.eq, e.rej, e.qty, e.reason, e.day
        FROM temp.f_key k JOIN msd_fwd_ev e ON e.cid = k.cid;
        """

    static let forwardStations = """
        SELECT ord, grp, coalesce(sum(CASE WHEN rej = 0 THEN qty END), 0), coalesce(sum(CASE WHEN rej = 1 THEN qty END), 0),
               count(DISTINCT CASE WHEN rej = 0 THEN lot END)
        FROM temp.f_ev GROUP BY ord, grp ORDER BY ord
        """

    static let forwardMachines = """
        SELECT eq, coalesce(sum(CASE WHEN rej = 0 THEN qty END), 0), coalesce(sum(CASE WHEN rej = 1 THEN qty END), 0)
        FROM temp.f_ev GROUP BY eq
        """

    static let forwardReasons = "SELECT reason, sum(qty) FROM temp.f_ev WHERE rej = 1 GROUP BY reason"

    static let forwardTrend = """
        SELECT day, coalesce(sum(CASE WHEN rej = 1 THEN qty END), 0), coalesce(sum(CASE WHEN rej = 0 THEN qty END), 0)
        FROM temp.f_ev WHERE day IS NOT NULL GROUP BY day ORDER BY day
        """

    /// Front reason × downstream reason: every reject of a tracked container counts for every
    /// selected front reason of its key lot (rows overlap by design, MSD-09).
    static let forwardMatrix = """
        SELECT r.reason, e.reason, sum(e.qty) FROM temp.f_ev e JOIN temp.m_reason r ON r.lot = e.lot
        WHERE e.rej = 1 GROUP BY r.reason, e.reason
        """

    /// Front reason × downstream station (the crosstab as §3.7 says it should be).
    static let forwardCrosstab = """
        SELECT r.reason, e.ord, e.grp, sum(e.qty) FROM temp.f_ev e JOIN temp.m_reason r ON r.lot = e.lot
        WHERE e.rej = 1 GROUP BY r.reason, e.ord, e.grp
        """

    /// Per front reason: Σ d(L,r), Σ t(L), lots — over masked lots with r.
    static let frontReasons = """
        SELECT r.reason, sum(r.qty), sum(m.t), count(*) FROM temp.m_reason r JOIN temp.m_lot m ON m.lot = r.lot
        GROUP BY r.reason ORDER BY sum(r.qty) DESC, r.reason
        """

    /// Union of lots having any reason outside the kept Top-N (`temp.keep_reason`).
    static let frontReasonsOther = """
        SELECT count(*), sum(m.t) FROM temp.m_lot m
        WHERE EXISTS (SELECT 1 FROM temp.m_reason r WHERE r.lot = m.lot AND r.reason NOT IN (SELECT v FROM temp.keep_reason))
        """

    /// Per DEF lot: downstream stations reached (WIP or reject), Σ reject, worst station.
    static let forwardLotFacts = """
        CREATE INDEX temp.f_ev_lot ON f_ev (lot, rej);
        CREATE TEMP TABLE f_lot (lot INTEGER PRIMARY KEY, stations INTEGER NOT NULL, reject NUMERIC NOT NULL, worst TEXT,
                                 rate REAL NOT NULL);
        INSERT INTO temp.f_lot (lot, stations, reject, worst, rate)
        SELECT lot, stations, reject, worst, CASE WHEN t > 0 THEN round(reject * 100.0 / t, 4) ELSE 0.0 END FROM (
          SELECT m.lot, m.t,
                 (SELECT count(DISTINCT e.ord) FROM temp.f_ev e WHERE e.lot = m.lot) AS stations,
                 coalesce((SELECT sum(e.qty) FROM temp.f_ev e WHERE e.lot = m.lot AND e.rej = 1), 0) AS reject,
                 (SELECT e.grp FROM temp.f_ev e WHERE e.lot = m.lot AND e.rej = 1 GROUP BY e.grp
                   ORDER BY sum(e.qty) DESC, e.grp LIMIT 1) AS worst
          FROM temp.m_lot m WHERE m.d > 0);
        """

    /// Stores the unmasked forward facts (temp.f_lot of an unmasked view) for the fast detail path.
    static let storeForwardLots = """
        DELETE FROM msd_fwd_lot;
        INSERT INTO msd_fwd_lot (lot, stations, reject, worst, rate, reason)
        SELECT f.lot, f.stations, f.reject, f.worst, f.rate,
               (SELECT r.reason FROM msd_lot_reason r WHERE r.lot = f.lot ORDER BY r.qty DESC, r.reason LIMIT 1)
        FROM temp.f_lot f;
        CREATE INDEX IF NOT EXISTS msd_fwd_lot_rate ON msd_fwd_lot (rate DESC, lot);
        """

    static let forwardDetailFast = """
        SELECT l.lot, l.cid, l.name, l.pj_type, l.package, l.workflow, l.det_eqname, l.t, l.d, x.reason,
               x.stations, x.reject, x.rate, x.worst
        FROM (SELECT * FROM msd_fwd_lot ORDER BY rate DESC, lot LIMIT ?1 OFFSET ?2) x
        CROSS JOIN msd_lot l ON l.lot = x.lot
        ORDER BY x.rate DESC, x.lot
        """

    static func forwardDetail(order: (inner: String, outer: String), limited: Bool) -> String {
        """
        SELECT l.lot, l.cid, l.name, l.pj_type, l.package, l.workflow, l.det_eqname, l.t, x.d,
               (SELECT r.reason FROM temp.m_reason r WHERE r.lot = x.lot ORDER BY r.qty DESC, r.reason LIMIT 1),
               x.stations, x.reject, x.rate, x.worst
        FROM (SELECT f.lot AS lot, m.t AS t, m.d AS d, f.stations AS stations, f.reject AS reject, f.rate AS rate, f.worst AS worst
              FROM temp.f_lot f JOIN temp.m_lot m ON m.lot = f.lot \(order.inner) \(limited ? "LIMIT ?1 OFFSET ?2" : "")) x
        CROSS JOIN msd_lot l ON l.lot = x.lot
        \(order.outer)
        """
    }
}
