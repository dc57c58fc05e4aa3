/* cc-proxy-event-sink.h: where request contexts send their events
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy-event.h"

G_BEGIN_DECLS

#define CC_PROXY_TYPE_EVENT_SINK (cc_proxy_event_sink_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyEventSink, cc_proxy_event_sink, CC_PROXY, EVENT_SINK, GObject)

CcProxyEventSink *cc_proxy_event_sink_new       (void);
gboolean          cc_proxy_event_sink_is_active (CcProxyEventSink *self);
void              cc_proxy_event_sink_emit      (CcProxyEventSink *self,
                                                 CcProxyEvent     *event);
void              cc_proxy_event_sink_set_body_limit (CcProxyEventSink *self,
                                                      gsize             limit);
gsize             cc_proxy_event_sink_get_body_limit (CcProxyEventSink *self);
void              cc_proxy_event_sink_hold_progress    (CcProxyEventSink *self);
void              cc_proxy_event_sink_release_progress (CcProxyEventSink *self);
gboolean          cc_proxy_event_sink_wants_progress   (CcProxyEventSink *self);

G_END_DECLS
