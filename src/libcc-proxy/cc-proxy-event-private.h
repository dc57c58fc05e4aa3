/* cc-proxy-event-private.h: building and redacting events (core only)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"

G_BEGIN_DECLS

#define CC_PROXY_REDACTED "[redacted]"

CcProxyEvent *cc_proxy_event_new          (CcProxyEventKind    kind);
char         *cc_proxy_redact_string      (const char         *text,
                                           const char * const *secrets);
GBytes       *cc_proxy_redact_bytes       (GBytes             *bytes,
                                           const char * const *secrets);
JsonNode     *cc_proxy_redact_json        (JsonNode           *node,
                                           const char * const *secrets);
GStrv         cc_proxy_headers_safe_view  (SoupMessageHeaders *headers,
                                           const char * const *secrets);
gboolean      cc_proxy_headers_is_event_stream (SoupMessageHeaders *headers);
void          cc_proxy_response_summarize (JsonNode           *body,
                                           JsonNode          **usage,
                                           char              **stop_reason);

G_END_DECLS
