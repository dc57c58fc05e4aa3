/* cc-proxy-private.h: what cc-proxyd needs of libcc-proxy beyond the
 * provider API
 *
 * libcc-proxy exports only the provider API (CC_PROXY_EXPORT in the
 * headers under include/cc-proxy/). The daemon also builds requests,
 * snapshots and event sinks, whose code must live in the library: a
 * provider module and the daemon have to share one copy of each type.
 * Those calls go through one table, the way GLib's glib__private__()
 * does, so that they are not ABI: CC_PROXY_PRIVATE_CALL (exchange_new)
 * calls cc_proxy_exchange_new().
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"
#include "cc-proxy-body-stream.h"
#include "cc-proxy-event-private.h"
#include "cc-proxy-event-sink.h"
#include "cc-proxy-exchange.h"
#include "cc-proxy-relay.h"
#include "cc-proxy-request-context-private.h"
#include "cc-proxy-snapshot-private.h"

G_BEGIN_DECLS

gboolean cc_proxy_auth_capable_default_is_signed_in (CcProxyAuthCapable *self,
                                                     CcProxySnapshot    *snapshot);

/* Each entry names cc_proxy_<entry>(); the table takes its type from
 * the function's own prototype. */
#define CC_PROXY_PRIVATE_FUNCTIONS(X) \
  X (auth_capable_default_is_signed_in) \
  X (body_stream_end) \
  X (body_stream_fail) \
  X (body_stream_new) \
  X (body_stream_push) \
  X (event_new) \
  X (event_sink_emit) \
  X (event_sink_get_body_limit) \
  X (event_sink_hold_progress) \
  X (event_sink_new) \
  X (event_sink_set_body_limit) \
  X (exchange_clear_responder) \
  X (exchange_count_out) \
  X (exchange_dispatch) \
  X (exchange_from_message) \
  X (exchange_get_context) \
  X (exchange_has_response_started) \
  X (exchange_is_streaming_body) \
  X (exchange_limit_body) \
  X (exchange_new) \
  X (exchange_release) \
  X (exchange_respond_error) \
  X (exchange_set_responder) \
  X (exchange_start) \
  X (exchange_stream_body) \
  X (headers_safe_view) \
  X (redact_json) \
  X (redact_string) \
  X (relay_forward_async) \
  X (relay_forward_finish) \
  X (relay_track_connections) \
  X (request_context_emit_request) \
  X (request_context_is_observed) \
  X (request_context_redact) \
  X (request_context_set_body) \
  X (request_context_set_body_stream) \
  X (response_summarize) \
  X (snapshot_deserialize) \
  X (snapshot_insert) \
  X (snapshot_new) \
  X (snapshot_serialize)

#define CC_PROXY_PRIVATE_MEMBER(name) __typeof__ (cc_proxy_##name) *name;

typedef struct
{
  CC_PROXY_PRIVATE_FUNCTIONS (CC_PROXY_PRIVATE_MEMBER)
} CcProxyPrivateVTable;

#undef CC_PROXY_PRIVATE_MEMBER

CC_PROXY_EXPORT
const CcProxyPrivateVTable *cc_proxy__private__ (void);

#define CC_PROXY_PRIVATE_CALL(name) (cc_proxy__private__ ()->name)

G_END_DECLS
