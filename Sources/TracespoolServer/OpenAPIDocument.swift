/// The OpenAPI 3.1 document served at `/openapi.yaml`, kept in this file (README "HTTP API"); a test
/// checks its paths equal `RouteTable` and `scripts/test` validates it.
enum OpenAPIDocument {
    static let yaml = #"""
openapi: 3.1.0
info:
  title: tracespool API
  version: "0.10.0"
  description: Jobs, spooled rows, streams and MSD results of tracespool serve (README "HTTP API").
paths:
  /api/v1/jobs:
    get:
      operationId: listJobs
      summary: "Jobs, newest first, one keyset page"
      parameters:
        - {name: state, in: query, required: false, schema: {type: string, enum: [queued, running, succeeded, failed, cancelled, expired]}}
        - {name: limit, in: query, required: false, schema: {type: integer, minimum: 1, maximum: 10000}}
        - {name: cursor, in: query, required: false, schema: {type: string, pattern: "^j[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$"}}
      responses:
        "200":
          description: the envelope with data
          content: {application/json: {schema: {$ref: "#/components/schemas/Success"}}}
        "400": {$ref: "#/components/responses/Error"}
        "401": {$ref: "#/components/responses/Error"}
        "405": {$ref: "#/components/responses/Error"}
    post:
      operationId: submitJob
      summary: "Queue a trace job (an identical queued or running one is reused unless new=true)"
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/SubmitBody"}
      responses:
        "202":
          description: the envelope with data
          content: {application/json: {schema: {$ref: "#/components/schemas/Success"}}}
          links:
            GetJob: {operationId: getJob, parameters: {id: "$response.body#/data/job_id"}}
            CancelJob: {operationId: cancelJob, parameters: {id: "$response.body#/data/job_id"}}
            DeleteJob: {operationId: deleteJob, parameters: {id: "$response.body#/data/job_id"}}
            GetRows: {operationId: getRows, parameters: {id: "$response.body#/data/job_id"}}
            StreamJob: {operationId: streamJob, parameters: {id: "$response.body#/data/job_id"}}
            ExportCSV: {operationId: exportCSV, parameters: {id: "$response.body#/data/job_id"}}
            GetLineage: {operationId: getLineage, parameters: {id: "$response.body#/data/job_id"}}
            MSDSummary: {operationId: msdSummary, parameters: {id: "$response.body#/data/job_id"}}
        "400": {$ref: "#/components/responses/Error"}
        "401": {$ref: "#/components/responses/Error"}
        "405": {$ref: "#/components/responses/Error"}
        "413": {$ref: "#/components/responses/Error"}
  /api/v1/jobs/{id}:
    get:
      operationId: getJob
      summary: "One job: state, stage, progress, attempts, rows per domain, quality, error, expiry"
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: "^j[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$"}}
      responses:
        "200":
          description: the envelope with data
          content: {application/json: {schema: {$ref: "#/components/schemas/Success"}}}
        "401": {$ref: "#/components/responses/Error"}
        "404": {$ref: "#/components/responses/Error"}
        "405": {$ref: "#/components/responses/Error"}
    delete:
      operationId: deleteJob
      summary: "Cancel the job if needed and remove it with its spool"
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: "^j[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$"}}
      responses:
        "204": {description: removed}
        "401": {$ref: "#/components/responses/Error"}
        "404": {$ref: "#/components/responses/Error"}
        "405": {$ref: "#/components/responses/Error"}
        "409": {$ref: "#/components/responses/Error"}
  /api/v1/jobs/{id}/cancel:
    post:
      operationId: cancelJob
      summary: "Cancel a queued job now, or ask a running job's worker to stop"
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: "^j[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$"}}
      responses:
        "200":
          description: the envelope with data
          content: {application/json: {schema: {$ref: "#/components/schemas/Success"}}}
        "401": {$ref: "#/components/responses/Error"}
        "404": {$ref: "#/components/responses/Error"}
        "405": {$ref: "#/components/responses/Error"}
        "409": {$ref: "#/components/responses/Error"}
  /api/v1/jobs/{id}/rows:
    get:
      operationId: getRows
      summary: "One keyset page of one domain's rows"
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: "^j[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$"}}
        - {name: domain, in: query, required: false, schema: {type: string, enum: [history, upstream_history, materials, rejects, downstream_rejects, holds, jobs]}}
        - {name: limit, in: query, required: false, schema: {type: integer, minimum: 1, maximum: 10000}}
        - {name: cursor, in: query, required: false, schema: {type: string, maxLength: 4096}}
      responses:
        "200":
          description: the envelope with data
          content: {application/json: {schema: {$ref: "#/components/schemas/Success"}}}
        "400": {$ref: "#/components/responses/Error"}
        "401": {$ref: "#/components/responses/Error"}
        "404": {$ref: "#/components/responses/Error"}
        "405": {$ref: "#/components/responses/Error"}
        "409": {$ref: "#/components/responses/Error"}
  /api/v1/jobs/{id}/stream:
    get:
      operationId: streamJob
      summary: "The NDJSON line protocol (records) or one line per CID"
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: "^j[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$"}}
        - {name: layout, in: query, required: false, schema: {type: string, enum: [records, cid]}}
        - {name: domain, in: query, required: false, schema: {type: string, enum: [history, upstream_history, materials, rejects, downstream_rejects, holds, jobs]}}
      responses:
        "200": {description: streamed, content: {application/x-ndjson: {schema: {type: string}}}}
        "400": {$ref: "#/components/responses/Error"}
        "401": {$ref: "#/components/responses/Error"}
        "404": {$ref: "#/components/responses/Error"}
        "405": {$ref: "#/components/responses/Error"}
        "409": {$ref: "#/components/responses/Error"}
        "429": {$ref: "#/components/responses/Error"}
  /api/v1/jobs/{id}/export.csv:
    get:
      operationId: exportCSV
      summary: "One domain as CSV, streamed"
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: "^j[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$"}}
        - {name: domain, in: query, required: false, schema: {type: string, enum: [history, upstream_history, materials, rejects, downstream_rejects, holds, jobs]}}
        - {name: bom, in: query, required: false, schema: {type: boolean}}
        - {name: excel_safe, in: query, required: false, schema: {type: boolean}}
      responses:
        "200": {description: streamed, content: {text/csv: {schema: {type: string}}}}
        "400": {$ref: "#/components/responses/Error"}
        "401": {$ref: "#/components/responses/Error"}
        "404": {$ref: "#/components/responses/Error"}
        "405": {$ref: "#/components/responses/Error"}
        "409": {$ref: "#/components/responses/Error"}
        "429": {$ref: "#/components/responses/Error"}
  /api/v1/jobs/{id}/lineage:
    get:
      operationId: getLineage
      summary: "The lineage document of the job"
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: "^j[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$"}}
      responses:
        "200":
          description: the envelope with data
          content: {application/json: {schema: {$ref: "#/components/schemas/Success"}}}
        "401": {$ref: "#/components/responses/Error"}
        "404": {$ref: "#/components/responses/Error"}
        "405": {$ref: "#/components/responses/Error"}
        "409": {$ref: "#/components/responses/Error"}
  /api/v1/jobs/{id}/msd/summary:
    get:
      operationId: msdSummary
      summary: "The MSD summary, masks applied"
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: "^j[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$"}}
        - {name: loss_reasons, in: query, required: false, schema: {type: string, maxLength: 2000}}
        - {name: pj_types, in: query, required: false, schema: {type: string, maxLength: 2000}}
        - {name: packages, in: query, required: false, schema: {type: string, maxLength: 2000}}
      responses:
        "200":
          description: the envelope with data
          content: {application/json: {schema: {$ref: "#/components/schemas/Success"}}}
        "400": {$ref: "#/components/responses/Error"}
        "401": {$ref: "#/components/responses/Error"}
        "404": {$ref: "#/components/responses/Error"}
        "405": {$ref: "#/components/responses/Error"}
        "409": {$ref: "#/components/responses/Error"}
  /api/v1/jobs/{id}/msd/detail:
    get:
      operationId: msdDetail
      summary: "One page of the MSD detail rows"
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: "^j[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$"}}
        - {name: page, in: query, required: false, schema: {type: integer, minimum: 1, maximum: 1000000}}
        - {name: page_size, in: query, required: false, schema: {type: integer, minimum: 1, maximum: 500}}
        - {name: sort_by, in: query, required: false, schema: {type: string, maxLength: 64}}
        - {name: order, in: query, required: false, schema: {type: string, enum: [asc, desc]}}
        - {name: loss_reasons, in: query, required: false, schema: {type: string, maxLength: 2000}}
        - {name: pj_types, in: query, required: false, schema: {type: string, maxLength: 2000}}
        - {name: packages, in: query, required: false, schema: {type: string, maxLength: 2000}}
      responses:
        "200":
          description: the envelope with data
          content: {application/json: {schema: {$ref: "#/components/schemas/Success"}}}
        "400": {$ref: "#/components/responses/Error"}
        "401": {$ref: "#/components/responses/Error"}
        "404": {$ref: "#/components/responses/Error"}
        "405": {$ref: "#/components/responses/Error"}
        "409": {$ref: "#/components/responses/Error"}
  /api/v1/jobs/{id}/msd/export.csv:
    get:
      operationId: msdExport
      summary: "The MSD detail as CSV with the reference's headers, masks applied"
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: "^j[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$"}}
        - {name: loss_reasons, in: query, required: false, schema: {type: string, maxLength: 2000}}
        - {name: pj_types, in: query, required: false, schema: {type: string, maxLength: 2000}}
        - {name: packages, in: query, required: false, schema: {type: string, maxLength: 2000}}
      responses:
        "200": {description: streamed, content: {text/csv: {schema: {type: string}}}}
        "400": {$ref: "#/components/responses/Error"}
        "401": {$ref: "#/components/responses/Error"}
        "404": {$ref: "#/components/responses/Error"}
        "405": {$ref: "#/components/responses/Error"}
        "409": {$ref: "#/components/responses/Error"}
        "429": {$ref: "#/components/responses/Error"}
  /api/v1/jobs/{id}/report.html:
    get:
      operationId: msdReport
      summary: "The MSD report as one self-contained HTML page, masks applied"
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: "^j[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$"}}
        - {name: top, in: query, required: false, schema: {type: integer, minimum: 1, maximum: 100}}
        - {name: loss_reasons, in: query, required: false, schema: {type: string, maxLength: 2000}}
        - {name: pj_types, in: query, required: false, schema: {type: string, maxLength: 2000}}
        - {name: packages, in: query, required: false, schema: {type: string, maxLength: 2000}}
      responses:
        "200": {description: the page, content: {text/html: {schema: {type: string}}}}
        "400": {$ref: "#/components/responses/Error"}
        "401": {$ref: "#/components/responses/Error"}
        "404": {$ref: "#/components/responses/Error"}
        "405": {$ref: "#/components/responses/Error"}
        "409": {$ref: "#/components/responses/Error"}
  /healthz:
    get:
      operationId: healthz
      summary: "The process answers"
      responses:
        "200":
          description: the envelope with data
          content: {application/json: {schema: {$ref: "#/components/schemas/Success"}}}
        "401": {$ref: "#/components/responses/Error"}
        "405": {$ref: "#/components/responses/Error"}
  /readyz:
    get:
      operationId: readyz
      summary: "The store is writable and the warehouse answers"
      responses:
        "200":
          description: the envelope with data
          content: {application/json: {schema: {$ref: "#/components/schemas/Success"}}}
        "401": {$ref: "#/components/responses/Error"}
        "405": {$ref: "#/components/responses/Error"}
        "503": {$ref: "#/components/responses/Error"}
  /metrics:
    get:
      operationId: metrics
      summary: "Prometheus text"
      responses:
        "200": {description: streamed, content: {text/plain: {schema: {type: string}}}}
        "401": {$ref: "#/components/responses/Error"}
        "405": {$ref: "#/components/responses/Error"}
  /openapi.yaml:
    get:
      operationId: openapi
      summary: "This document"
      responses:
        "200": {description: streamed, content: {application/yaml: {schema: {type: string}}}}
        "401": {$ref: "#/components/responses/Error"}
        "405": {$ref: "#/components/responses/Error"}
