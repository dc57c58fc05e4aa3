/* cc-proxy-provider.h: the interface every provider implements
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(CC_PROXY_INSIDE) && !defined(CC_PROXY_COMPILATION)
#error "Only <cc-proxy/cc-proxy.h> can be included directly."
#endif

#include <gio/gio.h>

#include "cc-proxy-provider-descriptor.h"
#include "cc-proxy-request-context.h"

G_BEGIN_DECLS

/**
 * CC_PROXY_PROVIDER_EXTENSION_POINT_NAME:
 *
 * The GIO extension point provider modules implement.
 */
#define CC_PROXY_PROVIDER_EXTENSION_POINT_NAME "cc-proxy-provider"

/**
 * CcProxyHandled:
 * @CC_PROXY_NOT_HANDLED: the core goes on with its default upstream
 * @CC_PROXY_HANDLED: the provider answered the request
 *
 * What a provider did with a request it was given.
 */
typedef enum {
  CC_PROXY_NOT_HANDLED,
  CC_PROXY_HANDLED,
} CcProxyHandled;

#define CC_PROXY_PROVIDER_ERROR (cc_proxy_provider_error_quark ())

/**
 * CcProxyProviderError:
 * @CC_PROXY_PROVIDER_ERROR_FAILED: the provider could not serve a request
 * @CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR: a descriptor breaks a rule
 * @CC_PROXY_PROVIDER_ERROR_INVALID_VALUE: a setting value is not allowed
 *
 * Errors of the %CC_PROXY_PROVIDER_ERROR domain.
 */
typedef enum {
  CC_PROXY_PROVIDER_ERROR_FAILED,
  CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR,
  CC_PROXY_PROVIDER_ERROR_INVALID_VALUE,
} CcProxyProviderError;

CC_PROXY_EXPORT
GQuark cc_proxy_provider_error_quark (void);

#define CC_PROXY_TYPE_PROVIDER (cc_proxy_provider_get_type ())

/**
 * CcProxyProvider:
 *
 * What a provider module implements: a descriptor (id, name, settings),
 * the request paths it serves, and the serving itself. cc-proxyd finds
 * implementations on the `cc-proxy-provider` extension point and makes
 * one instance of each.
 */
CC_PROXY_EXPORT
G_DECLARE_INTERFACE (CcProxyProvider, cc_proxy_provider, CC_PROXY, PROVIDER, GObject)

/**
 * CcProxyProviderInterface:
 * @get_descriptor: returns the provider's descriptor (transfer none)
 * @handles_path: whether the provider serves @path (query excluded);
 *   the default answers from the descriptor's routes
 *   (cc_proxy_provider_descriptor_add_route()). cc-proxyd routes a
 *   module's requests by those routes before its host has loaded it:
 *   a module serves no path its descriptor does not declare
 * @expects_json_body: whether the core must parse the body as a JSON
 *   object before calling @handle_request_async; the default answers
 *   from the descriptor's routes
 * @get_allowed_methods: the methods a handled path accepts, as an
 *   `Allow` header value ("POST"), or %NULL for any; the default
 *   answers from the descriptor's routes
 * @handle_request_async: serve one request; answer through the context
 *   (cc_proxy_request_context_respond(), or
 *   cc_proxy_request_context_begin_stream() and its writes), never the
 *   HTTP message, which the core owns; the default answers
 *   %CC_PROXY_NOT_HANDLED
 * @handle_request_finish: %CC_PROXY_HANDLED, %CC_PROXY_NOT_HANDLED, or
 *   an error that the core turns into a 502; the default reads a #GTask
 *   completed with g_task_return_int() or an error
 * @dup_client_environment: optional; (transfer full) variables a client
 *   should be started with beyond the proxy's address, name to value, or
 *   %NULL for none
 *
 * New vfuncs are only ever appended, taking a slot of the padding, so
 * that a module built against an earlier release of the same API keeps
 * working (see "Versions" in the plugin guide).
 */
struct _CcProxyProviderInterface
{
  GTypeInterface g_iface;

  CcProxyProviderDescriptor *(*get_descriptor)        (CcProxyProvider        *self);
  gboolean                   (*handles_path)          (CcProxyProvider        *self,
                                                       const char             *path);
  gboolean                   (*expects_json_body)     (CcProxyProvider        *self,
                                                       const char             *path);
  const char                *(*get_allowed_methods)   (CcProxyProvider        *self,
                                                       const char             *path);
  void                       (*handle_request_async)  (CcProxyProvider        *self,
                                                       CcProxyRequestContext  *context,
                                                       GCancellable           *cancellable,
                                                       GAsyncReadyCallback     callback,
                                                       gpointer                user_data);
  CcProxyHandled             (*handle_request_finish) (CcProxyProvider        *self,
                                                       GAsyncResult           *result,
                                                       GError                **error);
  GHashTable                *(*dup_client_environment) (CcProxyProvider      *self,
                                                         CcProxySnapshot      *snapshot);

  /*< private >*/
  gpointer padding[7];
};

CC_PROXY_EXPORT
CcProxyProviderDescriptor *cc_proxy_provider_get_descriptor        (CcProxyProvider        *self);
CC_PROXY_EXPORT
const char                *cc_proxy_provider_get_id                (CcProxyProvider        *self);
CC_PROXY_EXPORT
gboolean                   cc_proxy_provider_handles_path          (CcProxyProvider        *self,
                                                                    const char             *path);
CC_PROXY_EXPORT
gboolean                   cc_proxy_provider_expects_json_body     (CcProxyProvider        *self,
                                                                    const char             *path);
CC_PROXY_EXPORT
const char                *cc_proxy_provider_get_allowed_methods   (CcProxyProvider        *self,
                                                                    const char             *path);
CC_PROXY_EXPORT
void                       cc_proxy_provider_handle_request_async  (CcProxyProvider        *self,
                                                                    CcProxyRequestContext  *context,
                                                                    GCancellable           *cancellable,
                                                                    GAsyncReadyCallback     callback,
                                                                    gpointer                user_data);
CC_PROXY_EXPORT
CcProxyHandled             cc_proxy_provider_handle_request_finish (CcProxyProvider        *self,
                                                                    GAsyncResult           *result,
                                                                    GError                **error);
CC_PROXY_EXPORT
GHashTable                *cc_proxy_provider_dup_client_environment (CcProxyProvider       *self,
                                                                     CcProxySnapshot       *snapshot);

G_END_DECLS
