/* cc-proxy-snapshot.h: the settings a request runs with
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(CC_PROXY_INSIDE) && !defined(CC_PROXY_COMPILATION)
#error "Only <cc-proxy/cc-proxy.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * CC_PROXY_BUILTIN_PROVIDER_ID:
 *
 * The id of the built-in provider: the default, and the one whose
 * `base-url` requests that no provider serves are forwarded to.
 */
#define CC_PROXY_BUILTIN_PROVIDER_ID "anthropic"

#define CC_PROXY_TYPE_SNAPSHOT (cc_proxy_snapshot_get_type ())

/**
 * CcProxySnapshot:
 *
 * An immutable, reference-counted view of the active provider and every
 * provider's normalised setting values (environment over stored value
 * over default). A request keeps the snapshot it started with, whatever
 * changes while it runs.
 */
typedef struct _CcProxySnapshot CcProxySnapshot;

CC_PROXY_EXPORT
GType             cc_proxy_snapshot_get_type             (void) G_GNUC_CONST;
CC_PROXY_EXPORT
CcProxySnapshot  *cc_proxy_snapshot_ref                  (CcProxySnapshot *self);
CC_PROXY_EXPORT
void              cc_proxy_snapshot_unref                (CcProxySnapshot *self);
CC_PROXY_EXPORT
const char       *cc_proxy_snapshot_get_active_provider  (CcProxySnapshot *self);
CC_PROXY_EXPORT
const char       *cc_proxy_snapshot_get_value            (CcProxySnapshot *self,
                                                          const char      *provider_id,
                                                          const char      *key);
CC_PROXY_EXPORT
gboolean          cc_proxy_snapshot_get_boolean          (CcProxySnapshot *self,
                                                          const char      *provider_id,
                                                          const char      *key);
CC_PROXY_EXPORT
guint             cc_proxy_snapshot_get_uint             (CcProxySnapshot *self,
                                                          const char      *provider_id,
                                                          const char      *key);
CC_PROXY_EXPORT
gboolean          cc_proxy_snapshot_is_from_environment  (CcProxySnapshot *self,
                                                          const char      *provider_id,
                                                          const char      *key);
CC_PROXY_EXPORT
const char       *cc_proxy_snapshot_get_active_base_url  (CcProxySnapshot *self);
CC_PROXY_EXPORT
const char * const *cc_proxy_snapshot_get_secret_values  (CcProxySnapshot *self);

CC_PROXY_EXPORT
CcProxySnapshot  *cc_proxy_snapshot_new                  (const char      *active_provider);
CC_PROXY_EXPORT
void              cc_proxy_snapshot_insert               (CcProxySnapshot *self,
                                                          const char      *provider_id,
                                                          const char      *key,
                                                          const char      *value,
                                                          gboolean         from_environment,
                                                          gboolean         secret);
CC_PROXY_EXPORT
GVariant         *cc_proxy_snapshot_serialize            (CcProxySnapshot *self,
                                                          const char      *provider_id);
CC_PROXY_EXPORT
CcProxySnapshot  *cc_proxy_snapshot_deserialize          (GVariant        *variant);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcProxySnapshot, cc_proxy_snapshot_unref)

G_END_DECLS
