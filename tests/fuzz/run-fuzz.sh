#!/bin/sh
# run-fuzz.sh TARGET SEEDS SECONDS [RUNS]: runs one libFuzzer target for
# SECONDS, or, when RUNS is over 0, for RUNS executions shared by one job
# per processor. It starts from a scratch copy of the seed corpus
# (libFuzzer writes the inputs it finds into its first corpus directory;
# the checkout stays as it is). A crash leaves its input in the test's
# log directory.
set -eu
target=$(realpath "$1") seeds=$2 seconds=$3 runs=${4:-0}
# A critical or a warning is a bug the input found, as a crash is: GLib
# would otherwise log it and go on (a json-glib critical on a Responses
# event without its object went unseen through 10 M executions).
export G_DEBUG=fatal-warnings
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$seeds"/* "$work/corpus/"
set -- -timeout=10 -rss_limit_mb=2048 -artifact_prefix="${MESON_BUILD_ROOT:-$PWD}/" -print_final_stats=1
if [ "$runs" -eq 0 ]; then
  exec "$target" -max_total_time="$seconds" "$@" "$work/corpus"
fi

# Each job writes fuzz-N.log in the working directory.
jobs=$(nproc)
cd "$work"
"$target" -runs=$(((runs + jobs - 1) / jobs)) -jobs="$jobs" -workers="$jobs" "$@" corpus >jobs.log 2>&1 || true
status=0
if grep -qE 'exited with exit code [1-9]' jobs.log; then
  grep -hE -B2 -A30 '^==[0-9]+== ?ERROR|^Bail out!|^ERROR:' fuzz-*.log
  status=1
fi
awk -v name="$(basename "$target")" \
    '/^stat::number_of_executed_units:/ { n += $2 } END { printf "%s: %d executions\n", name, n }' fuzz-*.log
exit $status
