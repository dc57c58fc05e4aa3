/* cc-proxy-snapshot-private.h: building snapshots (core only)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"

G_BEGIN_DECLS

/* The built-in provider: the default, and the one whose base URL the
 * default path forwards to. */
#define CC_PROXY_BUILTIN_PROVIDER_ID "anthropic"

CcProxySnapshot *cc_proxy_snapshot_new                (const char      *active_provider);
void             cc_proxy_snapshot_insert             (CcProxySnapshot *self,
                                                       const char      *provider_id,
                                                       const char      *key,
                                                       const char      *value,
                                                       gboolean         from_environment,
                                                       gboolean         secret);
const char * const *cc_proxy_snapshot_get_secret_values (CcProxySnapshot *self);
GVariant        *cc_proxy_snapshot_serialize          (CcProxySnapshot *self,
                                                       const char      *provider_id);
CcProxySnapshot *cc_proxy_snapshot_deserialize        (GVariant        *variant);

G_END_DECLS
