#!/bin/sh
# unit-sandbox-test.sh UNIT.in CC-PROXYD: the daemon, in a mount namespace
# that gives it what cc-proxyd.service gives it (a read-only home, and
# its StateDirectory= writable where this systemd puts it), still writes
# its capture log. Needs root for the namespace; skipped otherwise.
set -eu
unit=$1
daemon=$2
[ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null || { echo "skip: needs root and unshare"; exit 77; }
grep -q '^ProtectHome=read-only$' "$unit" || { echo "not ok: the unit no longer protects the home"; exit 1; }
state=$(sed -n 's/^StateDirectory=//p' "$unit")
[ -n "$state" ] || { echo "not ok: the unit has no StateDirectory="; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
home=$work/home
mkdir -p "$home/.config" "$home/.local/state"
# Where systemd puts a user unit's StateDirectory=: ~/.config before 254.
version=$(systemctl --version 2>/dev/null | sed -n '1s/^systemd \([0-9]*\).*/\1/p')
if [ "${version:-0}" -lt 254 ]; then
  state_dir=$home/.config/$state
else
  state_dir=$home/.local/state/$state
fi
mkdir -p "$state_dir"

cat > "$work/inside.sh" <<INSIDE
set -eu
mount --bind "$home" "$home"
mount -o remount,bind,ro "$home"
mount --bind "$state_dir" "$state_dir"
mount -o remount,bind,rw "$state_dir"
# As under the unit: the home is read-only, the state directory is not.
if touch "$home/.local/state/probe" 2>/dev/null; then echo "not ok: the home is writable"; exit 1; fi
env HOME="$home" XDG_STATE_HOME="$home/.local/state" XDG_CONFIG_HOME="$home/.config" \
    STATE_DIRECTORY="$state_dir" DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent GSETTINGS_BACKEND=memory \
    ANTHROPIC_UPSTREAM_URL=http://127.0.0.1:9 "$daemon" --listen 127.0.0.1:0 >"$work/out" 2>"$work/err" &
pid=\$!
for _ in \$(seq 100); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
url=\$(sed -n 's/^cc-proxyd listening on \(http[^ ]*\).*/\1/p' "$work/out")
python3 -c "import sys, urllib.request, urllib.error
try: urllib.request.urlopen(urllib.request.Request(sys.argv[1] + '/v1/models'))
except urllib.error.HTTPError: pass" "\$url"
for _ in \$(seq 100); do cat "$state_dir"/captures/*.jsonl 2>/dev/null | grep -q '"kind":"proxy-error"' && break; sleep 0.1; done
kill \$pid
INSIDE
unshare -m --propagation private sh "$work/inside.sh"
if ! cat "$state_dir"/captures/*.jsonl 2>/dev/null | grep -q '"path":"/v1/models"'; then
  echo "not ok: no capture line in $state_dir/captures"; cat "$work/err"; exit 1
fi
echo "ok: captures written to $state_dir/captures under a read-only home"