components:
  responses:
    Error:
      description: an error in the envelope
      content: {application/json: {schema: {$ref: "#/components/schemas/Failure"}}}
  schemas:
    Meta:
      type: object
      required: [timestamp, app_version]
      properties: {timestamp: {type: string}, app_version: {type: string}}
    Success:
      type: object
      required: [success, data, meta]
      properties: {success: {const: true}, data: {}, meta: {$ref: "#/components/schemas/Meta"}}
    Failure:
      type: object
      required: [success, error, meta]
      properties:
        success: {const: false}
        error:
          type: object
          required: [code, message]
          properties: {code: {type: string}, message: {type: string}, field: {type: string}, cid_count: {type: integer}, limit: {type: integer}, state: {type: string}}
        meta: {$ref: "#/components/schemas/Meta"}
    SubmitBody:
      type: object
      additionalProperties: false
      properties:
        profile: {type: string, enum: [query_tool, query_tool_reverse, mid_section_defect]}
        lot_ids: {type: array, items: {type: string}}
        wafer_lots: {type: array, items: {type: string}}
        work_orders: {type: array, items: {type: string}}
        serials: {type: array, items: {type: string}}
        gd_work_orders: {type: array, items: {type: string}}
        gd_lot_ids: {type: array, items: {type: string}}
        seed_cids: {type: array, items: {type: string}}
        cids: {type: array, items: {type: string}}
        station: {type: array, items: {type: string}}
        from: {type: string, format: date}
        to: {type: string, format: date}
        direction: {type: string, enum: [backward, forward]}
        domains: {type: array, items: {type: string}}
        cid_limit: {type: integer, minimum: 1}
        new: {type: boolean}
  securitySchemes:
    bearer: {type: http, scheme: bearer}
"""#
}
