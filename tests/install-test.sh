#!/bin/sh
# install-test.sh SOURCE-DIR: `meson setup --prefix ~/.local && meson install`
# works as the README says: into a throwaway HOME, the installed daemon
# and cc-proxyctl run with no LD_LIBRARY_PATH, find their module and
# schemas, and the user unit and D-Bus service land where systemd and
# dbus-daemon look.
set -eu
src=$1
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
pid=
home=$work/home
prefix=$home/.local
unset LD_LIBRARY_PATH GSETTINGS_SCHEMA_DIR CC_PROXY_PROVIDER_DIR

meson setup "$work/build" "$src" --prefix "$prefix" -Dtests=false >"$work/setup.log" 2>&1 ||
  { cat "$work/setup.log"; exit 1; }
meson install -C "$work/build" >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }

fail() { echo "not ok: $*"; exit 1; }

"$prefix/libexec/cc-proxyd" --version | grep -q '^cc-proxyd ' || fail "installed cc-proxyd does not run"
"$prefix/bin/cc-proxyctl" --help >/dev/null || fail "installed cc-proxyctl does not run"

# The unit and the D-Bus service where a user's systemd and bus look.
unit_paths=$(env -u XDG_DATA_HOME -u XDG_CONFIG_HOME HOME="$home" XDG_RUNTIME_DIR="$work/run" \
             systemd-analyze --user unit-paths)
found=
for dir in $unit_paths; do
  [ -f "$dir/cc-proxyd.service" ] && found=$dir
done
[ -n "$found" ] || fail "cc-proxyd.service is in none of: $unit_paths"
[ -f "$prefix/share/dbus-1/services/org.ccproxy.Proxy1.service" ] || fail "no D-Bus service file"
[ -f "$prefix/share/bash-completion/completions/cc-proxyctl" ] || fail "no bash completion where bash-completion looks"
grep -q "^Exec=$prefix/libexec/cc-proxyd\$" "$prefix/share/dbus-1/services/org.ccproxy.Proxy1.service" ||
  fail "the D-Bus service file does not name the installed daemon"
# The interface description, documented member by member, where D-Bus
# tools look for it.
grep -q 'name="org.gtk.GDBus.DocString"' "$prefix/share/dbus-1/interfaces/org.ccproxy.Proxy1.xml" ||
  fail "the installed interface description carries no documentation"

# A provider author's view: the installed headers, through the installed
# cc-proxy-2.pc alone, compile as C11 with every warning an error, and
# the one-include rule holds.
pc=$(find "$prefix" -name cc-proxy-2.pc | head -n 1)
[ -n "$pc" ] || fail "no cc-proxy-2.pc installed"
cat > "$work/sdk.c" <<'C'
#include <cc-proxy/cc-proxy.h>

CC_PROXY_PROVIDER_MODULE;

int
main (void)
{
  g_autoptr(CcProxySseParser) parser = cc_proxy_sse_parser_new (NULL, NULL);

  return parser == NULL || !cc_proxy_json_check_depth ("[]", 2, CC_PROXY_JSON_MAX_DEPTH);
}
C
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs cc-proxy-2)
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror -o "$work/sdk" "$work/sdk.c" $flags 2>"$work/sdk.log" ||
  { cat "$work/sdk.log"; fail "the installed headers do not compile out of tree"; }
printf '#include <cc-proxy/cc-proxy-json.h>\n' > "$work/one.c"
# shellcheck disable=SC2086
if cc -std=c11 -c -o "$work/one.o" "$work/one.c" $flags 2>"$work/one.log"; then
  fail "a single public header compiled on its own"
fi
grep -q 'Only <cc-proxy/cc-proxy.h> can be included directly' "$work/one.log" ||
  { cat "$work/one.log"; fail "including one header alone does not say what to include"; }

# The schema tool the .pc names turns an installed module into a schema
# GLib accepts, in the provider's own gettext domain.
gen=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --variable=schema_gen cc-proxy-2)
[ -x "$gen" ] || fail "cc-proxy-2.pc names no runnable schema_gen ($gen)"
module=$(find "$prefix" -name 'copilot.so' | head -n 1)
mkdir "$work/schemas"
"$gen" --gettext-domain example-provider --module "$module" \
  >"$work/schemas/org.ccproxy.Proxy.providers.copilot.gschema.xml" ||
  fail "$gen could not read the installed copilot module"
grep -q 'gettext-domain="example-provider"' "$work/schemas/org.ccproxy.Proxy.providers.copilot.gschema.xml" ||
  fail "schema_gen ignored --gettext-domain"
