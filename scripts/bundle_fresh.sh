# Sourced by the tsbuild wrapper and scripts/bundle.sh (one rule for both): `bundle_fresh ROOT` sets bundle_main to the
# current bundle's main.js (dist/deno/<version>/main.js) and succeeds when it exists and no *.ts or *.json source of ROOT is
# newer than the stamp written before that bundle was made. One find, no other fork (hence a variable, not output): the
# wrapper runs it per command.
bundle_fresh() {
  local root=$1 version
  [ -r "$root/dist/deno/current" ] && read -r version <"$root/dist/deno/current" &&
    [ -f "$root/dist/deno/$version/main.js" ] &&
    [ -z "$(find "$root" \( -path "$root/node_modules" -o -path "$root/dist" -o -name ".*" \) -prune -o \
      \( -name '*.ts' -o -name '*.json' \) -newer "$root/dist/deno/$version/.stamp" -print -quit 2>/dev/null)" ] &&
    bundle_main=$root/dist/deno/$version/main.js
}
