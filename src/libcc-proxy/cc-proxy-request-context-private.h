/* cc-proxy-request-context-private.h: what a subclass of the request
 * context implements
 *
 * Not installed: only cc-proxyd's core (src/core/) subclasses the
 * context, as glib-networking subclasses GIO's abstract GTlsConnection.
 * Every public cc_proxy_request_context_*() function but get_provider_id()
 * checks its arguments and calls one of these.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"

G_BEGIN_DECLS

struct _CcProxyRequestContextClass
{
  GObjectClass parent_class;

  /* What the client sent, and what the request runs with */
  const char         *(*get_id)               (CcProxyRequestContext *self);
  const char         *(*get_method)           (CcProxyRequestContext *self);
  const char         *(*get_path)             (CcProxyRequestContext *self);
  const char         *(*get_query)            (CcProxyRequestContext *self);
  SoupMessageHeaders *(*get_request_headers)  (CcProxyRequestContext *self);
  GBytes             *(*get_body)             (CcProxyRequestContext *self);
  JsonNode           *(*get_json_body)        (CcProxyRequestContext *self);
  CcProxySnapshot    *(*get_snapshot)         (CcProxyRequestContext *self);
  SoupSession        *(*get_session)          (CcProxyRequestContext *self);
  void                (*add_secret)           (CcProxyRequestContext *self,
                                               const char            *value);
  GStrv               (*dup_safe_headers)     (CcProxyRequestContext *self,
                                               SoupMessageHeaders    *headers);

  /* The answer */
  gboolean            (*has_response_started) (CcProxyRequestContext *self);
  void                (*set_status)           (CcProxyRequestContext *self,
                                               guint                  status);
  SoupMessageHeaders *(*get_response_headers) (CcProxyRequestContext *self);
  void                (*respond)              (CcProxyRequestContext *self,
                                               guint                  status,
                                               const char            *content_type,
                                               GBytes                *body);
  void                (*begin_stream)         (CcProxyRequestContext *self,
                                               guint                  status,
                                               const char            *content_type);
  void                (*write)                (CcProxyRequestContext *self,
                                               const char            *data,
                                               gsize                  len);
  void                (*end_stream)           (CcProxyRequestContext *self);
  void                (*respond_error)        (CcProxyRequestContext *self,
                                               guint                  status,
                                               const char            *kind,
                                               const char            *message);
  void                (*relay_async)          (CcProxyRequestContext *self,
                                               SoupMessage           *upstream,
                                               GInputStream          *body,
                                               CcProxyRelayFilter     filter,
                                               gpointer               filter_data,
                                               GDestroyNotify         filter_data_destroy,
                                               GCancellable          *cancellable,
                                               GAsyncReadyCallback    callback,
                                               gpointer               user_data);
  gboolean            (*relay_finish)         (CcProxyRequestContext *self,
                                               GAsyncResult          *result,
                                               GError               **error);

  /* An event a relay filter made, on its way to the client */
  void                (*observe_event)        (CcProxyRequestContext *self,
                                               const char            *event,
                                               JsonNode              *data);
};

/* What one call of a relay filter makes; the relay owns it. */
struct _CcProxyRelayOutput
{
  GString               *text;     /* the SSE events made */
  CcProxyRequestContext *context;  /* the relay's */
  gboolean               ended;    /* the filter wants no more upstream data */
};

G_END_DECLS
