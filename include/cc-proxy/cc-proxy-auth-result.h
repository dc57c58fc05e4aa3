/* cc-proxy-auth-result.h: what a login flow asks the core to store
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(CC_PROXY_INSIDE) && !defined(CC_PROXY_COMPILATION)
#error "Only <cc-proxy/cc-proxy.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

#define CC_PROXY_TYPE_AUTH_RESULT (cc_proxy_auth_result_get_type ())

/**
 * CcProxyAuthResult:
 *
 * What a finished login flow asks the core to store (secret settings go
 * to the keyring), whether it makes its provider the active one, and a
 * message for the person who started it.
 */
typedef struct _CcProxyAuthResult CcProxyAuthResult;

CC_PROXY_EXPORT
GType               cc_proxy_auth_result_get_type      (void) G_GNUC_CONST;
CC_PROXY_EXPORT
CcProxyAuthResult  *cc_proxy_auth_result_new           (const char        *message);
CC_PROXY_EXPORT
CcProxyAuthResult  *cc_proxy_auth_result_ref           (CcProxyAuthResult *self);
CC_PROXY_EXPORT
void                cc_proxy_auth_result_unref         (CcProxyAuthResult *self);
CC_PROXY_EXPORT
void                cc_proxy_auth_result_set_value     (CcProxyAuthResult *self,
                                                        const char        *key,
                                                        const char        *value);
CC_PROXY_EXPORT
void                cc_proxy_auth_result_set_activate  (CcProxyAuthResult *self,
                                                        gboolean           activate);
CC_PROXY_EXPORT
const char         *cc_proxy_auth_result_get_message   (CcProxyAuthResult *self);
CC_PROXY_EXPORT
GHashTable         *cc_proxy_auth_result_get_values    (CcProxyAuthResult *self);
CC_PROXY_EXPORT
gboolean            cc_proxy_auth_result_get_activate  (CcProxyAuthResult *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcProxyAuthResult, cc_proxy_auth_result_unref)

G_END_DECLS
