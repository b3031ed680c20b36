#!/usr/bin/env bash
# Adds every public symbol the build reports as undeclared (RS0016) to PublicAPI.Unshipped.txt.
# Run after a deliberate change to the public surface, then review the diff.
set -euo pipefail
cd "$(dirname "$0")/.."
file=src/EncryptedStore/PublicAPI.Unshipped.txt
dotnet build src/EncryptedStore -p:TreatWarningsAsErrors=false 2>&1 \
  | grep -o "RS0016: Symbol '[^']*'" | sed "s/RS0016: Symbol '//; s/'\$//" | sort -u > /tmp/public-api-new.txt || true
{ grep -v '^#nullable' "$file" || true; cat /tmp/public-api-new.txt; } | sort -u > /tmp/public-api-all.txt
{ echo '#nullable enable'; cat /tmp/public-api-all.txt; } > "$file"
dotnet build src/EncryptedStore 2>&1 | grep -E "error|Build succeeded" | sort -u | head -20
