#!/usr/bin/env bash
# Reads a rendered release (helm template) on stdin and prints, one per line, the name
# of every Secret it reads (a volume's secretName, an env entry's secretKeyRef) but
# does not make itself: those must exist in the namespace before the install.
set -euo pipefail

awk '
    /^---/ { kind = ""; in_meta = 0; next }
    /^kind: / { kind = $2 }
    /^metadata:/ { in_meta = 1; next }
    in_meta && /^  name: / { if (kind == "Secret") made[$2] = 1; in_meta = 0 }
    /^[a-z]/ && !/^metadata:/ { in_meta = 0 }
    /secretName: / { sub(/.*secretName: */, ""); gsub(/"/, ""); read[$0] = 1 }
    /secretKeyRef:/ { ref = 3; next }
    ref > 0 {
        ref--
        if ($1 == "name:") { name = $2; gsub(/"/, "", name); read[name] = 1; ref = 0 }
    }
    END { for (name in read) if (!(name in made)) print name }
' | sort -u
