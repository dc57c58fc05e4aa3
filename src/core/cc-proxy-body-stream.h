/* cc-proxy-body-stream.h: a request body that is still arriving
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CC_PROXY_TYPE_BODY_STREAM (cc_proxy_body_stream_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyBodyStream, cc_proxy_body_stream, CC_PROXY, BODY_STREAM, GInputStream)

CcProxyBodyStream *cc_proxy_body_stream_new        (void);
void               cc_proxy_body_stream_push       (CcProxyBodyStream *self,
                                                    GBytes            *bytes);
void               cc_proxy_body_stream_end        (CcProxyBodyStream *self);
gsize              cc_proxy_body_stream_get_queued (CcProxyBodyStream *self);
void               cc_proxy_body_stream_set_drained_func (CcProxyBodyStream *self,
                                                          GSourceFunc        func,
                                                          gpointer           user_data);
void               cc_proxy_body_stream_fail       (CcProxyBodyStream *self,
                                                    const GError      *error);

G_END_DECLS
