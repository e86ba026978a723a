-- Accelerations tracespool recommends beyond the minimal set (indexes-minimal.sql). Every one uses
-- built-in immutable functions only; without them every trace still works, only slower.
-- `tracespool doctor` reports which exist and what each missing one costs. This file and the list
-- in Sources/TracespoolPipeline/WarehouseSQL/RecommendedIndexes.swift are kept equal by a test.
CREATE INDEX dw_mes_container_upper_mfgordername ON dwh.dw_mes_container (upper(mfgordername));
CREATE INDEX dw_mes_container_originalcontainerid ON dwh.dw_mes_container (originalcontainerid);
CREATE INDEX dw_mes_spec_workcenter_v_spec ON dwh.dw_mes_spec_workcenter_v (spec);
CREATE INDEX dw_mes_job_containerids_tokens ON dwh.dw_mes_job USING gin (regexp_split_to_array(btrim(containerids), ' *, *'));
