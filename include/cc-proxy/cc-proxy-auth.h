/* cc-proxy-auth.h: the optional login capability of a provider
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(CC_PROXY_INSIDE) && !defined(CC_PROXY_COMPILATION)
#error "Only <cc-proxy/cc-proxy.h> can be included directly."
#endif

#include <gio/gio.h>

#include "cc-proxy-snapshot.h"

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

#define CC_PROXY_TYPE_AUTH_PROMPT (cc_proxy_auth_prompt_get_type ())
CC_PROXY_EXPORT
G_DECLARE_FINAL_TYPE (CcProxyAuthPrompt, cc_proxy_auth_prompt, CC_PROXY, AUTH_PROMPT, GObject)

CC_PROXY_EXPORT
CcProxyAuthPrompt *cc_proxy_auth_prompt_new                  (CcProxySnapshot   *snapshot);
CC_PROXY_EXPORT
CcProxySnapshot   *cc_proxy_auth_prompt_get_snapshot         (CcProxyAuthPrompt *self);
CC_PROXY_EXPORT
void               cc_proxy_auth_prompt_show                 (CcProxyAuthPrompt *self,
                                                              const char        *verification_url,
                                                              const char        *user_code,
                                                              const char        *message);
CC_PROXY_EXPORT
const char        *cc_proxy_auth_prompt_get_verification_url (CcProxyAuthPrompt *self);
CC_PROXY_EXPORT
const char        *cc_proxy_auth_prompt_get_user_code        (CcProxyAuthPrompt *self);
CC_PROXY_EXPORT
const char        *cc_proxy_auth_prompt_get_message          (CcProxyAuthPrompt *self);

#define CC_PROXY_TYPE_AUTH_CAPABLE (cc_proxy_auth_capable_get_type ())
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
char              *cc_proxy_auth_capable_dup_attention (CcProxyAuthCapable *self);
CC_PROXY_EXPORT
void               cc_proxy_auth_capable_attention_changed (CcProxyAuthCapable *self);

G_END_DECLS
