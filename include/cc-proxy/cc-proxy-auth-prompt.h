/* cc-proxy-auth-prompt.h: what a login flow shows the person
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(CC_PROXY_INSIDE) && !defined(CC_PROXY_COMPILATION)
#error "Only <cc-proxy/cc-proxy.h> can be included directly."
#endif

#include <glib-object.h>

#include "cc-proxy-snapshot.h"

G_BEGIN_DECLS

#define CC_PROXY_TYPE_AUTH_PROMPT (cc_proxy_auth_prompt_get_type ())

/**
 * CcProxyAuthPrompt:
 *
 * How a running login flow tells the person what to do: the address to
 * open and the code to enter, through cc_proxy_auth_prompt_show(). The
 * core shows them on the bus (the `AuthFlow` object) and in
 * `cc-proxyctl auth`.
 */
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

G_END_DECLS
