/* cc-proxy-sse-parser.h: incremental server-sent events parser
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(CC_PROXY_INSIDE) && !defined(CC_PROXY_COMPILATION)
#error "Only <cc-proxy/cc-proxy.h> can be included directly."
#endif

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * CcProxySseEventFunc:
 * @event: (nullable): the `event:` field, %NULL when the event had none
 * @data: the `data:` lines joined by "\n"
 * @user_data: closure
 *
 * Called once for every complete event, in stream order.
 */
/**
 * CC_PROXY_SSE_MAX_EVENT_SIZE:
 *
 * The longest line or event a #CcProxySseParser holds: 16 MiB. Real
 * events are a few kilobytes; an upstream that never ends a line must
 * not make the proxy hold it whole.
 */
#define CC_PROXY_SSE_MAX_EVENT_SIZE (16 * 1024 * 1024)

typedef void (*CcProxySseEventFunc) (const char *event,
                                     const char *data,
                                     gpointer    user_data);

/**
 * CcProxySseParser:
 *
 * Turns a byte stream split anywhere (inside a line, inside a `\r\n`)
 * into whole events. Not a GObject: it is a small value owned by the
 * one reader feeding it.
 */
typedef struct _CcProxySseParser CcProxySseParser;

CC_PROXY_EXPORT
CcProxySseParser *cc_proxy_sse_parser_new    (CcProxySseEventFunc  func,
                                              gpointer             user_data);
CC_PROXY_EXPORT
void              cc_proxy_sse_parser_free   (CcProxySseParser    *self);
CC_PROXY_EXPORT
gboolean          cc_proxy_sse_parser_feed   (CcProxySseParser    *self,
                                              const char          *bytes,
                                              gsize                len);
CC_PROXY_EXPORT
gboolean          cc_proxy_sse_parser_finish (CcProxySseParser    *self);

CC_PROXY_EXPORT
void              cc_proxy_sse_append_event  (GString             *out,
                                              const char          *event,
                                              JsonNode            *data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcProxySseParser, cc_proxy_sse_parser_free)

G_END_DECLS