glib-compile-schemas --strict --dry-run "$work/schemas" || fail "the generated schema does not compile"
"$gen" --module "$work/sdk.c" 2>/dev/null && fail "schema_gen accepted a file that is no module"
rc=0; "$gen" --bogus 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "schema_gen does not exit 2 on a usage error"
"$gen" --help | grep -q '^usage: cc-proxy-schema-gen' || fail "schema_gen --help says no usage"
[ -f "$prefix/share/man/man1/cc-proxy-schema-gen.1" ] || fail "no cc-proxy-schema-gen man page"

# The plugin guide's provider, built as an author would: from the
# installed copy, against the installed cc-proxy-2.pc (PKG_CONFIG_PATH
# and meson), installed into the provider directory with its schema.
example_src=$prefix/share/doc/cc-proxy/example-provider
[ -f "$example_src/example-provider.c" ] || fail "the example provider is not installed"
python3 - "$src/docs/plugin-guide.md" "$example_src/example-provider.c" "$example_src/meson.build" <<'PY' || fail "the plugin guide quotes code the example does not have"
import re, sys
guide = open(sys.argv[1]).read()
for language, path in (('c', sys.argv[2]), ('meson', sys.argv[3])):
    example = open(path).read()
    blocks = re.findall(r'```' + language + r'\n(.*?)```', guide, re.DOTALL)
    assert blocks, 'no ' + language + ' in the guide'
    for block in blocks:
        if block not in example:
            sys.exit('not in ' + path + ':\n' + block)
PY
PKG_CONFIG_PATH=$(dirname "$pc") meson setup "$work/example" "$example_src" --prefix "$prefix" \
  >"$work/example-setup.log" 2>&1 || { cat "$work/example-setup.log"; fail "the example does not configure"; }
meson install -C "$work/example" >"$work/example-install.log" 2>&1 ||
  { cat "$work/example-install.log"; fail "the example does not build and install"; }
providerdir=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --variable=providerdir cc-proxy-2)
[ -f "$providerdir/example.so" ] || fail "the example did not land in the provider directory ($providerdir)"
python3 "$src/tests/check-abi.py" --module "$providerdir/example.so" ||
  fail "the example module exports more than its entry points"
[ -f "$prefix/share/glib-2.0/schemas/org.ccproxy.Proxy.providers.example.gschema.xml" ] ||
  fail "the example's schema was not installed"
[ -f "$providerdir/example.descriptor" ] || fail "the example's descriptor file was not installed beside it"
[ -x "$prefix/libexec/cc-proxy-provider-host" ] || fail "no provider host in libexecdir"

# start_daemon PROVIDER [VAR=VALUE...]: the installed daemon with its
# installed modules and schemas (GLib reads ~/.local/share/glib-2.0/schemas),
# and no bus; sets $port.
start_daemon() {
  active=$1
  shift
  env -u XDG_DATA_HOME HOME="$home" DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent GSETTINGS_BACKEND=memory \
    CC_PROXY_PROVIDER="$active" "$@" "$prefix/libexec/cc-proxyd" --listen 127.0.0.1:0 >"$work/out" 2>"$work/err" &
  pid=$!
  for _ in $(seq 100); do
    grep -q listening "$work/out" 2>/dev/null && break
    sleep 0.1
  done
  grep -q "^cc-proxyd listening on http://127.0.0.1:[0-9]* (provider: $active)\$" "$work/out" ||
    { cat "$work/out" "$work/err"; fail "the installed daemon did not start with the $active module"; }
  port=$(sed -n 's|^cc-proxyd listening on http://127.0.0.1:\([0-9]*\) .*|\1|p' "$work/out")
}

stop_daemon() {
  kill "$pid"
  wait "$pid" || true
  pid=
}

start_daemon copilot
stop_daemon

# The example answers through the installed daemon, as JSON and as a
# stream, with its setting taken from the environment it declares.
start_daemon example EXAMPLE_PROVIDER_GREETING='Hi from the install test'
python3 - "$port" <<'PY' || { cat "$work/err"; fail "the installed example provider did not answer"; }
import json, sys, urllib.request
url = 'http://127.0.0.1:%s/v1/messages' % sys.argv[1]
def post(body):
    request = urllib.request.Request(url, json.dumps(body).encode(), {'content-type': 'application/json'})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, answer.headers.get('content-type'), answer.read().decode()
ask = {'model': 'claude-test', 'max_tokens': 16, 'messages': [{'role': 'user', 'content': 'hello'}]}
status, kind, text = post(ask)
message = json.loads(text)
assert status == 200 and kind == 'application/json', (status, kind)
assert message['content'][0]['text'] == 'Hi from the install test', message
assert message['model'] == 'claude-test' and message['usage']['output_tokens'] == 5, message
status, kind, text = post(dict(ask, stream=True))
assert status == 200 and kind.startswith('text/event-stream'), (status, kind)
assert '"text":"Hi from the install test"' in text and text.rstrip().endswith('{"type":"message_stop"}'), text
PY
stop_daemon
echo "ok: installed into $prefix; unit in $found; the example provider built, installed and answered"
