-- tracespool warehouse mirror: schema dwh, the ten MES tables tracespool reads.
-- Column names are the reference's, in lower case; types follow reference/trace-pipeline.md §2.2
-- and reference/msd.md §4 (Oracle CHAR(16) → char(16), VARCHAR2(n) → varchar(n), NUMBER → numeric,
-- DATE → timestamp(0)). Ids are blank-padded char(16): compare trimmed, bind CID batches as bpchar[].
-- Idempotent: drops and recreates schema dwh.
DROP SCHEMA IF EXISTS dwh CASCADE;
CREATE SCHEMA dwh;

-- Lot master, split genealogy (splitfromid), GD rework (originalcontainerid), wafer origin (firstname).
CREATE TABLE dwh.dw_mes_container (
  containerid          char(16) PRIMARY KEY,
  containername        varchar(40),
  mfgordername         varchar(40),
  objecttype           varchar(40),
  firstname            varchar(40),
  originalcontainerid  char(16),
  splitfromid          char(16),
  pj_type              varchar(40),
  pj_bop               varchar(40),
  productlinename      varchar(40),
  pj_function          varchar(40),
  productname          varchar(40),
  specname             varchar(40),
  qty                  numeric
);

-- Track-in / track-out history: the largest table, stored in time order.
CREATE TABLE dwh.dw_mes_lotwiphistory (
  containerid        char(16),
  workcentername     varchar(40),
  equipmentid        char(16),
  equipmentname      varchar(40),
  specname           varchar(40),
  trackintimestamp   timestamp(0),
  trackouttimestamp  timestamp(0),
  trackinqty         numeric,
  trackoutqty        numeric,
  finishedruncard    varchar(255),
  pj_workorder       varchar(40)
);

CREATE TABLE dwh.dw_mes_lotmaterialshistory (
  containerid       char(16),
  materialpartname  varchar(40),
  materiallotname   varchar(40),
  description       varchar(255),
  qtyconsumed       numeric,
  workcentername    varchar(40),
  specname          varchar(40),
  equipmentname     varchar(40),
  txndate           timestamp(0)
);

CREATE TABLE dwh.dw_mes_lotrejecthistory (
  containerid     char(16),
  workcentername  varchar(40),
  specname        varchar(40),
  lossreasonname  varchar(40),
  equipmentname   varchar(255),
  rejectcomment   varchar(255),
  rejectqty       numeric,
  standbyqty      numeric,
  qtytoprocess    numeric,
  inprocessqty    numeric,
  processedqty    numeric,
  defectqty       numeric,
  txndate         timestamp(0)
);

CREATE TABLE dwh.dw_mes_holdreleasehistory (
  containerid      char(16),
  workcentername   varchar(40),
  holdtxndate      timestamp(0),
  holdemp          varchar(40),
  holdempdeptname  varchar(100),
  holdreasonname   varchar(40),
  holdcomments     varchar(255),
  releasetxndate   timestamp(0),
  releaseemp       varchar(40),
  releasecomments  varchar(255),
  ncrid            varchar(255)
);

-- Equipment jobs: containerids/containernames are comma-separated multi-id strings.
CREATE TABLE dwh.dw_mes_job (
  jobid            char(16),
  resourceid       char(16),
  resourcename     varchar(40),
  jobstatus        varchar(40),
  jobmodelname     varchar(40),
  jobordername     varchar(40),
  createdate       timestamp(0),
  completedate     timestamp(0),
  causecodename    varchar(40),
  repaircodename   varchar(40),
  symptomcodename  varchar(40),
  containerids     varchar(2000),
  containernames   varchar(2000)
);

-- Merges: containerid (source lot) was combined into lotid (finished lot), finishedname = serial.
CREATE TABLE dwh.dw_mes_pj_combinedassylots (
  containerid    char(16),
  containername  varchar(40),
  finishedname   varchar(40),
  lotid          char(16)
);

CREATE TABLE dwh.dw_mes_spec_workcenter_v (
  spec                      varchar(40),
  work_center               varchar(40),
  work_center_group         varchar(40),
  workcentersequence_group  varchar(255)
);

CREATE TABLE dwh.dw_mes_wip (
  containerid      char(16),
  workflowname     varchar(40),
  productlinename  varchar(40)
);

CREATE TABLE dwh.dw_mes_resource (
  resourceid          char(16) PRIMARY KEY,
  resourcename        varchar(40),
  resourcefamilyname  varchar(30)
);
