-- Indexes the queries need: seed resolution, lineage, every event domain, MSD detection windows.
-- Kept apart from schema.sql so the generator can bulk-load first and index once after the load.
-- Seed resolution
CREATE INDEX ON dwh.dw_mes_container (containername);
CREATE INDEX ON dwh.dw_mes_container (firstname);
CREATE INDEX ON dwh.dw_mes_container (mfgordername);
CREATE INDEX ON dwh.dw_mes_container (upper(mfgordername));
CREATE INDEX ON dwh.dw_mes_pj_combinedassylots (finishedname);
-- Lineage
CREATE INDEX ON dwh.dw_mes_container (splitfromid);
CREATE INDEX ON dwh.dw_mes_container (originalcontainerid);
CREATE INDEX ON dwh.dw_mes_pj_combinedassylots (lotid);
CREATE INDEX ON dwh.dw_mes_pj_combinedassylots (containerid);
-- Event domains (one btree on containerid each) and MSD detection windows
CREATE INDEX ON dwh.dw_mes_lotwiphistory (containerid);
CREATE INDEX ON dwh.dw_mes_lotwiphistory (trackintimestamp);
CREATE INDEX ON dwh.dw_mes_lotmaterialshistory (containerid);
CREATE INDEX ON dwh.dw_mes_lotrejecthistory (containerid);
CREATE INDEX ON dwh.dw_mes_lotrejecthistory (txndate);
CREATE INDEX ON dwh.dw_mes_holdreleasehistory (containerid);
CREATE INDEX ON dwh.dw_mes_wip (containerid);
CREATE INDEX ON dwh.dw_mes_spec_workcenter_v (spec);
CREATE INDEX dw_mes_job_cids_gin ON dwh.dw_mes_job USING gin (dwh.split_ids(containerids));
