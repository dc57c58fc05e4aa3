#!/bin/sh
# check-potfiles.sh SOURCE-DIR: po/POTFILES names every source file with
# a translatable string, and only files that exist.
set -eu
cd "$1"
status=0
for f in $(grep -l -e '_("' -e 'N_("' src/*.c src/*/*.c providers/*/*.c); do
  grep -qx "$f" po/POTFILES || { echo "not in po/POTFILES: $f"; status=1; }
done
while read -r f; do
  [ -z "$f" ] || [ -f "$f" ] || { echo "in po/POTFILES but missing: $f"; status=1; }
done < po/POTFILES
exit $status
