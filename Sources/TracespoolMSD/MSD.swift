// MSD aggregation over the spool (issue 6).
