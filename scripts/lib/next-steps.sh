#!/usr/bin/env bash
# Prints copy-paste commands for the jobs a demo (or anyone) just made: where the binary is, the
# connection and spool folder each command needs, and the job ids. scripts/demo ends with it (and
# keeps the block in .demo/next-steps.sh); the tests run the printed commands as printed.
#   scripts/lib/next-steps.sh BIN SOURCE SPOOL_DIR QUERY_TOOL_JOB MSD_JOB LOT_ID OUT_DIR
set -euo pipefail
[ $# -eq 7 ] || { echo "usage: $0 BIN SOURCE SPOOL_DIR QUERY_TOOL_JOB MSD_JOB LOT_ID OUT_DIR" >&2; exit 64; }
bin=$1 source=$2 spool=$3 qt=$4 msd=$5 lot=$6 out=$7
abs() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$(pwd)" "$1" ;; esac; }
bin=$(abs "$bin") spool=$(abs "$spool") out=$(abs "$out")
# Shell-quoted for copy and paste: as is when safe, else in single quotes.
q() {
  if [[ $1 =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then printf '%s' "$1"
  else local sq="'\\''"; printf "'%s'" "${1//\'/$sq}"; fi
}
ts=$(q "$bin") sd="--spool-dir $(q "$spool")" src="--source $(q "$source")"

cat <<TEXT
# tracespool $("$bin" --version)
#   binary:       $bin
#   warehouse:    $source   (give it as --source, or export TRACESPOOL_SOURCE=$(q "$source"))
#   spool folder: $spool   (--spool-dir, or export TRACESPOOL_SPOOL_DIR=$(q "$spool"))
#   jobs:         $qt (query_tool, lot $lot), $msd (mid_section_defect)
# Copy and paste any line:
$ts --version
$ts export $qt $sd --domain history --limit 5
$ts export $qt $sd --layout cid --limit 3
$ts export $qt $sd --format csv --domain history --bom -o $(q "$out/$qt.history.csv")
$ts lineage $qt $sd | head -c 400; echo
$ts msd summary $msd $sd --table
$ts msd detail $msd $sd --page-size 3
$ts msd export $msd $sd | head -n 3
$ts run $src $sd --lot-ids $(q "$lot") --domains history --json
$ts submit $sd --lot-ids $(q "$lot") --domains history --json
$ts worker $src $sd --once
$ts jobs list $sd
$ts jobs show $msd $sd
TEXT
