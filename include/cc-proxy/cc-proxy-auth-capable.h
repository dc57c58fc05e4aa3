/* cc-proxy-auth-capable.h: the optional login capability of a provider
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(CC_PROXY_INSIDE) && !defined(CC_PROXY_COMPILATION)
#error "Only <cc-proxy/cc-proxy.h> can be included directly."
#endif

#include <gio/gio.h>

#include "cc-proxy-auth-prompt.h"
#include "cc-proxy-auth-result.h"
#include "cc-proxy-provider.h"

G_BEGIN_DECLS

#define CC_PROXY_TYPE_AUTH_CAPABLE (cc_proxy_auth_capable_get_type ())

/**
 * CcProxyAuthCapable:
 *
 * Implemented by a #CcProxyProvider that can sign the person in (a
 * device-flow login, say). The core runs the flow for `Authenticate()`
 * on the bus and `cc-proxyctl auth`, and stores what it returns.
 */
CC_PROXY_EXPORT
G_DECLARE_INTERFACE (CcProxyAuthCapable, cc_proxy_auth_capable, CC_PROXY, AUTH_CAPABLE, GObject)

/**
 * CcProxyAuthCapableInterface:
 * @run_auth_flow_async: start a login; show what the person must do
 *   through @prompt before waiting on them; @force runs it even when a
 *   credential is already there
 * @run_auth_flow_finish: the result, or an error
 */
struct _CcProxyAuthCapableInterface
{
  GTypeInterface g_iface;

  void               (*run_auth_flow_async)  (CcProxyAuthCapable   *self,
                                              gboolean              force,
                                              CcProxyAuthPrompt    *prompt,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
  CcProxyAuthResult *(*run_auth_flow_finish) (CcProxyAuthCapable   *self,
                                              GAsyncResult         *result,
                                              GError              **error);
  gboolean           (*is_signed_in)         (CcProxyAuthCapable   *self,
                                              CcProxySnapshot      *snapshot);
  char              *(*dup_attention)        (CcProxyAuthCapable   *self);

  /*< private >*/
  gpointer padding[2];
};

CC_PROXY_EXPORT
void               cc_proxy_auth_capable_run_auth_flow_async  (CcProxyAuthCapable   *self,
                                                               gboolean              force,
                                                               CcProxyAuthPrompt    *prompt,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
CC_PROXY_EXPORT
CcProxyAuthResult *cc_proxy_auth_capable_run_auth_flow_finish (CcProxyAuthCapable   *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);

CC_PROXY_EXPORT
gboolean           cc_proxy_auth_capable_is_signed_in (CcProxyAuthCapable *self,
                                                       CcProxySnapshot    *snapshot);
CC_PROXY_EXPORT
gboolean           cc_proxy_auth_capable_default_is_signed_in (CcProxyAuthCapable *self,
                                                               CcProxySnapshot    *snapshot);

CC_PROXY_EXPORT
char              *cc_proxy_auth_capable_dup_attention (CcProxyAuthCapable *self);
CC_PROXY_EXPORT
void               cc_proxy_auth_capable_attention_changed (CcProxyAuthCapable *self);

G_END_DECLS
