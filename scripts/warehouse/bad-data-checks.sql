-- Bad-data checks: after dwh_gen.generate(..., p_bad_data => true) every row must be ok.
-- Same row shape as shape-checks.sql: (check_name text, ok boolean, detail text).
--   psql -X -d DB -f scripts/warehouse/bad-data-checks.sql
WITH RECURSIVE
run AS MATERIALIZED (
  SELECT coalesce(bool_or(bad_data), false) AS bad FROM dwh_gen.last_run
),
c AS NOT MATERIALIZED (SELECT * FROM dwh.dw_mes_container),
-- Containers reachable walking down from split roots; the rest sit in or below a cycle.
down(cid, d) AS (
  SELECT containerid, 0 FROM c
  WHERE splitfromid IS NULL OR NOT EXISTS (SELECT 1 FROM c p WHERE p.containerid = c.splitfromid)
  UNION ALL
  SELECT ch.containerid, down.d + 1 FROM down JOIN c ch ON ch.splitfromid = down.cid WHERE down.d < 200
),
unreached AS MATERIALIZED (
  SELECT containerid, splitfromid FROM c WHERE NOT EXISTS (SELECT 1 FROM down WHERE down.cid = c.containerid)
),
-- Walk up from every unreached container; it is on a cycle when it comes back to itself, and the
-- first step at which it does is the cycle length.
up(start, cur, steps) AS (
  SELECT containerid, splitfromid, 1 FROM unreached
  UNION ALL
  SELECT up.start, u.splitfromid, up.steps + 1
  FROM up JOIN unreached u ON u.containerid = up.cur
  WHERE up.cur <> up.start AND up.steps < 50
),
cyc AS MATERIALIZED (
  SELECT count(*) AS on_cycle,
         count(*) FILTER (WHERE len = 1) AS self_loops,
         count(*) FILTER (WHERE len = 2) AS in_2cycles,
         count(*) FILTER (WHERE len = 3) AS in_3cycles,
         (SELECT count(*) FROM unreached) AS unreached
  FROM (SELECT start, min(steps) AS len FROM up WHERE cur = start GROUP BY start) x
),
shortid AS MATERIALIZED (SELECT containerid FROM c WHERE length(containerid) < 16),
pad AS MATERIALIZED (
  SELECT (SELECT count(*) FROM shortid) AS short_ids,
         (SELECT count(*) FROM dwh.dw_mes_lotwiphistory WHERE length(containerid) < 16) AS hist_refs,
         (SELECT count(*) FROM c WHERE length(splitfromid) < 16) AS split_refs,
         (SELECT count(*) FROM dwh.dw_mes_pj_combinedassylots WHERE length(containerid) < 16) AS merge_refs,
         (SELECT count(*) FROM dwh.dw_mes_lotmaterialshistory WHERE length(containerid) < 16) AS mat_refs,
         (SELECT count(*) FROM dwh.dw_mes_wip WHERE length(containerid) < 16) AS wip_refs,
         (SELECT count(*) FROM dwh.dw_mes_job WHERE containerids ~ '[0-9a-f] +(,|$)') AS job_refs,
         (SELECT count(*) FROM dwh.dw_mes_lotwiphistory h
          WHERE NOT EXISTS (SELECT 1 FROM c WHERE c.containerid = h.containerid)) AS orphan_hist
),
names AS MATERIALIZED (
  SELECT count(*) FILTER (WHERE containername LIKE '% ' AND objecttype IS DISTINCT FROM 'LOT') AS trailing_name,
         count(*) FILTER (WHERE containername LIKE ' %') AS leading_name,
         count(*) FILTER (WHERE firstname LIKE '% ') AS trailing_first,
         count(*) FILTER (WHERE mfgordername LIKE '% ') AS trailing_order,
         count(*) FILTER (WHERE pj_type LIKE ' %') AS leading_type,
         count(*) FILTER (WHERE objecttype = 'LOT' AND containername LIKE '% ') AS trailing_wafer,
         (SELECT count(*) FROM dwh.dw_mes_lotwiphistory WHERE workcentername <> btrim(workcentername)) AS untrimmed_wc
  FROM c
),
nulls AS MATERIALIZED (
  SELECT (SELECT count(*) FROM dwh.dw_mes_lotwiphistory WHERE equipmentid IS NULL AND equipmentname IS NULL) AS null_equipment,
         (SELECT count(*) FROM dwh.dw_mes_lotwiphistory WHERE trackintimestamp IS NULL) AS null_trackin,
         (SELECT count(*) FROM dwh.dw_mes_lotrejecthistory WHERE txndate IS NULL) AS null_reject_txn
),
misc AS MATERIALIZED (
  SELECT (SELECT count(*) FROM c WHERE splitfromid IS NOT NULL
                                   AND NOT EXISTS (SELECT 1 FROM c p WHERE p.containerid = c.splitfromid)) AS dangling,
         (SELECT count(*) FROM dwh.dw_mes_job WHERE containerids LIKE '%, %' AND containerids LIKE '%,') AS sloppy_lists,
         (SELECT count(*) FROM dwh.dw_mes_job j CROSS JOIN LATERAL unnest(dwh_gen.split_ids(j.containerids)) e(id)
          WHERE NOT EXISTS (SELECT 1 FROM c WHERE c.containerid = e.id::bpchar)) AS unknown_job_cids
)
SELECT check_name, coalesce(ok, false) AS ok, detail
FROM run, cyc, pad, names, nulls, misc
CROSS JOIN LATERAL (VALUES
  (1, 'generated_with_bad_data', run.bad, format('dwh_gen.last_run.bad_data = %s', run.bad)),
  (2, 'split_cycles_present', cyc.in_2cycles >= 2 AND cyc.in_3cycles >= 3,
      format('%s containers on 2-cycles, %s on 3-cycles, %s unreachable from any split root',
             cyc.in_2cycles, cyc.in_3cycles, cyc.unreached)),
  (3, 'split_self_loop_present', cyc.self_loops >= 1,
      format('%s containers with splitfromid = containerid', cyc.self_loops)),
  (4, 'dangling_splitfromid_present', misc.dangling >= 1,
      format('%s splitfromid values not in dw_mes_container', misc.dangling)),
  (5, 'padded_ids_present', pad.short_ids >= 4,
      format('%s containerids shorter than 16 chars (stored blank-padded)', pad.short_ids)),
  (6, 'padded_ids_referenced', pad.hist_refs > 0 AND pad.split_refs > 0 AND pad.merge_refs > 0
                               AND pad.mat_refs > 0 AND pad.wip_refs > 0 AND pad.orphan_hist = 0,
      format('padded ids referenced by %s history, %s splitfromid, %s merge, %s material, %s WIP rows, %s job lists; %s history rows without container',
             pad.hist_refs, pad.split_refs, pad.merge_refs, pad.mat_refs, pad.wip_refs, pad.job_refs,
             pad.orphan_hist)),
  (7, 'padded_container_names_present', names.trailing_name > 0 AND names.leading_name > 0,
      format('%s containernames with trailing, %s with leading blanks', names.trailing_name, names.leading_name)),
  (8, 'padded_other_names_present', names.trailing_first > 0 AND names.trailing_order > 0
                                    AND names.leading_type > 0 AND names.trailing_wafer > 0,
      format('firstname trailing %s, mfgordername trailing %s, pj_type leading %s, wafer lot name trailing %s',
             names.trailing_first, names.trailing_order, names.leading_type, names.trailing_wafer)),
  (9, 'padded_workcenternames_present', names.untrimmed_wc > 0,
      format('%s history rows with untrimmed workcentername', names.untrimmed_wc)),
  (10, 'null_equipment_rows_present', nulls.null_equipment > 0 AND nulls.null_trackin > 0,
      format('%s history rows with NULL equipmentid/equipmentname, %s with NULL trackintimestamp',
             nulls.null_equipment, nulls.null_trackin)),
  (11, 'null_reject_txndate_present', nulls.null_reject_txn > 0,
      format('%s reject rows with NULL txndate', nulls.null_reject_txn)),
  (12, 'sloppy_job_lists_present', misc.sloppy_lists > 0 AND misc.unknown_job_cids = 0,
      format('%s job lists with '', '' separators and a trailing comma; %s listed CIDs unknown after trimming',
             misc.sloppy_lists, misc.unknown_job_cids))
) v(ord, check_name, ok, detail)
ORDER BY ord;
