-- The minimal index set: what the reference's own warehouse has (a btree on every containerid and
-- on the columns the reference itself filters by). A real MES mirror is assumed to have at least
-- these; tracespool works on it unchanged. Applied after the generator's bulk load.
-- Containers: primary key on containerid (schema.sql), seed lookups, the split tree
CREATE INDEX ON dwh.dw_mes_container (containername);
CREATE INDEX ON dwh.dw_mes_container (firstname);
CREATE INDEX ON dwh.dw_mes_container (mfgordername);
CREATE INDEX ON dwh.dw_mes_container (splitfromid);
-- Merges: serial numbers, both directions
CREATE INDEX ON dwh.dw_mes_pj_combinedassylots (finishedname);
CREATE INDEX ON dwh.dw_mes_pj_combinedassylots (lotid);
CREATE INDEX ON dwh.dw_mes_pj_combinedassylots (containerid);
-- Event tables by containerid; the MSD detection windows by time
CREATE INDEX ON dwh.dw_mes_lotwiphistory (containerid);
CREATE INDEX ON dwh.dw_mes_lotwiphistory (trackintimestamp);
CREATE INDEX ON dwh.dw_mes_lotmaterialshistory (containerid);
CREATE INDEX ON dwh.dw_mes_lotrejecthistory (containerid);
CREATE INDEX ON dwh.dw_mes_lotrejecthistory (txndate);
CREATE INDEX ON dwh.dw_mes_holdreleasehistory (containerid);
CREATE INDEX ON dwh.dw_mes_wip (containerid);
