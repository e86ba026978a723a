-- Shape checks for a generated warehouse (scripts/warehouse/generate.sql): one row per claim,
-- (check_name text, ok boolean, detail text). Every row must be ok for a good generation, with or
-- without bad data; the few "clean_*" claims (no cycles, exact ids, trimmed names ...) are enforced
-- only when dwh_gen.last_run says no bad data was injected (bad-data-checks.sql covers that case).
-- Thresholds are loose enough for ~2000-lot warehouses and tight enough to catch a broken generator.
--   psql -X -d DB -f scripts/warehouse/shape-checks.sql
WITH RECURSIVE
run AS MATERIALIZED (   -- always one row (NULLs if the generator never ran)
  SELECT max(lots) AS lots, max(days) AS days, coalesce(bool_or(bad_data), false) AS bad,
         max(window_start) AS w0, max(window_end) AS w1
  FROM dwh_gen.last_run
),
-- Station-group classification of a workcentername (reference/msd.md §1.2), literal substrings.
grpdef(pat, g) AS (VALUES
  ('元件切割', 10), ('PKG_SAW', 10), ('切割', 0),
  ('焊接_DB', 1), ('焊_DB', 1), ('焊接_WB', 2), ('焊_WB', 2), ('焊接_DW', 3), ('焊_DW', 3),
  ('成型', 4), ('去膠', 5), ('水吹砂', 6),
  ('掛鍍', 7), ('滾鍍', 7), ('條鍍', 7), ('電鍍', 7), ('補鍍', 7), ('TOTAI', 7), ('BANDL', 7),
  ('移印', 8), ('切彎腳', 9), ('TMTT', 11), ('測試', 11)
),
wcs AS (   -- every workcentername seen, with its group; 元件切割 / PKG_SAW names also contain 切割 but
           -- belong to group 10 (the reference's exclude rule), otherwise the only match decides
  SELECT wc, CASE WHEN bool_or(g = 10) THEN 10 ELSE min(g) END AS g
  FROM (SELECT DISTINCT workcentername AS wc FROM dwh.dw_mes_lotwiphistory
        UNION SELECT DISTINCT workcentername FROM dwh.dw_mes_lotrejecthistory
        UNION SELECT DISTINCT workcentername FROM dwh.dw_mes_lotmaterialshistory) w
  LEFT JOIN grpdef ON strpos(upper(w.wc), grpdef.pat) > 0
  GROUP BY wc
),
c AS NOT MATERIALIZED (SELECT * FROM dwh.dw_mes_container),
fin AS (SELECT DISTINCT lotid FROM dwh.dw_mes_pj_combinedassylots),
-- production lots: everything but wafer lots (objecttype LOT) and finished (merge target) lots
prod AS (
  SELECT c.* FROM c
  WHERE c.objecttype IS DISTINCT FROM 'LOT' AND NOT EXISTS (SELECT 1 FROM fin WHERE fin.lotid = c.containerid)
),
cnt AS MATERIALIZED (
  SELECT count(*) AS n,
         count(*) FILTER (WHERE objecttype = 'LOT') AS n_wafer,
         count(*) FILTER (WHERE objecttype = 'LOT' AND btrim(containername) !~ '^WL[0-9]{2}[A-L][0-9]{4,}$') AS n_wafer_badname,
         count(*) FILTER (WHERE objecttype IS DISTINCT FROM 'LOT' AND upper(btrim(mfgordername)) LIKE 'GA%') AS n_ga,
         count(*) FILTER (WHERE objecttype IS DISTINCT FROM 'LOT' AND upper(btrim(mfgordername)) LIKE 'GC%') AS n_gc,
         count(*) FILTER (WHERE upper(btrim(mfgordername)) LIKE 'GD%' OR upper(btrim(containername)) LIKE 'GD%') AS n_gd,
         count(*) FILTER (WHERE objecttype IS DISTINCT FROM 'LOT' AND btrim(mfgordername) !~ '^G[ACD][0-9]{8,}$') AS n_badorder,
         count(*) FILTER (WHERE objecttype IS DISTINCT FROM 'LOT'
                            AND left(btrim(containername), length(btrim(mfgordername))) <> btrim(mfgordername)) AS n_name_not_order,
         count(DISTINCT btrim(containername)) AS n_distinct_names,
         count(*) FILTER (WHERE objecttype IS NOT NULL AND objecttype NOT IN ('LOT', 'PRODUCT')) AS n_odd_objecttype,
         count(*) FILTER (WHERE pj_type <> rtrim(pj_type)) AS n_pjtype_trailing,
         count(*) FILTER (WHERE containerid::text !~ '^[0-9a-f]{16}$'
                             OR splitfromid::text !~ '^[0-9a-f]{16}$'
                             OR originalcontainerid::text !~ '^[0-9a-f]{16}$') AS n_badid,
         count(*) FILTER (WHERE containername <> btrim(containername) OR firstname <> btrim(firstname)
                             OR mfgordername <> btrim(mfgordername)
                             OR pj_type <> ltrim(pj_type)) AS n_untrimmed
  FROM c
),
nprod AS MATERIALIZED (SELECT count(*) AS n FROM prod),
-- Split depth: walk down from roots (no parent, or parent not in the table). Containers in or below a
-- cycle are never reached.
depth(cid, d) AS (
  SELECT containerid, 0 FROM c
  WHERE splitfromid IS NULL OR NOT EXISTS (SELECT 1 FROM c p WHERE p.containerid = c.splitfromid)
  UNION ALL
  SELECT ch.containerid, depth.d + 1 FROM depth JOIN c ch ON ch.splitfromid = depth.cid WHERE depth.d < 200
),
ds AS MATERIALIZED (
  SELECT count(*) AS reached, max(d) AS maxd, count(*) FILTER (WHERE d <= 3) AS shallow,
         count(*) FILTER (WHERE d > 20) AS deeper20
  FROM depth
),
split AS MATERIALIZED (
  SELECT count(*) AS children,
         count(*) FILTER (WHERE btrim(ch.mfgordername) = btrim(p.mfgordername)) AS same_order,
         count(*) FILTER (WHERE btrim(ch.firstname) = btrim(p.firstname)) AS same_first,
         count(*) FILTER (WHERE p.firstname IS NOT NULL) AS parent_has_first,
         count(DISTINCT p.containerid) AS parents,
         (SELECT count(*) FROM (SELECT splitfromid FROM c WHERE splitfromid IS NOT NULL
                                GROUP BY splitfromid HAVING count(*) >= 2) x) AS multi_parents
  FROM c ch JOIN c p ON p.containerid = ch.splitfromid
  WHERE ch.containerid <> p.containerid
),
wl AS MATERIALIZED (SELECT containername AS name FROM c WHERE objecttype = 'LOT'),   -- wafer lot names
wafer AS MATERIALIZED (
  SELECT count(*) AS roots,
         count(*) FILTER (WHERE btrim(r.firstname) IN (SELECT btrim(name) FROM wl)) AS linked,
         (SELECT count(*) FROM prod p WHERE p.firstname IN (SELECT name FROM wl)) AS exact_links
  FROM prod r
  WHERE r.splitfromid IS NULL AND r.originalcontainerid IS NULL
    AND upper(btrim(r.mfgordername)) NOT LIKE 'GD%'
),
merge AS MATERIALIZED (
  SELECT (SELECT count(DISTINCT containerid) FROM dwh.dw_mes_pj_combinedassylots) AS sources,
         (SELECT count(*) FROM (SELECT lotid FROM dwh.dw_mes_pj_combinedassylots GROUP BY lotid
                                HAVING count(*) NOT BETWEEN 2 AND 5) x) AS bad_groups,
         (SELECT count(*) FROM fin) AS finished,
         (SELECT count(*) FROM dwh.dw_mes_pj_combinedassylots m
          WHERE NOT EXISTS (SELECT 1 FROM c WHERE c.containerid = m.lotid)
             OR NOT EXISTS (SELECT 1 FROM c WHERE c.containerid = m.containerid)) AS dangling,
         (SELECT count(*) FROM dwh.dw_mes_pj_combinedassylots WHERE finishedname IS NULL) AS no_serial,
         (SELECT count(*) FROM dwh.dw_mes_pj_combinedassylots WHERE finishedname !~ '^SN[0-9]{10,}$') AS bad_serial,
         (SELECT count(*) FROM fin JOIN c ON c.containerid = fin.lotid
          WHERE btrim(c.containername) !~ '-F[0-9]{3,}$') AS bad_fin_name,
         (SELECT count(DISTINCT m.containerid) FROM dwh.dw_mes_pj_combinedassylots m
          WHERE m.finishedname IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM c ch WHERE ch.splitfromid = m.containerid)) AS leaf_serials
),
gd AS MATERIALIZED (
  SELECT count(*) FILTER (WHERE o.containerid IS NOT NULL AND upper(btrim(o.mfgordername)) NOT LIKE 'GD%') AS with_original,
         count(*) FILTER (WHERE g.originalcontainerid IS NOT NULL AND o.containerid IS NULL) AS dangling_original,
         count(*) FILTER (WHERE g.originalcontainerid IS NULL AND g.splitfromid IS NOT NULL) AS split_only
  FROM c g LEFT JOIN c o ON o.containerid = g.originalcontainerid
  WHERE upper(btrim(g.mfgordername)) LIKE 'GD%' OR upper(btrim(g.containername)) LIKE 'GD%'
),
-- History: a session = (containerid, trackintimestamp, equipmentid) of the rows the history domain
-- reads (EQUIPMENTID and TRACKINTIMESTAMP not null).
h AS NOT MATERIALIZED (
  SELECT * FROM dwh.dw_mes_lotwiphistory WHERE equipmentid IS NOT NULL AND trackintimestamp IS NOT NULL
),
sess AS (
  SELECT h.containerid, h.trackintimestamp AS tin, h.equipmentid, min(h.workcentername) AS wc, count(*) AS nrows
  FROM h GROUP BY 1, 2, 3
),
sessg AS (
  SELECT s.*, wcs.g,
         max(wcs.g) OVER (PARTITION BY s.containerid ORDER BY s.tin
                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prevmax
  FROM sess s LEFT JOIN wcs ON wcs.wc = s.wc
),
lotsess AS (
  SELECT containerid, count(*) AS n, count(DISTINCT g) AS ngroups,
         bool_and(g IS NULL OR prevmax IS NULL OR g >= prevmax) AS in_order
  FROM sessg GROUP BY containerid
),
route AS MATERIALIZED (
  SELECT count(*) FILTER (WHERE ls.n IS NULL OR ls.n NOT BETWEEN 12 AND 18) AS bad_count,
         min(ls.n) AS min_n, max(ls.n) AS max_n, avg(ls.n) AS avg_n,
         count(*) FILTER (WHERE ls.ngroups IS DISTINCT FROM 12 OR NOT ls.in_order) AS bad_route,
         (SELECT count(*) FROM lotsess l2 WHERE NOT EXISTS (SELECT 1 FROM prod WHERE prod.containerid = l2.containerid)) AS hist_not_prod
  FROM prod p LEFT JOIN lotsess ls ON ls.containerid = p.containerid
),
sstat AS MATERIALIZED (
  SELECT count(*) AS sessions, count(*) FILTER (WHERE nrows > 1) AS partial, max(nrows) AS max_rows,
         count(*) FILTER (WHERE g IS NULL) AS unclassified
  FROM sessg
),
partial AS MATERIALIZED (   -- within a partial session, ordered by track-out: trackinqty strictly decreasing
  SELECT count(*) FILTER (WHERE pq IS NOT NULL AND (trackinqty >= pq OR trackouttimestamp = pt)) AS violations
  FROM (SELECT trackinqty, trackouttimestamp,
               lag(trackinqty) OVER w AS pq, lag(trackouttimestamp) OVER w AS pt
        FROM h WINDOW w AS (PARTITION BY containerid, trackintimestamp, equipmentid
                            ORDER BY trackouttimestamp, trackinqty DESC)) x
),
hstat AS MATERIALIZED (
  SELECT count(*) AS rows,
         count(*) FILTER (WHERE trackoutqty > trackinqty) AS out_gt_in,
         count(*) FILTER (WHERE trackinqty <> trunc(trackinqty) OR trackoutqty <> trunc(trackoutqty)) AS non_integer,
         count(*) FILTER (WHERE trackintimestamp < r.w0 OR trackintimestamp >= r.w1
                             OR trackouttimestamp < trackintimestamp OR trackouttimestamp > r.w1) AS out_of_window,
         count(*) FILTER (WHERE trackinqty NOT BETWEEN 10 AND 60000) AS odd_qty
  FROM h CROSS JOIN run r
),
tord AS MATERIALIZED (   -- physical (ctid) order of the heap follows trackintimestamp
  SELECT count(*) FILTER (WHERE tin < prev) AS inversions
  FROM (SELECT trackintimestamp AS tin, lag(trackintimestamp) OVER (ORDER BY ctid) AS prev
        FROM dwh.dw_mes_lotwiphistory WHERE trackintimestamp IS NOT NULL) x
),
wo AS MATERIALIZED (
  SELECT count(*) FILTER (WHERE btrim(h.pj_workorder) IS DISTINCT FROM btrim(c.mfgordername)) AS mismatch
  FROM h JOIN c ON c.containerid = h.containerid
),
equip AS MATERIALIZED (
  SELECT count(*) FILTER (WHERE r.resourceid IS NULL) AS missing,
         count(*) FILTER (WHERE r.resourceid IS NOT NULL AND r.resourcename <> e.equipmentname) AS name_mismatch,
         count(*) AS used, (SELECT count(*) FROM dwh.dw_mes_resource) AS resources,
         (SELECT count(*) FROM dwh.dw_mes_resource WHERE resourcefamilyname IS NULL) AS no_family
  FROM (SELECT DISTINCT equipmentid, equipmentname FROM h) e
  LEFT JOIN dwh.dw_mes_resource r ON r.resourceid = e.equipmentid
),
spec AS MATERIALIZED (
  SELECT (SELECT count(*) FROM dwh.dw_mes_spec_workcenter_v) AS rows,
         (SELECT count(*) FROM (SELECT spec FROM dwh.dw_mes_spec_workcenter_v GROUP BY spec
                                HAVING count(DISTINCT workcentersequence_group) >= 2) x) AS dup_specs,
         (SELECT count(*) FROM dwh.dw_mes_spec_workcenter_v WHERE workcentersequence_group !~ '^[0-9]+$') AS non_numeric,
         (SELECT count(*) FROM (SELECT DISTINCT specname FROM h
                                UNION SELECT DISTINCT specname FROM dwh.dw_mes_lotrejecthistory) u
          WHERE NOT EXISTS (SELECT 1 FROM dwh.dw_mes_spec_workcenter_v v WHERE v.spec = u.specname)) AS unmapped
),
mat AS MATERIALIZED (
  SELECT count(*) FILTER (WHERE coalesce(m.n, 0) NOT BETWEEN 1 AND 4) AS bad_lots,
         (SELECT count(*) FROM dwh.dw_mes_lotmaterialshistory x LEFT JOIN wcs ON wcs.wc = x.workcentername
          WHERE wcs.g IS DISTINCT FROM 1 AND wcs.g IS DISTINCT FROM 2 AND wcs.g IS DISTINCT FROM 3
            AND wcs.g IS DISTINCT FROM 4) AS off_station,
         (SELECT count(*) FROM dwh.dw_mes_lotmaterialshistory WHERE qtyconsumed <> trunc(qtyconsumed)) AS decimals,
         (SELECT count(*) FROM dwh.dw_mes_lotmaterialshistory WHERE description ~ '[一-鿿]') AS chinese,
         (SELECT count(*) FROM (SELECT materiallotname FROM dwh.dw_mes_lotmaterialshistory
                                GROUP BY 1 HAVING count(DISTINCT containerid) >= 2) x) AS shared_lots
  FROM prod p
  LEFT JOIN (SELECT containerid, count(*) AS n FROM dwh.dw_mes_lotmaterialshistory GROUP BY 1) m
    ON m.containerid = p.containerid
),
rej AS MATERIALIZED (
  SELECT count(*) AS rows,
         count(DISTINCT containerid) AS lots,
         (SELECT count(*) FROM (SELECT containerid FROM dwh.dw_mes_lotrejecthistory GROUP BY 1
                                HAVING count(*) > 4) x) AS lots_over4,
         count(*) FILTER (WHERE wcs.g = 11) AS at_test,
         count(*) FILTER (WHERE wcs.g IS DISTINCT FROM 11) AS elsewhere,
         count(*) FILTER (WHERE lossreasonname IS NULL) AS null_reason,
         count(*) FILTER (WHERE lossreasonname ~ '[一-鿿]') AS chinese_reason,
         count(*) FILTER (WHERE lossreasonname ~ '^[ -~]+$') AS ascii_reason,
         count(*) FILTER (WHERE num_nulls(rejectqty, standbyqty, qtytoprocess, inprocessqty, processedqty, defectqty) > 0) AS null_qty,
         count(*) FILTER (WHERE coalesce(rejectqty, 0) + coalesce(defectqty, 0) > 0) AS positive_qty,
         count(*) FILTER (WHERE strpos(rejectcomment, ',') > 0) AS comma,
         count(*) FILTER (WHERE strpos(rejectcomment, '"') > 0) AS quote,
         count(*) FILTER (WHERE strpos(rejectcomment, E'\n') > 0) AS newline,
         count(*) FILTER (WHERE txndate < r.w0 OR txndate >= r.w1) AS out_of_window,
         count(*) FILTER (WHERE txndate IS NULL) AS null_txndate
  FROM dwh.dw_mes_lotrejecthistory x LEFT JOIN wcs ON wcs.wc = x.workcentername CROSS JOIN run r
),
hold AS MATERIALIZED (
  SELECT count(*) AS rows, count(DISTINCT containerid) AS lots,
         count(*) FILTER (WHERE releasetxndate IS NULL) AS unreleased,
         count(*) FILTER (WHERE releasetxndate < holdtxndate) AS release_before_hold,
         count(*) FILTER (WHERE holdreasonname ~ '[一-鿿]') AS chinese
  FROM dwh.dw_mes_holdreleasehistory
),
jobids AS (
  SELECT j.jobid, e.id, e.ord
  FROM dwh.dw_mes_job j CROSS JOIN LATERAL unnest(dwh_gen.split_ids(j.containerids)) WITH ORDINALITY e(id, ord)
),
job AS MATERIALIZED (
  SELECT (SELECT count(*) FROM dwh.dw_mes_job) AS jobs,
         (SELECT count(*) FROM (SELECT jobid FROM jobids GROUP BY jobid HAVING count(DISTINCT id) >= 2) x) AS multi,
         (SELECT max(n) FROM (SELECT count(*) AS n FROM jobids GROUP BY jobid) x) AS max_ids,
         (SELECT count(*) FROM jobids WHERE NOT EXISTS (SELECT 1 FROM c WHERE c.containerid = jobids.id::bpchar)) AS unknown_cids,
         (SELECT count(*) FROM dwh.dw_mes_job
          WHERE cardinality(dwh_gen.split_ids(containerids)) <> cardinality(dwh_gen.split_ids(containernames))) AS names_mismatch,
         (SELECT count(*) FROM dwh.dw_mes_job j
          WHERE NOT EXISTS (SELECT 1 FROM dwh.dw_mes_resource r WHERE r.resourceid = j.resourceid
                            AND r.resourcename = j.resourcename)) AS bad_resource
),
wip AS MATERIALIZED (
  SELECT count(*) FILTER (WHERE coalesce(w.n, 0) NOT BETWEEN 1 AND 2) AS bad_lots,
         (SELECT count(*) FROM dwh.dw_mes_wip WHERE productlinename = '點測') AS probe_rows,
         (SELECT count(*) FROM dwh.dw_mes_wip WHERE workflowname IS NULL) AS no_workflow
  FROM prod p
  LEFT JOIN (SELECT containerid, count(*) AS n FROM dwh.dw_mes_wip GROUP BY 1) w ON w.containerid = p.containerid
),
clean AS MATERIALIZED (   -- only asserted without bad data
  SELECT (SELECT count(*) FROM dwh.dw_mes_lotwiphistory WHERE equipmentid IS NULL OR equipmentname IS NULL
                                                           OR trackintimestamp IS NULL) AS null_equipment,
         (SELECT count(*) FROM dwh.dw_mes_lotwiphistory WHERE workcentername <> btrim(workcentername)) AS untrimmed_wc,
         (SELECT count(*) FROM dwh.dw_mes_lotwiphistory WHERE containerid::text !~ '^[0-9a-f]{16}$'
                                                           OR equipmentid::text !~ '^[0-9a-f]{16}$') AS bad_hist_ids,
         (SELECT count(*) FROM c WHERE splitfromid IS NOT NULL
                                   AND NOT EXISTS (SELECT 1 FROM c p WHERE p.containerid = c.splitfromid)) AS dangling_split,
         (SELECT count(*) FROM dwh.dw_mes_job WHERE containerids ~ '(^|,) | (,|$)|,$') AS sloppy_lists
)
SELECT check_name, coalesce(ok, false) AS ok, detail
FROM run, cnt, nprod, ds, split, wafer, merge, gd, route, sstat, partial, hstat, tord, wo, equip, spec,
     mat, rej, hold, job, wip, clean
CROSS JOIN LATERAL (VALUES
  (1, 'containers_near_p_lots', run.lots IS NULL OR abs(cnt.n - run.lots) <= 0.10 * run.lots,
      format('%s containers for p_lots=%s', cnt.n, run.lots)),
  (2, 'wafer_lots_share', cnt.n_wafer BETWEEN 0.015 * cnt.n AND 0.04 * cnt.n AND cnt.n_wafer_badname = 0,
      format('%s objecttype=LOT (%s%%), %s not named WLyy<A-L>nnnn', cnt.n_wafer,
             round(100.0 * cnt.n_wafer / cnt.n, 2), cnt.n_wafer_badname)),
  (3, 'wafer_origin_links', wafer.linked >= 0.95 * wafer.roots AND wafer.exact_links > 0,
      format('%s of %s root production lots have firstname = a wafer lot name; %s production lots link exactly',
             wafer.linked, wafer.roots, wafer.exact_links)),
  (4, 'work_orders_ga_gc_gd', cnt.n_ga > cnt.n_gc AND cnt.n_gc > 0 AND cnt.n_gd > 0 AND cnt.n_badorder = 0,
      format('GA %s, GC %s, GD %s containers; %s with order not like G[ACD]yymmnnnn',
             cnt.n_ga, cnt.n_gc, cnt.n_gd, cnt.n_badorder)),
  (5, 'lot_names_derive_from_order', cnt.n_name_not_order = 0,
      format('%s non-wafer containers whose name does not start with their mfgordername', cnt.n_name_not_order)),
  (6, 'container_names_unique', cnt.n_distinct_names = cnt.n,
      format('%s distinct trimmed names for %s containers', cnt.n_distinct_names, cnt.n)),
  (7, 'objecttype_values', cnt.n_odd_objecttype = 0,
      format('%s containers with objecttype other than LOT / PRODUCT / NULL', cnt.n_odd_objecttype)),
  (8, 'split_depth_mostly_shallow', ds.shallow >= 0.90 * ds.reached,
      format('%s of %s containers (%s%%) at split depth <= 3', ds.shallow, ds.reached,
             round(100.0 * ds.shallow / greatest(ds.reached, 1), 1))),
  (9, 'split_depth_deep_chains', ds.maxd <= 30 AND (cnt.n < 500 OR ds.maxd > 20),
      format('max split depth %s, %s containers deeper than 20', ds.maxd, ds.deeper20)),
  (10, 'split_trees_present', split.children BETWEEN 0.2 * cnt.n AND 0.75 * cnt.n AND split.multi_parents > 0,
      format('%s split children (%s%%), %s parents, %s parents with >= 2 children', split.children,
             round(100.0 * split.children / cnt.n, 1), split.parents, split.multi_parents)),
  (11, 'split_children_inherit', split.same_order >= 0.95 * split.children
                                 AND split.same_first >= 0.95 * split.parent_has_first,
      format('of %s children: %s same order, %s same firstname (%s parents have one)', split.children,
             split.same_order, split.same_first, split.parent_has_first)),
  (12, 'merge_sources_share', merge.sources BETWEEN 0.09 * cnt.n AND 0.21 * cnt.n,
      format('%s merge sources (%s%% of containers) into %s finished lots', merge.sources,
             round(100.0 * merge.sources / cnt.n, 1), merge.finished)),
  (13, 'merge_groups_2_to_5', merge.bad_groups = 0 AND merge.dangling = 0 AND merge.bad_fin_name = 0,
      format('%s finished lots outside 2-5 sources, %s rows with unknown CIDs, %s finished names not ...-Fnnn',
             merge.bad_groups, merge.dangling, merge.bad_fin_name)),
  (14, 'merge_serials', merge.bad_serial = 0 AND merge.no_serial <= 0.05 * merge.sources AND merge.leaf_serials > 0,
      format('%s serials not SNyymmnnnnnn, %s rows without serial, %s leaf lots with a serial',
             merge.bad_serial, merge.no_serial, merge.leaf_serials)),
  (15, 'gd_rework_share', cnt.n_gd BETWEEN 0.02 * cnt.n AND 0.04 * cnt.n,
      format('%s GD containers (%s%%)', cnt.n_gd, round(100.0 * cnt.n_gd / cnt.n, 2))),
  (16, 'gd_rework_links', gd.with_original > 0 AND gd.dangling_original = 0 AND gd.split_only > 0,
      format('%s GD lots rework an existing GA/GC lot, %s dangling, %s GD lots with only a splitfromid',
             gd.with_original, gd.dangling_original, gd.split_only)),
  (17, 'sessions_per_lot_12_to_18', route.bad_count = 0 AND route.avg_n BETWEEN 13 AND 17,
      format('%s of %s production lots outside 12-18 sessions; min %s max %s avg %s',
             route.bad_count, nprod.n, route.min_n, route.max_n, round(route.avg_n, 2))),
  (18, 'all_12_station_groups_in_order', route.bad_route = 0 AND route.hist_not_prod = 0,
      format('%s production lots miss a station group or go backwards; %s lots with history are not production lots',
             route.bad_route, route.hist_not_prod)),
  (19, 'unclassified_sessions', sstat.unclassified > 0 AND sstat.unclassified < 0.2 * sstat.sessions,
      format('%s of %s sessions at unclassified workcenters', sstat.unclassified, sstat.sessions)),
  (20, 'partial_sessions_share', sstat.partial BETWEEN 0.03 * sstat.sessions AND 0.12 * sstat.sessions
                                AND sstat.max_rows BETWEEN 2 AND 4,
      format('%s partial sessions (%s%%), at most %s rows each', sstat.partial,
             round(100.0 * sstat.partial / sstat.sessions, 2), sstat.max_rows)),
  (21, 'partial_trackinqty_decreasing', partial.violations = 0,
      format('%s partial rows whose trackinqty does not decrease (or repeat a trackout time)', partial.violations)),
  (22, 'history_quantities', hstat.out_gt_in = 0 AND hstat.non_integer = 0 AND hstat.odd_qty = 0,
      format('%s rows trackoutqty > trackinqty, %s non-integer, %s trackinqty outside 10-60000',
             hstat.out_gt_in, hstat.non_integer, hstat.odd_qty)),
  (23, 'history_inside_window', hstat.out_of_window = 0,
      format('%s rows outside [%s, %s) or tracked out before in', hstat.out_of_window, run.w0, run.w1)),
  -- The load inserts in time order, but a later short row may land in free space left on an earlier
  -- page, so allow a handful of inversions.
  (24, 'history_stored_in_time_order', tord.inversions <= 0.001 * hstat.rows,
      format('%s physical-order inversions of trackintimestamp in %s rows', tord.inversions, hstat.rows)),
  (25, 'history_workorder_is_lot_order', wo.mismatch = 0,
      format('%s rows with pj_workorder <> the lot''s mfgordername', wo.mismatch)),
  (26, 'equipment_in_resource', equip.missing = 0 AND equip.name_mismatch = 0 AND equip.no_family = 0
                               AND equip.resources >= equip.used,
      format('%s equipment used, %s resources, %s missing, %s name mismatches', equip.used,
             equip.resources, equip.missing, equip.name_mismatch)),
  (27, 'spec_map', spec.rows BETWEEN 50 AND 250 AND spec.dup_specs > 0 AND spec.unmapped = 0 AND spec.non_numeric = 0,
      format('%s rows, %s specs with two sequence groups, %s used specs unmapped', spec.rows, spec.dup_specs,
             spec.unmapped)),
  (28, 'materials_1_to_4_per_lot', mat.bad_lots = 0 AND mat.off_station = 0,
      format('%s production lots without 1-4 material rows, %s rows outside 焊接/成型', mat.bad_lots,
             mat.off_station)),
  (29, 'materials_values', mat.decimals > 0 AND mat.chinese > 0 AND mat.shared_lots > 0,
      format('%s rows with decimals, %s Chinese descriptions, %s material lots shared by several lots',
             mat.decimals, mat.chinese, mat.shared_lots)),
  (30, 'reject_lots_share', rej.lots BETWEEN 0.28 * nprod.n AND 0.42 * nprod.n AND rej.lots_over4 = 0,
      format('%s of %s production lots (%s%%) have rejects, %s rows; %s lots with > 4 rows', rej.lots, nprod.n,
             round(100.0 * rej.lots / nprod.n, 1), rej.rows, rej.lots_over4)),
  (31, 'reject_stations', rej.at_test >= 0.3 * rej.rows AND rej.elsewhere > 0,
      format('%s rows at 測試/TMTT, %s elsewhere', rej.at_test, rej.elsewhere)),
  (32, 'loss_reasons_mixed_with_nulls', rej.null_reason BETWEEN 0.02 * rej.rows AND 0.09 * rej.rows
                                       AND rej.chinese_reason > 0 AND rej.ascii_reason > 0,
      format('%s NULL, %s Chinese, %s ASCII loss reasons', rej.null_reason, rej.chinese_reason,
             rej.ascii_reason)),
  (33, 'reject_quantities', rej.null_qty > 0 AND rej.positive_qty > 0.9 * rej.rows,
      format('%s rows with a NULL qty column, %s with a positive reject/defect qty', rej.null_qty,
             rej.positive_qty)),
  (34, 'reject_comments_need_quoting', rej.comma > 0 AND rej.quote > 0 AND rej.newline > 0,
      format('comments with comma %s, quote %s, newline %s', rej.comma, rej.quote, rej.newline)),
  (35, 'rejects_inside_window', rej.out_of_window = 0,
      format('%s reject rows outside the window', rej.out_of_window)),
  (36, 'holds', hold.lots BETWEEN 0.03 * nprod.n AND 0.07 * nprod.n AND hold.unreleased > 0
                AND hold.release_before_hold = 0 AND hold.chinese = hold.rows,
      format('%s holds on %s lots (%s%%), %s unreleased', hold.rows, hold.lots,
             round(100.0 * hold.lots / nprod.n, 1), hold.unreleased)),
  (37, 'jobs_count', job.jobs BETWEEN 0.16 * cnt.n AND 0.24 * cnt.n,
      format('%s jobs for %s containers', job.jobs, cnt.n)),
  (38, 'jobs_list_several_cids', job.multi >= 0.9 * job.jobs AND job.max_ids <= 6 AND job.names_mismatch = 0,
      format('%s of %s jobs list >= 2 distinct CIDs, max %s ids, %s jobs whose names do not match ids',
             job.multi, job.jobs, job.max_ids, job.names_mismatch)),
  (39, 'jobs_cids_exist', job.unknown_cids = 0 AND job.bad_resource = 0,
      format('%s listed CIDs not in dw_mes_container, %s jobs with unknown resource', job.unknown_cids,
             job.bad_resource)),
  (40, 'wip_rows', wip.bad_lots = 0 AND wip.probe_rows > 0 AND wip.no_workflow = 0,
      format('%s production lots without 1-2 WIP rows, %s 點測 rows', wip.bad_lots, wip.probe_rows)),
  (41, 'pj_type_trailing_blanks', cnt.n_pjtype_trailing > 0,
      format('%s containers with pj_type trailing blanks', cnt.n_pjtype_trailing)),
  -- clean-data claims (enforced only without bad data)
  (42, 'clean_no_split_cycles', run.bad OR ds.reached = cnt.n,
      format('%s of %s containers reachable from a split root%s', ds.reached, cnt.n,
             CASE WHEN run.bad THEN ' (bad data: not enforced)' ELSE '' END)),
  (43, 'clean_ids_16_hex', run.bad OR (cnt.n_badid = 0 AND clean.bad_hist_ids = 0),
      format('%s container / %s history rows with ids not 16 lowercase hex%s', cnt.n_badid, clean.bad_hist_ids,
             CASE WHEN run.bad THEN ' (bad data: not enforced)' ELSE '' END)),
  (44, 'clean_names_trimmed', run.bad OR (cnt.n_untrimmed = 0 AND clean.untrimmed_wc = 0),
      format('%s containers / %s history rows with untrimmed names (pj_type trailing blanks allowed)%s',
             cnt.n_untrimmed, clean.untrimmed_wc, CASE WHEN run.bad THEN ' (bad data: not enforced)' ELSE '' END)),
  (45, 'clean_no_null_equipment_or_time', run.bad OR (clean.null_equipment = 0 AND rej.null_txndate = 0),
      format('%s history rows with NULL equipment or track-in, %s rejects with NULL txndate%s',
             clean.null_equipment, rej.null_txndate, CASE WHEN run.bad THEN ' (bad data: not enforced)' ELSE '' END)),
  (46, 'clean_no_dangling_or_sloppy_refs', run.bad OR (clean.dangling_split = 0 AND clean.sloppy_lists = 0),
      format('%s dangling splitfromid, %s job lists with blanks or trailing comma%s', clean.dangling_split,
             clean.sloppy_lists, CASE WHEN run.bad THEN ' (bad data: not enforced)' ELSE '' END))
) v(ord, check_name, ok, detail)
ORDER BY ord;
