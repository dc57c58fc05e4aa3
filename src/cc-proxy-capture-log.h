/* cc-proxy-capture-log.h: every event, appended to a JSON Lines file a day
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cc-proxy-event-sink.h"

G_BEGIN_DECLS

/* The capture-body-limit setting's default: 4 MiB of each body. */
#define CC_PROXY_CAPTURE_DEFAULT_BODY_LIMIT (4 * 1024 * 1024)

#define CC_PROXY_TYPE_CAPTURE_LOG (cc_proxy_capture_log_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyCaptureLog, cc_proxy_capture_log, CC_PROXY, CAPTURE_LOG, GObject)

CcProxyCaptureLog *cc_proxy_capture_log_new             (CcProxyEventSink  *sink,
                                                         const char        *directory);
void               cc_proxy_capture_log_bind_settings   (CcProxyCaptureLog *self,
                                                         GSettings         *settings);
void               cc_proxy_capture_log_set_enabled     (CcProxyCaptureLog *self,
                                                         gboolean           enabled);
gboolean           cc_proxy_capture_log_get_enabled     (CcProxyCaptureLog *self);
void               cc_proxy_capture_log_set_limits      (CcProxyCaptureLog *self,
                                                         guint64            max_bytes,
                                                         guint              retention_days);
void               cc_proxy_capture_log_set_body_limit  (CcProxyCaptureLog *self,
                                                         gsize              limit);
void               cc_proxy_capture_log_set_queue_limit (CcProxyCaptureLog *self,
                                                         guint              max_events);
const char        *cc_proxy_capture_log_get_directory   (CcProxyCaptureLog *self);
void               cc_proxy_capture_log_get_counters    (CcProxyCaptureLog *self,
                                                         guint64           *written,
                                                         guint64           *dropped);
char              *cc_proxy_capture_log_dup_error       (CcProxyCaptureLog *self);
char              *cc_proxy_capture_log_format_event    (CcProxyEvent      *event,
                                                         GTimeZone         *zone,
                                                         char             **day);

G_END_DECLS
