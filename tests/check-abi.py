#!/usr/bin/env python3
# check-abi.py LIBRARY HEADER...: libcc-proxy exports exactly what its
# public headers declare, and that is the provider API alone: nothing of
# the daemon's request machinery (events, the exchange, their emitters).
# check-abi.py --module MODULE...: a provider module exports what GIO
# and cc-proxyd look for, and nothing of its own insides.
#
# Fails on a symbol the library exports that no public header declares
# (a private function leaking into the ABI, or a declaration that lost
# its CC_PROXY_EXPORT), and on a public declaration the library does
# not export (a provider module would fail to load).
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import re
import subprocess
import sys

# The daemon core's names (src/core/): a provider reports nothing and
# owns no exchange, so none of these belongs in the provider API.
CORE_NAMES = re.compile(r'_emit_|^cc_proxy_event_|^cc_proxy_exchange_|^cc_proxy_relay_forward|'
                        r'_private__$|^cc_proxy_body_scan_|^cc_proxy_redact_')
CORE_TYPES = re.compile(r'\b(CcProxyEvent\w*|CcProxyExchange\w*|CcProxyBodyShape|CC_PROXY_EVENT_\w+)\b')
# What the linker itself puts in every shared object.
LINKER_SYMBOLS = {'_init', '_fini', '_edata', '_end', '__bss_start'}
# What AddressSanitizer's instrumentation adds (one-definition-rule
# indicators, registration markers): not the object's own.
SANITIZER_PREFIXES = ('__odr_asan', '__asan', '___asan', '__ubsan', '__sancov')

DECLARE = re.compile(r'^G_DECLARE_\w+\s*\(\s*\w+\s*,\s*(\w+)')
FUNCTION = re.compile(r'\b(cc_proxy_\w+)\s*\(')


def declared(headers):
    names = set()
    for path in headers:
        with open(path, encoding='utf-8') as f:
            text = re.sub(r'/\*.*?\*/', '', f.read(), flags=re.DOTALL)
        for line in text.splitlines():
            # Declarations start in the first column; macros, and the
            # parameter lines of a declaration, do not count.
            if line.startswith(('#', ' ', '\t')):
                continue
            m = DECLARE.match(line)
            if m:
                names.add(m.group(1) + '_get_type')
                continue
            m = FUNCTION.search(line)
            if m:
                names.add(m.group(1))
    return names


def core_in_headers(headers):
    found = []
    for path in headers:
        with open(path, encoding='utf-8') as f:
            text = re.sub(r'/\*.*?\*/', '', f.read(), flags=re.DOTALL)
        for m in CORE_TYPES.finditer(text):
            found.append(f'{path}: {m.group(1)}')
    return found


def exported(library):
    out = subprocess.run(['nm', '--dynamic', '--defined-only', library],
                         check=True, capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[2] not in LINKER_SYMBOLS and not fields[2].startswith(SANITIZER_PREFIXES):
            names.add(fields[2].split('@')[0])
    return names


# What a provider module may export: GIO's entry points and the API
# version CC_PROXY_PROVIDER_MODULE declares.
MODULE_ENTRY_POINTS = {'g_io_module_load', 'g_io_module_unload', 'g_io_module_query',
                       'cc_proxy_provider_module_api_version'}


def check_modules(modules):
    ok = True
    for module in modules:
        symbols = exported(module)
        extra = sorted(symbols - MODULE_ENTRY_POINTS)
        for name in extra:
            print(f'{module} exports {name}')
        for name in ('g_io_module_load', 'cc_proxy_provider_module_api_version'):
            if name not in symbols:
                print(f'{module} does not export {name}')
                ok = False
        ok = ok and not extra
    return 0 if ok else 1


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == '--module':
        return check_modules(sys.argv[2:])
    if len(sys.argv) < 3:
        print('usage: check-abi.py LIBRARY HEADER... | --module MODULE...', file=sys.stderr)
        return 2
    public = declared(sys.argv[2:])
    symbols = exported(sys.argv[1])
    leaked = sorted(symbols - public)
    missing = sorted(public - symbols)
    core = sorted(name for name in public | symbols if CORE_NAMES.search(name))
    core += core_in_headers(sys.argv[2:])
    print(f'{len(public)} public declarations, {len(symbols)} exported symbols')
    for name in leaked:
        print(f'exported but not in the public headers: {name}')
    for name in missing:
        print(f'declared in the public headers but not exported: {name}')
    for name in core:
        print(f'the daemon core in the provider API: {name}')
    ok = not leaked and not missing and not core
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
