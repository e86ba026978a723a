-- tracespool synthetic warehouse generator (schema dwh_gen).
--
--   SELECT dwh_gen.generate(p_lots, p_days, p_seed [, p_bad_data]);   -- refills the ten dwh tables
--   SELECT dwh_gen.checksum();                                        -- md5 over every dwh row
--
-- Run after schema.sql and before indexes-minimal.sql and indexes-recommended.sql (scripts/lib/pg.sh: warehouse_load). Idempotent: drops
-- and recreates schema dwh_gen. PostgreSQL 14+ (SQL-standard function bodies).
--
-- Determinism: every random choice is dwh_gen.rnd(seed, key, stream), a hash of the seed, a stable
-- integer key of the thing being decided (lot, session, job ...) and a stream number naming the
-- decision. Never random(), never clock times, and every row_number() orders by unique integer keys,
-- so the same (lots, days, seed, bad) gives the same rows whatever plan or parallelism PostgreSQL
-- picks. Rows are built set-based (INSERT ... SELECT over generate_series); the only PL loop is the
-- one per split-tree level.
--
-- Time base: the production window ENDS at 2026-07-01 00:00:00 (exclusive), i.e. its last day is
-- 2026-06-30, and starts p_days days earlier. Every track-in, reject, material and hold lies inside
-- it (lot starts are spread uniformly over the window minus a tail reserve so that every lot finishes
-- its route inside the window; for p_days < 40 all process times are compressed proportionally).
--
-- Naming / id conventions:
--   containerid   to_hex(x'4881038000100000' + 16 n + hashed 0..15): 16 lowercase hex chars, n =
--                 creation order (lot start time), e.g. '48810380001cba48'. resourceid base
--                 x'4880e2c700000000', jobid base x'4882a91c00000000' (same 16-hex shape).
--   wafer lots    objecttype 'LOT' (~2.5%), name 'WL' || yy || month letter A-L || 4+ digits
--                 ('WL26C0042'). Root production lots' firstname = a wafer lot's containername;
--                 split children, GD lots and finished lots inherit it (2% of children: NULL).
--   work orders   'GA' (85%) | 'GC' (15%) || yymm || 4+ digit sequence ('GA26030117');
--                 GD rework orders the same way ('GD26040007').
--   lots          order || '-A' || split depth (2 digits) || '-' || sequence within (order, depth):
--                 roots 'GA26030117-A00-001', split children 'GA26030117-A01-002'. A name with
--                 '-A21-' .. '-A25-' is deeper than 20 (deep chains: every warehouse of >= 500 lots
--                 has one).
--                 GD lots order || '-R00-001' (originalcontainerid = the reworked GA/GC lot); GD split
--                 children '-R01-001' (originalcontainerid NULL, splitfromid = the GD lot).
--   finished lots merge targets: order of the first source || '-F' || 3+ digits ('GA26030117-F001');
--                 no history. Serial (combinedassylots.finishedname) 'SN' || yymm || 6+ digits
--                 ('SN2604000123'); every merge source is a leaf lot, so leaf lots carry serials.
--   objecttype    'LOT' only for wafer lots; production, GD and finished lots 'PRODUCT' (~2% NULL).
--   equipment     'WB-07', 'MD-03', 'TMTT-12' ...; lots wire-bonded on WB-07 reject much more at TMTT
--                 (reason 焊線不良), a planted signal for MSD attribution.
--
-- Bad data (p_bad_data = true): split cycles (two 2-cycles, one 3-cycle, one self-loop), two
-- splitfromid values pointing at missing containers, containerids of 13 hex chars (char(16) pads
-- them; every table referencing those lots uses the padded id, job lists include the blanks),
-- containername / firstname / mfgordername / pj_type / one wafer lot name / some history
-- workcenternames with leading or trailing blanks, extra history rows with NULL equipment or NULL
-- track-in time, rejects with NULL txndate, job lists with ', ' separators and a trailing comma.
-- Without it: no cycles, every id exactly 16 hex chars, names trimmed (pj_type trailing blanks are
-- realistic and always present).
DROP SCHEMA IF EXISTS dwh_gen CASCADE;
CREATE SCHEMA dwh_gen;

-- The whole CIDs listed in a job's containerids, trimmed. Only the generator's own shape and
-- bad-data checks use it; tracespool never needs an object of its own in a warehouse.
CREATE FUNCTION dwh_gen.split_ids(ids text) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ARRAY(SELECT btrim(x) FROM unnest(string_to_array(ids, ',')) AS x WHERE btrim(x) <> '');

------------------------------------------------------------------------------------------------
-- Helpers (IMMUTABLE SQL functions, inlined by the planner, so per-row calls are cheap).
------------------------------------------------------------------------------------------------

