#!/bin/bash
# Replaces the text between the `<!-- results:begin -->` and
# `<!-- results:end -->` lines of DOC with the contents of TABLE; the rest of
# the document is left as written.
# usage: update-doc.sh DOC TABLE
set -euo pipefail
doc=$1 table=$2
grep -q '^<!-- results:begin -->$' "$doc" && grep -q '^<!-- results:end -->$' "$doc" ||
    { echo "$doc has no results markers" >&2; exit 1; }
awk -v table="$table" '
    /^<!-- results:end -->$/ { skipping = 0 }
    !skipping { print }
    /^<!-- results:begin -->$/ { while ((getline line < table) > 0) print line; skipping = 1 }
' "$doc" > "$doc.new"
mv "$doc.new" "$doc"
