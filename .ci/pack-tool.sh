#!/usr/bin/env bash
# Packs the library and the tool, prints each package's size, installs the tool from the local package into a
# temporary tool path and runs it as a user would: `tokenstore --version`, `tokenstore demo`, and an import from
# SQLite (which loads the bundled native SQLite). Exits non-zero if any step fails; removes its temporary folders.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pkgs="$tmp/packages" tools="$tmp/tools" work="$tmp/work"
mkdir -p "$pkgs" "$tools" "$work"

fail() { echo "pack-tool: $*" >&2; exit 1; }

for project in src/EncryptedStore/EncryptedStore.csproj src/EncryptedStore.Cli/EncryptedStore.Cli.csproj; do
  dotnet pack "$project" -c Release -o "$pkgs" -warnaserror -v quiet || fail "dotnet pack $project failed"
done

for package in "$pkgs"/*; do
  size=$(stat -c %s "$package")
  printf '%-32s %10d bytes (%s)\n' "$(basename "$package")" "$size" "$(numfmt --to=iec-i --suffix=B "$size")"
done

shopt -s nullglob
tool_packages=("$pkgs"/tokenstore.*.nupkg)
[ "${#tool_packages[@]}" -eq 1 ] || fail "expected one tokenstore package, found ${#tool_packages[@]}"
version=$(basename "${tool_packages[0]}" .nupkg)
version=${version#tokenstore.}

# Only the local folder as a source: the package just built is the one installed (never a same-named package
# from nuget.org), and nothing is downloaded (a tool package has no dependencies to restore).
cat > "$tmp/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$pkgs" />
  </packageSources>
</configuration>
EOF
dotnet tool install tokenstore --version "$version" --tool-path "$tools" \
  --configfile "$tmp/nuget.config" > "$tmp/install.log" 2>&1 || { cat "$tmp/install.log" >&2; fail "dotnet tool install failed"; }

# The tool's launcher finds the runtime through DOTNET_ROOT when dotnet is not in a default location.
if [ -z "${DOTNET_ROOT:-}" ]; then
  DOTNET_ROOT=$(dirname "$(readlink -f "$(command -v dotnet)")")
  export DOTNET_ROOT
fi
tokenstore="$tools/tokenstore"

printed=$("$tokenstore" --version) || fail "tokenstore --version failed"
case "$printed" in
  "$version" | "$version"+*) echo "tokenstore --version: $printed" ;;
  *) fail "tokenstore --version printed '$printed', expected $version" ;;
esac

# The demo makes its folder under the temporary folder: TMPDIR puts it inside ours.
TMPDIR="$work" "$tokenstore" demo > "$tmp/demo.log" 2>&1 || { tail -n 40 "$tmp/demo.log" >&2; fail "tokenstore demo failed"; }
stores=("$work"/*/tokens.db)
[ "${#stores[@]}" -eq 1 ] || fail "tokenstore demo left ${#stores[@]} stores, expected one"
demo_dir=$(dirname "${stores[0]}")
"$tokenstore" --store "$demo_dir/tokens.db" --key-file "$demo_dir/master.key" verify > "$tmp/verify.log" 2>&1 \
  || { cat "$tmp/verify.log" >&2; fail "tokenstore verify of the demo's store failed"; }
echo "tokenstore demo: ok ($(wc -l < "$tmp/demo.log") lines), its store verifies"

# A zero-length file is an empty SQLite database: the import opens it through the bundled native SQLite and
# reports the missing token table (exit code 5, "not found"). A missing native library fails differently.
: > "$work/empty.db"
status=0
"$tokenstore" --store "$demo_dir/tokens.db" --key-file "$demo_dir/master.key" \
  import --from sqlite "$work/empty.db" --dry-run > "$tmp/sqlite.log" 2>&1 || status=$?
if [ "$status" -ne 5 ] || ! grep -q oauthtoken "$tmp/sqlite.log"; then
  cat "$tmp/sqlite.log" >&2
  fail "SQLite import from the installed tool: exit code $status, expected 5 (no table 'oauthtoken')"
fi
echo "tokenstore import --from sqlite: native SQLite loads"
echo "pack-tool: ok"
