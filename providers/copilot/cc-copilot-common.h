/* cc-copilot-common.h: what the copilot provider's parts share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <cc-proxy/cc-proxy.h>

#include "cc-upstream-clock.h"
#include "cc-upstream-request.h"

G_BEGIN_DECLS

#define CC_COPILOT_PROVIDER_ID "copilot"
/* Sent as editor-plugin-version and in the user agent. */
#define CC_COPILOT_PLUGIN_VERSION "0.26.7"
#define CC_COPILOT_API_VERSION "2025-04-01"

#define CC_COPILOT_ERROR (cc_copilot_error_quark ())

typedef enum {
  CC_COPILOT_ERROR_NO_CREDENTIALS,   /* neither token nor github-token */
  CC_COPILOT_ERROR_EXCHANGE_FAILED,  /* GitHub refused the token exchange */
  CC_COPILOT_ERROR_LOGIN_FAILED,     /* the device flow ended in an error */
  CC_COPILOT_ERROR_LOGIN_REFUSED,    /* GitHub refused the login itself (revoked, expired) */
} CcCopilotError;

GQuark cc_copilot_error_quark (void);

char *cc_copilot_base_url            (CcProxySnapshot    *snapshot,
                                      const char         *token_endpoint);
void  cc_copilot_add_copilot_headers (SoupMessageHeaders *headers,
                                      CcProxySnapshot    *snapshot,
                                      const char         *token);
void  cc_copilot_add_github_headers  (SoupMessageHeaders *headers,
                                      CcProxySnapshot    *snapshot,
                                      const char         *github_token);

G_END_DECLS
