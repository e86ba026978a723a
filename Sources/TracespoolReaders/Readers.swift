// Readers: keyset pages, NDJSON and CSV renderers over a spool (issue 5).
