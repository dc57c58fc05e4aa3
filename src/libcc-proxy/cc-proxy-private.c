/* cc-proxy-private.c: the table of cc-proxy-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-proxy-private.h"

#define CC_PROXY_PRIVATE_ENTRY(name) .name = cc_proxy_##name,

static const CcProxyPrivateVTable private_vtable = {
  CC_PROXY_PRIVATE_FUNCTIONS (CC_PROXY_PRIVATE_ENTRY)
};

/* Not API: for cc-proxyd and the project's tests only, which are built
 * from the same tree as the library they load. */
const CcProxyPrivateVTable *
cc_proxy__private__ (void)
{
  return &private_vtable;
}