-- Uniform float in [0,1) from (seed, key, stream). hashint8extended is the portable 64-bit hash
-- PostgreSQL uses for hash partitioning (stable across platforms and versions); the stream number is
-- folded into the hash seed so different decisions about the same key are independent.
CREATE FUNCTION dwh_gen.rnd(seed bigint, a bigint, b integer) RETURNS float8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN (hashint8extended(a, seed # (b::bigint << 40)) & 4503599627370495)::float8
         / 4503599627370496.0;

-- Uniform integer in [lo, hi].
CREATE FUNCTION dwh_gen.ri(seed bigint, a bigint, b integer, lo integer, hi integer) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN lo + floor(dwh_gen.rnd(seed, a, b) * (hi - lo + 1))::integer;

-- One element of a text array chosen by u in [0,1).
CREATE FUNCTION dwh_gen.pick(arr text[], u float8) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN arr[1 + floor(u * cardinality(arr))::integer];

-- Zero-padded decimal that never truncates (lpad would cut '12345' to '1234').
CREATE FUNCTION dwh_gen.pad(n bigint, w integer) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN lpad(n::text, greatest(w, length(n::text)), '0');

-- Whole seconds as an interval (all generated times are whole seconds: the columns are timestamp(0)).
CREATE FUNCTION dwh_gen.secs(x float8) RETURNS interval
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN make_interval(secs => round(x));

------------------------------------------------------------------------------------------------
-- Static reference data (not seed dependent).
------------------------------------------------------------------------------------------------

-- Workcenters. slot = which route step may use it: 0..11 are the twelve MSD station groups of
-- reference/msd.md §1.2 in process order (grp = group order), 100..104 unclassified extra steps,
-- 107 touch-up plating (group 電鍍, only used as a repeated step). si = index within the slot.
-- nmach machines are used by the route; nspare more exist in dw_mes_resource but never run lots.
-- seqgrp = dw_mes_spec_workcenter_v.workcentersequence_group (text of a number, as in the source).
CREATE TABLE dwh_gen.workcenter (
  wc_id integer PRIMARY KEY, slot integer, si integer, slot_n integer, grp integer,
  name text, code text, eqprefix text, nmach integer, nspare integer, families text[],
  wcgroup text, seqgrp text
);
INSERT INTO dwh_gen.workcenter VALUES
  ( 1,   0, 0, 2,    0, 'WC切割-01',     'DS1', 'DS',   6, 1, '{DISCO DFD6361,DISCO DAD3350}',        '切割',     '1'),
  ( 2,   0, 1, 2,    0, 'WC切割-02',     'DS2', 'DS',   5, 1, '{DISCO DFD6361,DISCO DAD3350}',        '切割',     '1'),
  ( 3,   1, 0, 2,    1, 'WC焊接_DB-A',   'DBA', 'DB',   8, 1, '{ASM AD838,BESI ESEC 2100}',           '焊接_DB',  '2'),
  ( 4,   1, 1, 2,    1, 'WC焊接_DB-B',   'DBB', 'DB',   6, 0, '{ASM AD838,BESI ESEC 2100}',           '焊接_DB',  '2'),
  ( 5,   2, 0, 2,    2, 'WC焊接_WB-A',   'WBA', 'WB',  10, 1, '{K&S ICONN,ASM EAGLE AERO}',           '焊接_WB',  '3'),
  ( 6,   2, 1, 2,    2, 'WC焊接_WB-B',   'WBB', 'WB',   8, 1, '{K&S ICONN,ASM EAGLE AERO}',           '焊接_WB',  '3'),
  ( 7,   3, 0, 1,    3, 'WC焊接_DW-1',   'DW1', 'DW',   5, 1, '{ASM AD830}',                          '焊接_DW',  '4'),
  ( 8,   4, 0, 2,    4, 'WC成型-1',      'MD1', 'MD',   6, 1, '{TOWA YPS,APIC YAMADA G-LINE}',        '成型',     '5'),
  ( 9,   4, 1, 2,    4, 'WC成型-2',      'MD2', 'MD',   5, 0, '{TOWA YPS,APIC YAMADA G-LINE}',        '成型',     '5'),
  (10,   5, 0, 1,    5, 'WC去膠-1',      'DF1', 'DF',   4, 1, '{DEFLASH DF-200}',                     '去膠',     '6'),
  (11,   6, 0, 1,    6, 'WC水吹砂-1',    'WJ1', 'WJ',   4, 0, '{WATERJET WJ-3}',                      '水吹砂',   '7'),
  (12,   7, 0, 3,    7, 'WC掛鍍-1',      'PLR', 'PL',   4, 1, '{RACK PLATING LINE,BARREL PLATING LINE}', '電鍍',  '8'),
  (13,   7, 1, 3,    7, 'WC滾鍍-1',      'PLB', 'PL',   4, 0, '{RACK PLATING LINE,BARREL PLATING LINE}', '電鍍',  '8'),
  (14,   7, 2, 3,    7, 'WC電鍍-2',      'PL2', 'PL',   3, 0, '{RACK PLATING LINE,BARREL PLATING LINE}', '電鍍',  '8'),
  (15, 107, 0, 1,    7, 'WC補鍍-1',      'PLT', 'PL',   2, 0, '{TOUCH-UP PLATER}',                    '電鍍',     '8'),
  (16,   8, 0, 1,    8, 'WC移印-1',      'MK1', 'MK',   6, 1, '{LASER MARKER,PAD PRINTER}',           '移印',     '9'),
  (17,   9, 0, 1,    9, 'WC切彎腳-1',    'TF1', 'TF',   6, 1, '{TRIM FORM TF-8}',                     '切彎腳',   '10'),
  (18,  10, 0, 2,   10, 'WC元件切割-1',  'PS1', 'PS',   4, 0, '{DISCO DFD6362}',                      '元件切割', '11'),
  (19,  10, 1, 2,   10, 'PKG_SAW-01',    'PS2', 'PS',   3, 1, '{DISCO DFD6362}',                      '元件切割', '11'),
  (20,  11, 0, 3,   11, 'TMTT-01',       'TM1', 'TMTT', 8, 1, '{TESEC 881-TT,ADVANTEST T2000}',       '測試',     '12'),
  (21,  11, 1, 3,   11, 'TMTT-02',       'TM2', 'TMTT', 8, 0, '{TESEC 881-TT,ADVANTEST T2000}',       '測試',     '12'),
  (22,  11, 2, 3,   11, 'WC測試-1',      'TS1', 'TMTT', 4, 1, '{TESEC 881-TT}',                       '測試',     '12'),
  (23, 100, 0, 1, NULL, 'IQC',           'IQC', 'IQ',   2, 0, '{MICROSCOPE}',                         'QA',       '0'),
  (24, 101, 0, 1, NULL, 'QC抽檢',        'QCS', 'QC',   3, 0, '{AOI}',                                'QA',       '5'),
  (25, 102, 0, 1, NULL, 'WC烘烤-1',      'BK1', 'OV',   3, 1, '{OVEN}',                               '烘烤',     '5'),
  (26, 103, 0, 1, NULL, 'WC目檢-1',      'VI1', 'VI',   3, 0, '{MICROSCOPE}',                         'QA',       '10'),
  (27, 104, 0, 1, NULL, 'OQC',           'OQC', 'OQ',   2, 0, '{AOI}',                                'QA',       '13');

-- Products: an order makes one product; package = productlinename. Some pj_type values carry
-- trailing blanks, as in the real warehouse (consumers must TRIM).
CREATE TABLE dwh_gen.product (
  product_id integer PRIMARY KEY, productname text, pj_function text, package text, pkgcode text,
  pj_type text, pj_bop text
);
INSERT INTO dwh_gen.product VALUES
  ( 1, 'BAV99W',    'SWITCHING', 'SOT-323', 'SOT323',  'PJA',   'BOP-S323-A'),
  ( 2, 'BZX84C5V1', 'ZENER',     'SOT-23',  'SOT23',   'PJB ',  'BOP-S23-Z'),
  ( 3, 'MMBT3904',  'BJT',       'SOT-23',  'SOT23',   'PJA',   'BOP-S23-B'),
  ( 4, 'BAT54S',    'SCHOTTKY',  'SOT-23',  'SOT23',   'PJC',   'BOP-S23-S'),
  ( 5, '1N4148W',   'SWITCHING', 'SOD-123', 'SOD123',  'PJA',   'BOP-D123-A'),
  ( 6, 'MMSZ5V1',   'ZENER',     'SOD-123', 'SOD123',  'PJB ',  'BOP-D123-Z'),
  ( 7, 'RB521S30',  'SCHOTTKY',  'SOD-323', 'SOD323',  'PJC',   'BOP-D323-S'),
  ( 8, 'ESD5V0D3',  'TVS',       'SOD-323', 'SOD323',  'PJD  ', 'BOP-D323-T'),
  ( 9, 'PJQ2301',   'MOSFET',    'SOT-23',  'SOT23',   'PJM',   'BOP-S23-M'),
  (10, 'PJQ4435',   'MOSFET',    'DFN2020', 'DFN2020', 'PJM',   'BOP-DFN-M'),
  (11, 'SS34',      'SCHOTTKY',  'SMA',     'SMA',     'PJC',   'BOP-SMA-S'),
  (12, 'SMAJ15A',   'TVS',       'SMA',     'SMA',     'PJD  ', 'BOP-SMA-T'),
  (13, 'SMBJ24CA',  'TVS',       'SMB',     'SMB',     'PJD  ', 'BOP-SMB-T'),
  (14, 'ES2J',      'RECTIFIER', 'SMB',     'SMB',     'PJE',   'BOP-SMB-R'),
  (15, 'PJD50N06',  'MOSFET',    'TO-252',  'TO252',   'PJM',   'BOP-252-M'),
  (16, 'MBR10100',  'SCHOTTKY',  'TO-252',  'TO252',   'PJC',   'BOP-252-S');

-- Materials consumed at the 焊接 / 成型 steps (grp 1 DB, 2 WB, 3 DW, 4 成型); pi = index within grp.
-- scale = typical qtyconsumed (decimals: grams, metres, strips).
CREATE TABLE dwh_gen.part (
  grp integer, pi integer, grp_n integer, partname text, lotprefix text, description text,
  scale float8, PRIMARY KEY (grp, pi)
);
INSERT INTO dwh_gen.part VALUES
  (1, 0, 3, 'LF-CU-194',       'LF',  '導線架 C194 銅合金',            120),
  (1, 1, 3, 'EPX-84-1LMI',     'EPX', '銀膠 Ablestik 84-1LMI',         3.5),
  (1, 2, 3, 'DAF-8UM',         'DAF', 'Die attach film 8um',           12),
  (2, 0, 3, 'AUW-1.0MIL',      'AUW', '金線 1.0mil 4N',                 450),
  (2, 1, 3, 'CUW-0.8MIL',      'CUW', '銅線 0.8mil Pd coated',          600),
  (2, 2, 3, 'AGW-0.9MIL',      'AGW', 'Ag alloy wire 0.9mil',           500),
  (3, 0, 2, 'SP-SAC305',       'SAC', '錫膏 SAC305',                    8),
  (3, 1, 2, 'SW-0.5MM',        'SW',  'Solder wire 0.5mm',              25),
  (4, 0, 3, 'EMC-G700',        'EMC', '環氧樹脂 EMC G700 (綠色)',        950),
  (4, 1, 3, 'EMC-KMC-2110',    'KMC', 'Molding compound KMC-2110',      900),
  (4, 2, 3, 'EMC-EME-G631H',   'EME', '環氧模封料 EME-G631H',           1000);

ANALYZE dwh_gen.workcenter, dwh_gen.product, dwh_gen.part;   -- row estimates for the generator's joins

-- Which generation produced the current dwh contents (read by shape-checks.sql / bad-data-checks.sql
-- to know the expected container count, the window, and whether bad data was injected).
CREATE TABLE dwh_gen.last_run (
  lots integer, days integer, seed bigint, bad_data boolean,
  window_start timestamp(0), window_end timestamp(0)
);

------------------------------------------------------------------------------------------------
-- The generator.
------------------------------------------------------------------------------------------------
CREATE FUNCTION dwh_gen.generate(p_lots integer, p_days integer, p_seed bigint,
                                 p_bad_data boolean DEFAULT false) RETURNS void
  LANGUAGE plpgsql
  -- Fixed session settings: output must not depend on the caller's time zone or date style, and the
  -- big sorts (2M history rows at 120k lots) should stay in memory.
  SET timezone = 'UTC'
  SET datestyle = 'ISO, YMD'
  SET work_mem = '256MB'
  SET jit = off                         -- JIT compilation costs seconds per statement and gains nothing here
  SET client_min_messages = 'warning'   -- no "does not exist, skipping" notices from the temp drops
AS $fn$
DECLARE
  c_cid_base  constant bigint := x'4881038000100000'::bigint;   -- containerid = to_hex(base + 16n + 0..15)
  c_res_base  constant bigint := x'4880e2c700000000'::bigint;   -- resourceid
  c_job_base  constant bigint := x'4882a91c00000000'::bigint;   -- jobid
  c_gd_key    constant bigint := 1000000000000;                  -- staging keys per kind (g_lot.key)
  c_wafer_key constant bigint := 2000000000000;
  c_fin_key   constant bigint := 3000000000000;
  t_end   constant timestamp := timestamp '2026-07-01 00:00:00';  -- window end (exclusive)
  t_start timestamp;
  ts      float8;    -- time compression for short windows (1 = real speed)
  v_win   float8;    -- window length, seconds
  v_avail float8;    -- seconds over which lot / order starts are spread
  n_wafer integer; n_gd integer; n_src_target integer; n_prod integer;
  v_rcand integer; v_ocand integer; v_gdroot integer;
  v_maxid bigint; v_depth integer; v_cnt bigint; v_np bigint; v_leaves bigint; v_psrc float8;
  v_nprodcat integer;
BEGIN
  IF p_lots IS NULL OR p_lots < 100 THEN
    RAISE EXCEPTION 'dwh_gen.generate: p_lots must be >= 100 (got %)', p_lots;
  END IF;
  IF p_days IS NULL OR p_days < 1 THEN
    RAISE EXCEPTION 'dwh_gen.generate: p_days must be >= 1 (got %)', p_days;
  END IF;
  p_bad_data := coalesce(p_bad_data, false);

  t_start := t_end - make_interval(days => p_days);
  v_win   := extract(epoch FROM t_end - t_start);
  ts      := least(1.0, p_days / 40.0);
  -- A route takes at most 18 sessions x 14 h = 10.5 days, a deep split chain adds up to 25 x 6 h,
  -- the root offset within its order 36 h: reserve 20 days (scaled) at the end of the window.
  v_avail := v_win - 20 * 86400 * ts;

  -- Container budget: ~2.5% wafer lots, ~3% GD rework lots, ~15% of containers are merge sources in
  -- groups of 3.5 on average (finished lots), the rest production lots in split trees.
  n_wafer      := greatest(3, round(p_lots * 0.025));
  n_gd         := greatest(3, round(p_lots * 0.03));
  n_src_target := round(p_lots * 0.15);
  n_prod       := p_lots - n_wafer - n_gd - round(n_src_target / 3.5)::integer;
  -- Expected split-tree size is ~2.65 containers; generate 35% more candidate roots and keep whole
  -- trees until the budget is used (so the count is close to p_lots whatever the seed).
  v_rcand := ceil(n_prod / 2.65 * 1.35)::integer + 20;
  v_ocand := ceil(v_rcand / 4.5 * 1.5)::integer + 10;   -- orders hold 1..8 roots (mean 4.5)
  SELECT count(*) INTO v_nprodcat FROM dwh_gen.product;

  TRUNCATE dwh.dw_mes_container, dwh.dw_mes_lotwiphistory, dwh.dw_mes_lotmaterialshistory,
           dwh.dw_mes_lotrejecthistory, dwh.dw_mes_holdreleasehistory, dwh.dw_mes_job,
           dwh.dw_mes_pj_combinedassylots, dwh.dw_mes_spec_workcenter_v, dwh.dw_mes_wip,
           dwh.dw_mes_resource;
  DELETE FROM dwh_gen.last_run;
  INSERT INTO dwh_gen.last_run VALUES (p_lots, p_days, p_seed, p_bad_data, t_start, t_end);

  -- Staging tables live in pg_temp and vanish at commit; drop leftovers of an earlier call made in
  -- the same transaction.
  DROP TABLE IF EXISTS pg_temp.g_order, pg_temp.g_node, pg_temp.g_lot, pg_temp.g_merge,
    pg_temp.g_mach, pg_temp.g_sess, pg_temp.g_msess, pg_temp.g_gd;

  ----------------------------------------------------------------------------------------------
  -- 1. Work orders (GA 85%, GC 15%): start time, product, number of root lots (1..8).
  ----------------------------------------------------------------------------------------------
  CREATE TEMP TABLE g_order ON COMMIT DROP AS
  SELECT o,
         nroots,
         (coalesce(sum(nroots) OVER (ORDER BY o ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))::integer AS cum,
         CASE WHEN dwh_gen.rnd(p_seed, o, 2) < 0.85 THEN 'GA' ELSE 'GC' END AS prefix,
         t_start + dwh_gen.secs(dwh_gen.rnd(p_seed, o, 3) * v_avail) AS t_o,
         dwh_gen.ri(p_seed, o, 4, 1, v_nprodcat) AS product,
         NULL::text AS name,
         0 AS wafer
  FROM (SELECT o, dwh_gen.ri(p_seed, o, 1, 1, 8) AS nroots FROM generate_series(1, v_ocand) o) x;
  DELETE FROM g_order WHERE cum >= v_rcand;
  -- Wafer lot used by the order: wafer lots are numbered in time, so an order takes one whose index
  -- matches its start time (+-2 jitter); a root sometimes takes the next one (see below).
  UPDATE g_order SET wafer = least(n_wafer - 1, greatest(0,
           floor(extract(epoch FROM t_o - t_start) / greatest(v_avail, 1) * n_wafer
                 + dwh_gen.rnd(p_seed, o, 12) * 4 - 2)))::integer;

  ----------------------------------------------------------------------------------------------
  -- 2. Split trees, one level per loop pass. Tree kinds (chosen per root):
  --   S single lot, no split (52%)          H shallow: depth limit 1..3, 1-3 children at the root,
  --   M medium chain: depth 4..12 (1.45%)       0-2 below (46.5%)
  --   D deep chain: depth 21..25 (0.05%, and root 3 always when p_lots >= 500, so every warehouse
  --     of realistic size has a chain longer than the reference's MAX_SPLIT_DEPTH = 20).
  -- A chain node has one chain child (k = 1) and with 30% a side child that is a leaf.
  ----------------------------------------------------------------------------------------------
  CREATE TEMP TABLE g_node (
    id bigint PRIMARY KEY, root bigint, parent bigint, depth integer, k integer, kind char(1),
    lim integer, chain boolean, ord integer, qty integer, t0 timestamp(0)
  ) ON COMMIT DROP;

  INSERT INTO g_node
  SELECT r, r, NULL, 0, 0, kind,
         CASE kind WHEN 'H' THEN CASE WHEN v < 0.40 THEN 1 WHEN v < 0.75 THEN 2 ELSE 3 END
                   WHEN 'M' THEN 4 + floor(v * 9)::integer
                   WHEN 'D' THEN 21 + floor(v * 5)::integer
                   ELSE 0 END,
         kind IN ('M', 'D'),
         o, 8000 + 40 * dwh_gen.ri(p_seed, r, 7, 0, 1049),
         t_o + dwh_gen.secs(dwh_gen.rnd(p_seed, r, 8) * 36 * 3600 * ts)
  FROM (
    SELECT g.o, g.t_o, g.cum + i AS r,
           CASE WHEN g.cum + i = 3 AND p_lots >= 500 THEN 'D'
                WHEN u < 0.52   THEN 'S'
                WHEN u < 0.985  THEN 'H'
                WHEN u < 0.9995 THEN 'M'
                ELSE 'D' END AS kind,
           dwh_gen.rnd(p_seed, g.cum + i, 6) AS v
    FROM g_order g
    CROSS JOIN LATERAL generate_series(1, g.nroots) i
    CROSS JOIN LATERAL (SELECT dwh_gen.rnd(p_seed, g.cum + i, 5) AS u) uu
    WHERE g.cum + i <= v_rcand
  ) roots;
  SELECT max(id) INTO v_maxid FROM g_node;

  v_depth := 0;
  LOOP
    INSERT INTO g_node
    SELECT v_maxid + row_number() OVER (ORDER BY p.id, c.k),
           p.root, p.id, p.depth + 1, c.k, p.kind, p.lim, p.chain AND c.k = 1, p.ord,
           -- a split child takes 25-75% of its parent's quantity (at least 1000)
           greatest(1000, round(p.qty * (0.25 + 0.5 * dwh_gen.rnd(p_seed, p.id * 8 + c.k, 10))))::integer,
           -- ... and starts 1-6 h after the parent
           p.t0 + dwh_gen.secs((1 + 5 * dwh_gen.rnd(p_seed, p.id * 8 + c.k, 11)) * 3600 * ts)
    FROM g_node p
    CROSS JOIN LATERAL (SELECT dwh_gen.rnd(p_seed, p.id, 9) AS u) uu
    CROSS JOIN LATERAL generate_series(1,
      CASE p.kind
        WHEN 'S' THEN 0
        WHEN 'H' THEN CASE WHEN p.depth >= p.lim THEN 0
                           WHEN p.depth = 0 THEN CASE WHEN uu.u < 0.30 THEN 1 WHEN uu.u < 0.75 THEN 2 ELSE 3 END
                           ELSE CASE WHEN uu.u < 0.50 THEN 0 WHEN uu.u < 0.70 THEN 1 ELSE 2 END END
        ELSE CASE WHEN p.chain AND p.depth < p.lim THEN 1 + (uu.u < 0.3)::integer ELSE 0 END
      END) c(k)
    WHERE p.depth = v_depth;
    GET DIAGNOSTICS v_cnt = ROW_COUNT;
    EXIT WHEN v_cnt = 0;
    v_maxid := v_maxid + v_cnt;
    v_depth := v_depth + 1;
  END LOOP;

  -- Keep whole trees, in root order, while the production budget lasts.
  DELETE FROM g_node n
  USING (SELECT root, sum(c) OVER (ORDER BY root) AS cs
         FROM (SELECT root, count(*) AS c FROM g_node GROUP BY root) s) t
  WHERE n.root = t.root AND t.cs > n_prod;
  ANALYZE g_node;

  -- Order names: prefix || yymm of the order start || sequence within (prefix, month).
  UPDATE g_order g SET name = x.name
  FROM (SELECT o, prefix || to_char(t_o, 'YYMM')
                  || dwh_gen.pad(row_number() OVER (PARTITION BY prefix, to_char(t_o, 'YYMM') ORDER BY o), 4) AS name
        FROM g_order WHERE o IN (SELECT DISTINCT ord FROM g_node)) x
  WHERE x.o = g.o;

  ----------------------------------------------------------------------------------------------
  -- 3. g_lot: one staging row per container (all kinds), with everything later tables need.
  --   kind W wafer lot, P production (GA/GC split trees), G GD rework, F finished (merge target).
  ----------------------------------------------------------------------------------------------
  CREATE TEMP TABLE g_lot (
    key bigint PRIMARY KEY, kind char(1), n bigint, cid text,
    parent_key bigint, orig_key bigint, parent_cid text,   -- parent_cid: dangling ref (bad data)
    name text, ordername text, objecttype text, firstname text, pj_type text,
    product integer, qty integer, t0 timestamp(0), depth integer, nextra integer,
    badwb boolean DEFAULT false, bad_role text
  ) ON COMMIT DROP;

  -- Wafer lots: indexed in time; name letter = month of that time ('WL26C0042').
  INSERT INTO g_lot (key, kind, name, objecttype, qty, t0, depth)
  SELECT c_wafer_key + w, 'W',
         'WL' || to_char(tw, 'YY') || chr(64 + extract(month FROM tw)::integer) || dwh_gen.pad(w + 1, 4),
         'LOT', 25, tw - dwh_gen.secs(20 * 86400 * ts), 0
  FROM generate_series(0, n_wafer - 1) w
  CROSS JOIN LATERAL (SELECT t_start + dwh_gen.secs(w::float8 / n_wafer * greatest(v_avail, 1)) AS tw) x;

  -- Production lots. firstname: the root's wafer lot (order's wafer, 30% of roots the next one),
  -- inherited by split children except 2% where MES did not carry it.
  INSERT INTO g_lot (key, kind, parent_key, name, ordername, objecttype, firstname, product, qty, t0,
                     depth, nextra)
  SELECT n.id, 'P', n.parent,
         o.name || '-A' || dwh_gen.pad(n.depth, 2) || '-'
                || dwh_gen.pad(row_number() OVER (PARTITION BY n.ord, n.depth ORDER BY n.id), 3),
         o.name,
         CASE WHEN dwh_gen.rnd(p_seed, n.id, 14) < 0.02 THEN NULL ELSE 'PRODUCT' END,
         CASE WHEN n.depth > 0 AND dwh_gen.rnd(p_seed, n.id, 15) < 0.02 THEN NULL ELSE w.name END,
         o.product, n.qty, n.t0, n.depth,
         dwh_gen.ri(p_seed, n.id, 20, 0, 6)              -- 0..6 extra sessions: 12..18 in total
  FROM g_node n
  JOIN g_order o ON o.o = n.ord
  JOIN g_lot w ON w.key = c_wafer_key
        + least(n_wafer - 1, o.wafer + (dwh_gen.rnd(p_seed, n.root, 13) < 0.3)::integer);

  -- GD rework lots: each reworks (originalcontainerid) a random production lot, starting 12-22 days
  -- (scaled) after it; two GD lots per GD order. 15% of them split into 1-2 children that carry
  -- splitfromid but no originalcontainerid.
  SELECT count(*) INTO v_np FROM g_lot WHERE kind = 'P';
  v_gdroot := greatest(2, round(n_gd / 1.22)::integer);
  CREATE TEMP TABLE g_gd ON COMMIT DROP AS
  SELECT g, (g + 1) / 2 AS gord, p.key AS orig_key, p.firstname, p.product,
         greatest(1000, round(p.qty * (0.05 + 0.3 * dwh_gen.rnd(p_seed, g, 141))))::integer AS qty,
         least(p.t0 + dwh_gen.secs((12 + 10 * dwh_gen.rnd(p_seed, g, 142)) * 86400 * ts),
               t_end - dwh_gen.secs(20 * 86400 * ts)) AS t0,
         NULL::text AS oname
  FROM generate_series(1, v_gdroot) g
  JOIN (SELECT key, firstname, product, qty, t0, row_number() OVER (ORDER BY key) AS rk
        FROM g_lot WHERE kind = 'P') p
    ON p.rk = 1 + floor(dwh_gen.rnd(p_seed, g, 140) * v_np)::bigint;
  UPDATE g_gd SET oname = x.oname
  FROM (SELECT gord, 'GD' || to_char(t0, 'YYMM')
                     || dwh_gen.pad(dense_rank() OVER (PARTITION BY to_char(t0, 'YYMM') ORDER BY gord), 4) AS oname
        FROM (SELECT gord, min(t0) AS t0 FROM g_gd GROUP BY gord) y) x
  WHERE x.gord = g_gd.gord;

  INSERT INTO g_lot (key, kind, orig_key, name, ordername, objecttype, firstname, product, qty, t0,
                     depth, nextra)
  SELECT c_gd_key + g * 8, 'G', orig_key,
         oname || '-R00-' || dwh_gen.pad(row_number() OVER (PARTITION BY gord ORDER BY g), 3),
         oname,
         CASE WHEN dwh_gen.rnd(p_seed, g, 144) < 0.02 THEN NULL ELSE 'PRODUCT' END,
         firstname, product, qty, t0, 0, dwh_gen.ri(p_seed, c_gd_key + g * 8, 20, 0, 6)
  FROM g_gd;

  INSERT INTO g_lot (key, kind, parent_key, name, ordername, objecttype, firstname, product, qty, t0,
                     depth, nextra)
  SELECT c_gd_key + g * 8 + c, 'G', c_gd_key + g * 8,
         oname || '-R01-' || dwh_gen.pad(row_number() OVER (PARTITION BY gord ORDER BY g, c), 3),
         oname, 'PRODUCT', firstname, product, greatest(1000, qty / 2),
         t0 + dwh_gen.secs((1 + 5 * dwh_gen.rnd(p_seed, g * 8 + c, 145)) * 3600 * ts), 1,
         dwh_gen.ri(p_seed, c_gd_key + g * 8 + c, 20, 0, 6)
  FROM g_gd
  CROSS JOIN LATERAL generate_series(1,
    CASE WHEN dwh_gen.rnd(p_seed, g, 143) < 0.15 THEN 1 + (dwh_gen.rnd(p_seed, g, 146) < 0.5)::integer
         ELSE 0 END) c;
  ANALYZE g_lot;

  ----------------------------------------------------------------------------------------------
  -- 4. Merges: leaf GA/GC lots (no split children) are merge sources with a probability that makes
  --    ~15% of all containers sources; consecutive sources (by order, key) form groups of 2-5 that
  --    are combined into one finished lot with one serial number.
  ----------------------------------------------------------------------------------------------
  SELECT count(*) INTO v_leaves FROM g_lot l
  WHERE l.kind = 'P' AND NOT EXISTS (SELECT 1 FROM g_lot c WHERE c.parent_key = l.key);
  v_psrc := least(1.0, n_src_target::float8 / greatest(v_leaves, 1));

  CREATE TEMP TABLE g_merge ON COMMIT DROP AS
  WITH src AS (
    SELECT l.key, row_number() OVER (ORDER BY l.ordername, l.key) AS rk
    FROM g_lot l
    WHERE l.kind = 'P' AND dwh_gen.rnd(p_seed, l.key, 40) < v_psrc
      AND NOT EXISTS (SELECT 1 FROM g_lot c WHERE c.parent_key = l.key)
  ), grp AS (
    SELECT f, sz, coalesce(sum(sz) OVER (ORDER BY f ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS cum
    FROM (SELECT f, dwh_gen.ri(p_seed, f, 41, 2, 5) AS sz
          FROM generate_series(1, (SELECT count(*) FROM src)::integer / 2 + 1) f) g
  ), member AS (
    SELECT grp.f, src.key, i
    FROM grp CROSS JOIN LATERAL generate_series(1, grp.sz) i
    JOIN src ON src.rk = grp.cum + i
  )
  SELECT f, key AS src_key, i FROM member
  WHERE f IN (SELECT f FROM member GROUP BY f HAVING count(*) >= 2);   -- a last group of 1 is dropped

  -- Finished lots: order / firstname / product of the first source, quantity = sum of sources.
  INSERT INTO g_lot (key, kind, name, ordername, objecttype, firstname, product, qty, t0, depth)
  SELECT c_fin_key + f, 'F',
         ordername || '-F' || dwh_gen.pad(row_number() OVER (PARTITION BY ordername ORDER BY f), 3),
         ordername, 'PRODUCT', firstname, product, qty,
         least(t0 + dwh_gen.secs(12 * 86400 * ts), t_end - interval '1 hour'), 0
  FROM (SELECT m.f,
               (array_agg(s.ordername ORDER BY m.i))[1] AS ordername,
               (array_agg(s.firstname ORDER BY m.i))[1] AS firstname,
               (array_agg(s.product ORDER BY m.i))[1] AS product,
               sum(s.qty)::integer AS qty, max(s.t0) AS t0
        FROM g_merge m JOIN g_lot s ON s.key = m.src_key
        GROUP BY m.f) x;

  ----------------------------------------------------------------------------------------------
  -- 5. Container numbers and ids: n in creation (start time) order.
  ----------------------------------------------------------------------------------------------
  -- The low hex digit is hashed so ids do not look like a plain counter ('48810380001cba48').
  UPDATE g_lot l SET n = x.rn, cid = to_hex(c_cid_base + x.rn * 16 + dwh_gen.ri(p_seed, x.rn, 16, 0, 15)),
                     pj_type = (SELECT p.pj_type FROM dwh_gen.product p WHERE p.product_id = l.product)
  FROM (SELECT key, row_number() OVER (ORDER BY t0, key) AS rn FROM g_lot) x
  WHERE x.key = l.key;

  ----------------------------------------------------------------------------------------------
  -- 6. Bad data (only when asked). Each manipulated lot gets a bad_role so picks stay disjoint.
  --    Everything downstream reads ids and names from g_lot, so references follow automatically.
  ----------------------------------------------------------------------------------------------
  CREATE INDEX ON g_lot (parent_key);
  ANALYZE g_lot;

  IF p_bad_data THEN
    -- Split cycles: two 2-cycles (a root with exactly one leaf child: root.splitfromid := child),
    -- one 3-cycle (root -> child -> grandchild: root.splitfromid := grandchild), one self-loop.
    UPDATE g_lot r SET parent_key = x.child, bad_role = 'cycle2'
    FROM (SELECT r.key AS root, min(c.key) AS child
          FROM g_lot r JOIN g_lot c ON c.parent_key = r.key
          WHERE r.kind = 'P' AND r.parent_key IS NULL AND r.depth = 0
            AND NOT EXISTS (SELECT 1 FROM g_lot gc JOIN g_lot c2 ON gc.parent_key = c2.key
                            WHERE c2.parent_key = r.key)
          GROUP BY r.key HAVING count(*) = 1
          ORDER BY dwh_gen.rnd(p_seed, r.key, 90), r.key LIMIT 2) x
    WHERE r.key = x.root;
    UPDATE g_lot SET bad_role = 'cycle2' WHERE key IN (SELECT parent_key FROM g_lot WHERE bad_role = 'cycle2');

    UPDATE g_lot r SET parent_key = x.gc, bad_role = 'cycle3'
    FROM (SELECT r.key AS root, min(gc.key) AS gc
          FROM g_lot r JOIN g_lot c ON c.parent_key = r.key JOIN g_lot gc ON gc.parent_key = c.key
          WHERE r.kind = 'P' AND r.parent_key IS NULL AND r.depth = 0 AND r.bad_role IS NULL
          GROUP BY r.key
          ORDER BY dwh_gen.rnd(p_seed, r.key, 91), r.key LIMIT 1) x
    WHERE r.key = x.root;

    -- Self-loop and a dangling splitfromid (parent purged from the warehouse) on single lots.
    UPDATE g_lot SET parent_key = key, bad_role = 'selfloop'
    WHERE key = (SELECT l.key FROM g_lot l
                 WHERE l.kind = 'P' AND l.parent_key IS NULL AND l.bad_role IS NULL
                   AND NOT EXISTS (SELECT 1 FROM g_lot c WHERE c.parent_key = l.key)
                 ORDER BY dwh_gen.rnd(p_seed, l.key, 92), l.key LIMIT 1);
    UPDATE g_lot SET parent_cid = to_hex(c_cid_base + x'dead0000'::bigint + n), bad_role = 'dangling'
    WHERE key IN (SELECT l.key FROM g_lot l
                  WHERE l.kind = 'P' AND l.parent_key IS NULL AND l.bad_role IS NULL
                    AND NOT EXISTS (SELECT 1 FROM g_lot c WHERE c.parent_key = l.key)
                  ORDER BY dwh_gen.rnd(p_seed, l.key, 93), l.key LIMIT 2);

    -- Short ids (13 hex chars; char(16) stores them blank-padded): random production lots, plus
    -- one split parent and one merge source so splitfromid and combinedassylots reference them.
    UPDATE g_lot SET cid = substr(cid, 4), bad_role = 'shortid'
    WHERE key IN (
      (SELECT l.key FROM g_lot l WHERE l.kind = 'P' AND l.bad_role IS NULL
       ORDER BY dwh_gen.rnd(p_seed, l.key, 94), l.key LIMIT greatest(4, p_lots / 2000))
      UNION
      (SELECT l.key FROM g_lot l WHERE l.kind = 'P' AND l.bad_role IS NULL
         AND EXISTS (SELECT 1 FROM g_lot c WHERE c.parent_key = l.key AND c.bad_role IS NULL)
       ORDER BY dwh_gen.rnd(p_seed, l.key, 95), l.key LIMIT 1)
      UNION
      (SELECT l.key FROM g_lot l JOIN g_merge m ON m.src_key = l.key WHERE l.bad_role IS NULL
       ORDER BY dwh_gen.rnd(p_seed, l.key, 96), l.key LIMIT 1));

    -- Untrimmed text: containernames with trailing / leading blanks, firstnames and order names with
    -- trailing blanks, pj_type with a leading blank, one wafer lot name with a trailing blank.
    UPDATE g_lot SET name = CASE WHEN dwh_gen.rnd(p_seed, key, 98) < 0.7 THEN name || '  ' ELSE ' ' || name END,
                     bad_role = 'padname'
    WHERE key IN (SELECT l.key FROM g_lot l WHERE l.kind IN ('P', 'G') AND l.bad_role IS NULL
                  ORDER BY dwh_gen.rnd(p_seed, l.key, 97), l.key LIMIT greatest(6, p_lots / 500));
    UPDATE g_lot SET firstname = firstname || ' ', bad_role = 'padfirst'
    WHERE key IN (SELECT l.key FROM g_lot l WHERE l.kind = 'P' AND l.bad_role IS NULL AND l.firstname IS NOT NULL
                  ORDER BY dwh_gen.rnd(p_seed, l.key, 99), l.key LIMIT greatest(3, p_lots / 1000));
    UPDATE g_lot SET ordername = ordername || ' ', bad_role = 'padorder'
    WHERE key IN (SELECT l.key FROM g_lot l WHERE l.kind = 'P' AND l.bad_role IS NULL
                  ORDER BY dwh_gen.rnd(p_seed, l.key, 100), l.key LIMIT greatest(3, p_lots / 1000));
    UPDATE g_lot SET pj_type = ' ' || pj_type, bad_role = 'padtype'
    WHERE key IN (SELECT l.key FROM g_lot l WHERE l.kind = 'P' AND l.bad_role IS NULL
                  ORDER BY dwh_gen.rnd(p_seed, l.key, 101), l.key LIMIT greatest(3, p_lots / 1000));
    UPDATE g_lot SET name = name || ' ', bad_role = 'padwafer'
    WHERE key = (SELECT l.key FROM g_lot l WHERE l.kind = 'W'
                   AND EXISTS (SELECT 1 FROM g_lot p WHERE p.firstname = l.name)
                 ORDER BY dwh_gen.rnd(p_seed, l.key, 102), l.key LIMIT 1);
  END IF;
  ANALYZE g_lot;

  ----------------------------------------------------------------------------------------------
  -- 7. dw_mes_container
  ----------------------------------------------------------------------------------------------
  INSERT INTO dwh.dw_mes_container
    (containerid, containername, mfgordername, objecttype, firstname, originalcontainerid, splitfromid,
     pj_type, pj_bop, productlinename, pj_function, productname, specname, qty)
  SELECT l.cid, l.name, l.ordername, l.objecttype, l.firstname, o.cid, coalesce(p.cid, l.parent_cid),
         l.pj_type, pr.pj_bop, pr.package, pr.pj_function, pr.productname,
         CASE l.kind WHEN 'W' THEN 'WAFER-BANK'
                     WHEN 'F' THEN 'SP-' || pr.pkgcode || '-FG'
                     ELSE 'SP-' || pr.pkgcode || '-TM1' END,
         l.qty
  FROM g_lot l
  LEFT JOIN g_lot p ON p.key = l.parent_key
  LEFT JOIN g_lot o ON o.key = l.orig_key
  LEFT JOIN dwh_gen.product pr ON pr.product_id = l.product
  ORDER BY l.n;

  ----------------------------------------------------------------------------------------------
  -- 8. Equipment (dw_mes_resource): machines per workcenter, named by station prefix and numbered
  --    across the workcenters that share it ('WB-01'..'WB-18', 'TMTT-01'..). mi < nmach run lots.
  ----------------------------------------------------------------------------------------------
  CREATE TEMP TABLE g_mach ON COMMIT DROP AS
  SELECT row_number() OVER (ORDER BY w.wc_id, mi) AS m_id, w.wc_id, mi, mi < w.nmach AS active,
         w.eqprefix || '-' || dwh_gen.pad(row_number() OVER (PARTITION BY w.eqprefix ORDER BY w.wc_id, mi), 2) AS name,
         w.families[1 + mi % cardinality(w.families)] AS family
  FROM dwh_gen.workcenter w CROSS JOIN LATERAL generate_series(0, w.nmach + w.nspare - 1) mi;
  ALTER TABLE g_mach ADD COLUMN rid text;
  UPDATE g_mach SET rid = to_hex(c_res_base + m_id * 4099);
  ANALYZE g_mach;

  INSERT INTO dwh.dw_mes_resource (resourceid, resourcename, resourcefamilyname)
  SELECT rid, name, family FROM g_mach ORDER BY m_id;

  -- Spec -> workcenter map: one spec per (workcenter, package); a few specs mapped twice with a
  -- different sequence group (the rejects domain must pick the lowest).
  INSERT INTO dwh.dw_mes_spec_workcenter_v (spec, work_center, work_center_group, workcentersequence_group)
  SELECT 'SP-' || pk.pkgcode || '-' || w.code, w.name, w.wcgroup, w.seqgrp
  FROM dwh_gen.workcenter w CROSS JOIN (SELECT DISTINCT pkgcode FROM dwh_gen.product) pk
  UNION ALL
  SELECT * FROM (VALUES ('SP-SOT23-TM2',  'WC測試-1', '測試', '14'),
                        ('SP-SOD123-TM2', 'WC測試-1', '測試', '14'),
                        ('SP-SMA-PLT',    'WC補鍍-1', '電鍍', '7'),
                        ('SP-SMB-PLT',    'WC補鍍-1', '電鍍', '7'),
                        ('SP-SOT23-OQC',  'OQC',      'QA',   '12')) d
  ORDER BY 1, 4;

  ----------------------------------------------------------------------------------------------
  -- 9. Sessions (one per track-in): 12 base steps (one per station group, in order) + 0..6 extra
  --    steps, each placed at a route position: unclassified QA / bake steps, or an immediate repeat
  --    of a group (touch-up plating, TMTT retest, wire-bond rework, re-mark). Sorting by position
  --    gives session index k; track-in = t0 + k*14 h + 0..5 h, duration 1..7.5 h (so sessions never
  --    overlap and times increase along the route).
  ----------------------------------------------------------------------------------------------
  CREATE TEMP TABLE g_sess ON COMMIT DROP AS
  WITH st AS (
    SELECT l.key, l.n, l.cid, l.qty, l.t0, l.product, s, l.key * 32 + s AS sk,
           CASE WHEN s < 12 THEN s
                ELSE (ARRAY[100, 101, 102, 103, 104, 107, 11, 2, 8])[e.x] END AS slot,
           CASE WHEN s < 12 THEN s * 10 + 5
                ELSE (ARRAY[2, 47, 48, 96, 118, 76, 116, 26, 86])[e.x] END AS pos
    FROM g_lot l
    CROSS JOIN LATERAL generate_series(0, 11 + l.nextra) s
    CROSS JOIN LATERAL (SELECT dwh_gen.rnd(p_seed, l.key * 32 + s, 21) AS u) uu
    CROSS JOIN LATERAL (SELECT CASE WHEN uu.u < 0.12 THEN 1   -- IQC, before 切割
                                    WHEN uu.u < 0.30 THEN 2   -- QC抽檢 after 成型
                                    WHEN uu.u < 0.38 THEN 3   -- 烘烤 after 成型
                                    WHEN uu.u < 0.45 THEN 4   -- 目檢 after 切彎腳
                                    WHEN uu.u < 0.60 THEN 5   -- OQC after 測試
                                    WHEN uu.u < 0.72 THEN 6   -- 補鍍 right after 電鍍
                                    WHEN uu.u < 0.86 THEN 7   -- TMTT retest
                                    WHEN uu.u < 0.93 THEN 8   -- 焊接_WB rework
                                    ELSE 9 END AS x) e          -- 移印 re-mark
    WHERE l.kind IN ('P', 'G')
  ), ordered AS (
    SELECT st.*, row_number() OVER (PARTITION BY st.n ORDER BY st.pos, st.s) - 1 AS k FROM st
  )
  SELECT o.key, o.n, o.cid, o.s, o.sk, o.k, o.slot, w.grp, w.wc_id, m.m_id, o.product,
         o.t0 + dwh_gen.secs((o.k * 14 + 5 * dwh_gen.rnd(p_seed, o.sk, 24)) * 3600 * ts) AS tin,
         round((1 + 6.5 * dwh_gen.rnd(p_seed, o.sk, 25)) * 3600 * ts)::integer AS dur,
         round(o.qty * (1 - 0.003 * o.k))::integer AS qty,
         CASE WHEN dwh_gen.rnd(p_seed, o.sk, 26) < 0.07 THEN dwh_gen.ri(p_seed, o.sk, 27, 2, 4) ELSE 1 END AS npart
  FROM ordered o
  JOIN dwh_gen.workcenter w
    ON w.slot = o.slot AND w.si = floor(dwh_gen.rnd(p_seed, o.sk, 22) * w.slot_n)::integer
  JOIN g_mach m
    ON m.wc_id = w.wc_id AND m.mi = floor(dwh_gen.rnd(p_seed, o.sk, 23) * w.nmach)::integer;
  CREATE INDEX ON g_sess (key, s);
  ANALYZE g_sess;

  -- Lots whose wire bond ran on WB-07 (a "bad machine"): they get far more rejects at TMTT, with
  -- reason 焊線不良, so backward MSD attribution has a real signal to find.
  UPDATE g_lot l SET badwb = true
  FROM g_sess s JOIN g_mach m ON m.m_id = s.m_id
  WHERE s.key = l.key AND s.grp = 2 AND m.name = 'WB-07';

  ----------------------------------------------------------------------------------------------
  -- 10. dw_mes_lotwiphistory, inserted in track-in time order (as the real table is stored).
  --     A partial session has 2-4 rows with the same containerid / equipmentid / trackintimestamp:
  --     trackinqty is the quantity still remaining (decreasing, e.g. 43200 -> 40680 -> 19440),
  --     trackoutqty the part tracked out by that partial, each with its own trackouttimestamp.
  --     Bad data: a few untrimmed workcenternames, extra rows with NULL equipment (dropped by the
  --     history query's EQUIPMENTID IS NOT NULL filter) and rows with NULL track-in time.
  ----------------------------------------------------------------------------------------------
  INSERT INTO dwh.dw_mes_lotwiphistory
    (containerid, workcentername, equipmentid, equipmentname, specname, trackintimestamp,
     trackouttimestamp, trackinqty, trackoutqty, finishedruncard, pj_workorder)
  SELECT * FROM (
    SELECT s.cid::char(16) AS containerid,
           CASE WHEN p_bad_data AND dwh_gen.rnd(p_seed, s.sk * 8 + j, 147) < 0.003
                THEN CASE WHEN dwh_gen.rnd(p_seed, s.sk * 8 + j, 148) < 0.6 THEN w.name || ' ' ELSE ' ' || w.name END
                ELSE w.name END::varchar(40),
           m.rid::char(16), m.name::varchar(40), ('SP-' || pr.pkgcode || '-' || w.code)::varchar(40),
           s.tin::timestamp(0) AS tin,
           (s.tin + dwh_gen.secs(s.dur::float8 * j / s.npart))::timestamp(0) AS tout,
           q.qin::numeric, q.qout::numeric,
           ('RC' || to_char(l.t0, 'YYMMDD') || '-' || dwh_gen.pad(l.n % 100000, 5))::varchar(255),
           l.ordername::varchar(40)
    FROM g_sess s
    JOIN g_lot l ON l.key = s.key
    JOIN dwh_gen.workcenter w ON w.wc_id = s.wc_id
    JOIN g_mach m ON m.m_id = s.m_id
    JOIN dwh_gen.product pr ON pr.product_id = s.product
    CROSS JOIN LATERAL (SELECT s.qty::bigint AS q1) a
    -- remaining quantity after each partial track-out: 40-95% of the previous one
    CROSS JOIN LATERAL (SELECT CASE WHEN s.npart > 1 THEN round(a.q1 * (0.95 - 0.55 * dwh_gen.rnd(p_seed, s.sk, 28)))::bigint END AS q2) b
    CROSS JOIN LATERAL (SELECT CASE WHEN s.npart > 2 THEN round(b.q2 * (0.95 - 0.55 * dwh_gen.rnd(p_seed, s.sk, 29)))::bigint END AS q3) c
    CROSS JOIN LATERAL (SELECT CASE WHEN s.npart > 3 THEN round(c.q3 * (0.95 - 0.55 * dwh_gen.rnd(p_seed, s.sk, 39)))::bigint END AS q4) d
    CROSS JOIN LATERAL generate_series(1, s.npart) j
    CROSS JOIN LATERAL (
      SELECT qin, CASE WHEN j < s.npart THEN qin - qnext
                       ELSE qin - floor(qin * 0.004 * dwh_gen.rnd(p_seed, s.sk, 37))::bigint END AS qout
      FROM (SELECT (ARRAY[a.q1, b.q2, c.q3, d.q4])[j] AS qin, (ARRAY[b.q2, c.q3, d.q4])[j] AS qnext) z
    ) q
    UNION ALL
    -- bad data: NULL-equipment shadow rows and NULL track-in rows
    SELECT s.cid::char(16), w.name::varchar(40),
           CASE WHEN v.kind = 1 THEN NULL ELSE m.rid END::char(16),
           CASE WHEN v.kind = 1 THEN NULL ELSE m.name END::varchar(40),
           ('SP-' || pr.pkgcode || '-' || w.code)::varchar(40),
           CASE WHEN v.kind = 1 THEN s.tin - interval '10 minutes' END::timestamp(0),
           NULL::timestamp(0), s.qty::numeric, NULL::numeric, NULL::varchar(255), l.ordername::varchar(40)
    FROM g_sess s
    JOIN g_lot l ON l.key = s.key
    JOIN dwh_gen.workcenter w ON w.wc_id = s.wc_id
    JOIN g_mach m ON m.m_id = s.m_id
    JOIN dwh_gen.product pr ON pr.product_id = s.product
    CROSS JOIN LATERAL (SELECT CASE WHEN dwh_gen.rnd(p_seed, s.sk, 38) < 0.005 THEN 1
                                    WHEN dwh_gen.rnd(p_seed, s.sk, 38) < 0.006 THEN 2 END AS kind) v
    WHERE p_bad_data AND v.kind IS NOT NULL
  ) h
  ORDER BY tin NULLS LAST, containerid, tout;

  ----------------------------------------------------------------------------------------------
  -- 11. Materials: 1-4 rows per lot at DB, WB, 成型, DW (in that order of likelihood), at that
  --     session's workcenter / spec / machine. Material lots are per part per day, so many lots
  --     share one material lot (material attribution needs that).
  ----------------------------------------------------------------------------------------------
  INSERT INTO dwh.dw_mes_lotmaterialshistory
    (containerid, materialpartname, materiallotname, description, qtyconsumed, workcentername,
     specname, equipmentname, txndate)
  SELECT l.cid, p.partname,
         p.lotprefix || to_char(s.tin - interval '2 days', 'YYMMDD') || chr(65 + floor(dwh_gen.rnd(p_seed, l.key * 8 + mm, 52) * 3)::integer),
         p.description,
         round((p.scale * (0.5 + dwh_gen.rnd(p_seed, l.key * 8 + mm, 53)) * l.qty / 20000.0)::numeric, 3),
         w.name, 'SP-' || pr.pkgcode || '-' || w.code, m.name,
         s.tin + dwh_gen.secs(dwh_gen.rnd(p_seed, l.key * 8 + mm, 54) * s.dur)
  FROM g_sess s
  JOIN g_lot l ON l.key = s.key
  -- the mm-th material row of a lot is at base step (1, 2, 4, 3)[mm]; a lot has 1..4 of them
  CROSS JOIN LATERAL (SELECT array_position(ARRAY[1, 2, 4, 3], s.s) AS mm) x
  JOIN dwh_gen.part p ON p.grp = s.grp AND p.pi = floor(dwh_gen.rnd(p_seed, l.key * 8 + mm, 51) * p.grp_n)::integer
  JOIN dwh_gen.workcenter w ON w.wc_id = s.wc_id
  JOIN g_mach m ON m.m_id = s.m_id
  JOIN dwh_gen.product pr ON pr.product_id = l.product
  WHERE s.s BETWEEN 1 AND 4 AND x.mm <= dwh_gen.ri(p_seed, l.key, 50, 1, 4)
  ORDER BY 9, 1;

  ----------------------------------------------------------------------------------------------
  -- 12. Rejects: ~33% of lots (85% of WB-07 lots) have 1-4 rows; half of them at 測試 (TMTT),
  --     the rest at random upstream groups, txndate inside the session. Reasons mix Chinese and
  --     ASCII, ~5% NULL; quantity columns sometimes NULL; comments with commas, quotes, newlines.
  ----------------------------------------------------------------------------------------------
  INSERT INTO dwh.dw_mes_lotrejecthistory
    (containerid, workcentername, specname, lossreasonname, equipmentname, rejectcomment, rejectqty,
     standbyqty, qtytoprocess, inprocessqty, processedqty, defectqty, txndate)
  SELECT l.cid, w.name, 'SP-' || pr.pkgcode || '-' || w.code,
         CASE WHEN l.badwb AND r = 1 THEN '焊線不良'
              WHEN dwh_gen.rnd(p_seed, rk, 64) < 0.05 THEN NULL
              WHEN g.grp = 11 THEN dwh_gen.pick('{OPEN/SHORT,VF_HIGH,IR_FAIL,電性不良,漏電,焊線不良,VOID}', dwh_gen.rnd(p_seed, rk, 65))
              ELSE dwh_gen.pick('{刮傷,崩角,異物,腳彎,污染,焊線不良,VOID,PKG_CRACK,溢膠,偏移,DIE_CRACK}', dwh_gen.rnd(p_seed, rk, 65))
         END,
         CASE WHEN dwh_gen.rnd(p_seed, rk, 66) < 0.03 THEN NULL ELSE m.name END,
         CASE WHEN dwh_gen.rnd(p_seed, rk, 67) < 0.60 THEN NULL
              ELSE dwh_gen.pick(ARRAY['AOI 判定不良, 已隔離', '客戶反應 "外觀異常" 需複判',
                                      E'第一次量測 NG\n複測仍 NG', 'retest OK, bin 2',
                                      'MRB: scrap, "per QA"', '刮傷，位於右側', '依 SOP 重工',
                                      'ENG 確認 OK'], dwh_gen.rnd(p_seed, rk, 68)) END,
         CASE WHEN dwh_gen.rnd(p_seed, rk, 69) < 0.05 THEN NULL ELSE dwh_gen.ri(p_seed, rk, 70, 1, 300) END,
         CASE WHEN v1 < 0.70 THEN 0 WHEN v1 < 0.90 THEN NULL ELSE dwh_gen.ri(p_seed, rk, 72, 1, 50) END,
         CASE WHEN v2 < 0.50 THEN NULL ELSE 0 END,
         CASE WHEN v2 < 0.60 THEN 0 ELSE NULL END,
         CASE WHEN v3 < 0.80 THEN 0 WHEN v3 < 0.90 THEN NULL ELSE dwh_gen.ri(p_seed, rk, 75, 1, 100) END,
         CASE WHEN v4 < 0.40 THEN dwh_gen.ri(p_seed, rk, 77, 1, 200) WHEN v4 < 0.80 THEN 0 ELSE NULL END,
         CASE WHEN p_bad_data AND dwh_gen.rnd(p_seed, rk, 78) < 0.02 THEN NULL
              ELSE s.tin + dwh_gen.secs(s.dur * (0.3 + 0.7 * dwh_gen.rnd(p_seed, rk, 79))) END
  FROM g_lot l
  CROSS JOIN LATERAL generate_series(1,
    CASE WHEN dwh_gen.rnd(p_seed, l.key, 60) < CASE WHEN l.badwb THEN 0.85 ELSE 0.33 END
         THEN dwh_gen.ri(p_seed, l.key, 61, 1, 4) ELSE 0 END) r
  CROSS JOIN LATERAL (SELECT l.key * 8 + r AS rk) k
  CROSS JOIN LATERAL (SELECT dwh_gen.rnd(p_seed, k.rk, 71) AS v1, dwh_gen.rnd(p_seed, k.rk, 73) AS v2,
                             dwh_gen.rnd(p_seed, k.rk, 74) AS v3, dwh_gen.rnd(p_seed, k.rk, 76) AS v4) v
  CROSS JOIN LATERAL (SELECT CASE WHEN (l.badwb AND r = 1) OR dwh_gen.rnd(p_seed, k.rk, 62) < 0.5 THEN 11
                                  ELSE floor(dwh_gen.rnd(p_seed, k.rk, 63) * 11)::integer END AS grp) g
  JOIN g_sess s ON s.key = l.key AND s.s = g.grp
  JOIN dwh_gen.workcenter w ON w.wc_id = s.wc_id
  JOIN g_mach m ON m.m_id = s.m_id
  JOIN dwh_gen.product pr ON pr.product_id = l.product
  WHERE l.kind IN ('P', 'G')
  ORDER BY 13, 1;

  ----------------------------------------------------------------------------------------------
  -- 13. Holds: ~5% of lots, 1-2 holds at one of their base sessions; ~15% never released.
  ----------------------------------------------------------------------------------------------
  INSERT INTO dwh.dw_mes_holdreleasehistory
    (containerid, workcentername, holdtxndate, holdemp, holdempdeptname, holdreasonname, holdcomments,
     releasetxndate, releaseemp, releasecomments, ncrid)
  SELECT l.cid, w.name, ht,
         'E' || dwh_gen.pad(dwh_gen.ri(p_seed, hk, 81, 10001, 19999), 5),
         dwh_gen.pick('{品保部,製造一部,製造二部,工程部,設備部}', dwh_gen.rnd(p_seed, hk, 82)),
         dwh_gen.pick('{品質異常,待工程判定,設備異常,來料異常,客戶要求暫停,製程參數異常,MRB待判}', dwh_gen.rnd(p_seed, hk, 83)),
         dwh_gen.pick(ARRAY['外觀異常待確認', 'SPC 超出管制界限', 'hold for ENG review', NULL], dwh_gen.rnd(p_seed, hk, 84)),
         CASE WHEN unreleased THEN NULL ELSE rel END,
         CASE WHEN unreleased THEN NULL ELSE 'E' || dwh_gen.pad(dwh_gen.ri(p_seed, hk, 86, 10001, 19999), 5) END,
         CASE WHEN unreleased THEN NULL ELSE dwh_gen.pick('{確認OK放行,重工後放行,特採放行,release per MRB}', dwh_gen.rnd(p_seed, hk, 87)) END,
         CASE WHEN dwh_gen.rnd(p_seed, hk, 88) < 0.4 THEN 'NCR-' || to_char(ht, 'YYMM') || '-' || dwh_gen.pad(l.n % 10000, 4) END
  FROM g_lot l
  CROSS JOIN LATERAL generate_series(1,
    CASE WHEN dwh_gen.rnd(p_seed, l.key, 80) < 0.05 THEN 1 + (dwh_gen.rnd(p_seed, l.key, 89) < 0.2)::integer ELSE 0 END) h
  CROSS JOIN LATERAL (SELECT l.key * 8 + h AS hk) k
  JOIN g_sess s ON s.key = l.key AND s.s = floor(dwh_gen.rnd(p_seed, k.hk, 110) * 12)::integer
  JOIN dwh_gen.workcenter w ON w.wc_id = s.wc_id
  CROSS JOIN LATERAL (SELECT s.tin + dwh_gen.secs(s.dur * dwh_gen.rnd(p_seed, k.hk, 111)) AS ht) x
  -- released 2-72 h later; a release that would fall after the window end has not happened yet
  CROSS JOIN LATERAL (SELECT x.ht + dwh_gen.secs((2 + 70 * dwh_gen.rnd(p_seed, k.hk, 85)) * 3600 * ts) AS rel) y
  CROSS JOIN LATERAL (SELECT dwh_gen.rnd(p_seed, k.hk, 112) < 0.15 OR y.rel >= t_end AS unreleased) z
  WHERE l.kind IN ('P', 'G')
  ORDER BY 3, 1;

  ----------------------------------------------------------------------------------------------
  -- 14. Equipment jobs (~lots/5): a job on a machine lists 2-6 lots that ran consecutively on it
  --     (comma-separated containerids / containernames, CHAR(16) ids kept blank-padded).
  --     Bad data: a few lists use ', ' separators and a trailing comma.
  ----------------------------------------------------------------------------------------------
  CREATE TEMP TABLE g_msess ON COMMIT DROP AS
  SELECT s.m_id, row_number() OVER (PARTITION BY s.m_id ORDER BY s.tin, s.n, s.s) AS rk,
         s.key, s.tin, s.dur
  FROM g_sess s;
  CREATE INDEX ON g_msess (m_id, rk);
  ANALYZE g_msess;

  INSERT INTO dwh.dw_mes_job
    (jobid, resourceid, resourcename, jobstatus, jobmodelname, jobordername, createdate, completedate,
     causecodename, repaircodename, symptomcodename, containerids, containernames)
  WITH mu AS (
    SELECT m_id, cnt, row_number() OVER (ORDER BY m_id) AS mo
    FROM (SELECT m_id, count(*) AS cnt FROM g_msess GROUP BY m_id) c WHERE cnt >= 8
  ), nmu AS (SELECT count(*) AS c FROM mu),
  job AS (
    SELECT j, mu.m_id, kk, 1 + floor(dwh_gen.rnd(p_seed, j, 132) * (mu.cnt - kk + 1))::bigint AS st
    FROM generate_series(1, greatest(1, p_lots / 5)) j
    CROSS JOIN nmu
    CROSS JOIN LATERAL (SELECT dwh_gen.ri(p_seed, j, 131, 2, 6) AS kk) x
    JOIN mu ON mu.mo = 1 + floor(dwh_gen.rnd(p_seed, j, 130) * nmu.c)::bigint
  ), agg AS (
    SELECT job.j, job.m_id,
           string_agg(rpad(l.cid, 16), ',' ORDER BY ms.rk) AS ids,
           string_agg(l.name, ',' ORDER BY ms.rk) AS names,
           min(ms.tin) AS t1, max(ms.tin + make_interval(secs => ms.dur)) AS t2
    FROM job
    CROSS JOIN LATERAL generate_series(0, job.kk - 1) i
    JOIN g_msess ms ON ms.m_id = job.m_id AND ms.rk = job.st + i
    JOIN g_lot l ON l.key = ms.key
    GROUP BY job.j, job.m_id
  )
  SELECT to_hex(c_job_base + a.j * 7), m.rid, m.name,
         CASE WHEN is_open THEN 'InProgress' ELSE 'Completed' END,
         model,
         'JO' || to_char(a.t1, 'YYMM') || dwh_gen.pad(a.j, 6),
         a.t1 - interval '1 hour',
         CASE WHEN is_open THEN NULL ELSE done END,
         CASE WHEN model = 'BREAKDOWN' THEN dwh_gen.pick('{機構異常,參數飄移,耗材磨耗,SENSOR_FAIL}', dwh_gen.rnd(p_seed, a.j, 135)) END,
         CASE WHEN model = 'BREAKDOWN' AND NOT is_open THEN dwh_gen.pick('{更換零件,調整參數,清潔保養,RESET}', dwh_gen.rnd(p_seed, a.j, 136)) END,
         CASE WHEN model = 'BREAKDOWN' THEN dwh_gen.pick('{良率偏低,異音,停機,ALARM}', dwh_gen.rnd(p_seed, a.j, 137)) END,
         CASE WHEN p_bad_data AND dwh_gen.rnd(p_seed, a.j, 138) < 0.02 THEN replace(a.ids, ',', ', ') || ',' ELSE a.ids END,
         CASE WHEN p_bad_data AND dwh_gen.rnd(p_seed, a.j, 138) < 0.02 THEN replace(a.names, ',', ', ') || ',' ELSE a.names END
  FROM agg a
  JOIN g_mach m ON m.m_id = a.m_id
  CROSS JOIN LATERAL (SELECT a.t2 + dwh_gen.secs((1 + 4 * dwh_gen.rnd(p_seed, a.j, 134)) * 3600 * ts) AS done,
                             dwh_gen.pick('{PM_DAILY,PM_WEEKLY,BREAKDOWN,BREAKDOWN,SETUP,CALIBRATION}', dwh_gen.rnd(p_seed, a.j, 139)) AS model) x
  -- 8% still open; a completion after the window end has not happened yet either
  CROSS JOIN LATERAL (SELECT dwh_gen.rnd(p_seed, a.j, 133) < 0.08 OR x.done >= t_end AS is_open) y
  ORDER BY 7, 1;

  ----------------------------------------------------------------------------------------------
  -- 15. Merges (dw_mes_pj_combinedassylots): source -> finished lot with the serial number
  --     'SN' || yymm || 6 digits; ~2% of rows carry no serial (the leaf-serial query filters NULLs).
  ----------------------------------------------------------------------------------------------
  INSERT INTO dwh.dw_mes_pj_combinedassylots (containerid, containername, finishedname, lotid)
  SELECT s.cid, s.name,
         CASE WHEN dwh_gen.rnd(p_seed, s.key, 42) < 0.02 THEN NULL
              ELSE 'SN' || to_char(f.t0, 'YYMM') || dwh_gen.pad(m.f, 6) END,
         f.cid
  FROM g_merge m
  JOIN g_lot s ON s.key = m.src_key
  JOIN g_lot f ON f.key = c_fin_key + m.f
  ORDER BY m.f, m.i;

  ----------------------------------------------------------------------------------------------
  -- 16. WIP: one row per production / GD lot (workflow of its package), 25% get a second row:
  --     a '點測' (probe) row or an alternative workflow.
  ----------------------------------------------------------------------------------------------
  INSERT INTO dwh.dw_mes_wip (containerid, workflowname, productlinename)
  SELECT l.cid,
         CASE WHEN i = 1 THEN 'WF-' || pr.pkgcode || '-' || chr(65 + floor(dwh_gen.rnd(p_seed, l.key, 120) * 2)::integer)
              WHEN dwh_gen.rnd(p_seed, l.key, 122) < 0.6 THEN 'WF-點測-' || dwh_gen.pad(dwh_gen.ri(p_seed, l.key, 123, 1, 3), 2)
              ELSE 'WF-' || pr.pkgcode || '-R' END,
         CASE WHEN i = 2 AND dwh_gen.rnd(p_seed, l.key, 122) < 0.6 THEN '點測' ELSE pr.package END
  FROM g_lot l
  JOIN dwh_gen.product pr ON pr.product_id = l.product
  CROSS JOIN LATERAL generate_series(1, 1 + (dwh_gen.rnd(p_seed, l.key, 121) < 0.25)::integer) i
  WHERE l.kind IN ('P', 'G')
  ORDER BY l.n, i;
END
$fn$;

------------------------------------------------------------------------------------------------
-- Checksum over every dwh table: per table the md5 of the sorted md5s of its rows' text, then the
-- md5 of all of those. Row order and physical layout do not matter; any changed value does.
------------------------------------------------------------------------------------------------
CREATE FUNCTION dwh_gen.checksum() RETURNS text
  LANGUAGE plpgsql STABLE
  SET timezone = 'UTC'
  SET datestyle = 'ISO, YMD'
  SET work_mem = '256MB'
  SET jit = off
AS $fn$
DECLARE
  t text;
  h text;
  acc text := '';
BEGIN
  FOREACH t IN ARRAY ARRAY['dw_mes_container', 'dw_mes_lotwiphistory', 'dw_mes_lotmaterialshistory',
                           'dw_mes_lotrejecthistory', 'dw_mes_holdreleasehistory', 'dw_mes_job',
                           'dw_mes_pj_combinedassylots', 'dw_mes_spec_workcenter_v', 'dw_mes_wip',
                           'dw_mes_resource'] LOOP
    EXECUTE format('SELECT count(*) || '':'' || md5(coalesce(string_agg(h, '''' ORDER BY h), ''''))
                    FROM (SELECT md5(x::text) AS h FROM dwh.%I x) s', t) INTO h;
    acc := acc || t || '=' || h || ';';
  END LOOP;
  RETURN md5(acc);
END
$fn$;
