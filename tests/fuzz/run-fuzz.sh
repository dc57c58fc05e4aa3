#!/bin/sh
# run-fuzz.sh TARGET SEEDS SECONDS: runs one libFuzzer target for SECONDS
# from a scratch copy of the seed corpus (libFuzzer writes the inputs it
# finds into its first corpus directory; the checkout stays as it is).
# A crash leaves its input in the test's log directory.
set -eu
target=$1 seeds=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$seeds"/* "$work"/
exec "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
     -artifact_prefix="${MESON_BUILD_ROOT:-.}/" -print_final_stats=1 "$work"
