/* cc-proxy-provider.c: the provider interface
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-proxy.h"

/**
 * cc_proxy_provider_error_quark:
 *
 * The domain of #CcProxyProviderError.
 *
 * Returns: the quark
 */
G_DEFINE_QUARK (cc-proxy-provider-error-quark, cc_proxy_provider_error)

G_DEFINE_INTERFACE (CcProxyProvider, cc_proxy_provider, G_TYPE_OBJECT)

/* By default, what the descriptor's routes say. */
static gboolean
cc_proxy_provider_real_handles_path (CcProxyProvider *self,
                                     const char      *path)
{
  return cc_proxy_provider_descriptor_find_route (cc_proxy_provider_get_descriptor (self), path, NULL, NULL);
}

static gboolean
cc_proxy_provider_real_expects_json_body (CcProxyProvider *self,
                                          const char      *path)
{
  gboolean json_body = FALSE;

  cc_proxy_provider_descriptor_find_route (cc_proxy_provider_get_descriptor (self), path, NULL, &json_body);
  return json_body;
}

static const char *
cc_proxy_provider_real_get_allowed_methods (CcProxyProvider *self,
                                            const char      *path)
{
  const char *methods = NULL;

  cc_proxy_provider_descriptor_find_route (cc_proxy_provider_get_descriptor (self), path, &methods, NULL);
  return methods;
}

/* A provider that serves no path is never asked; should it be, it
 * hands the request back to the core. */
static void
cc_proxy_provider_real_handle_request_async (CcProxyProvider       *self,
                                             CcProxyRequestContext *context,
                                             GCancellable          *cancellable,
                                             GAsyncReadyCallback    callback,
                                             gpointer               user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, cc_proxy_provider_real_handle_request_async);
  g_task_return_int (task, CC_PROXY_NOT_HANDLED);
}

/* Providers that answer through a GTask returning a CcProxyHandled with
 * g_task_return_int() need no finish function of their own. */
static CcProxyHandled
cc_proxy_provider_real_handle_request_finish (CcProxyProvider  *self,
                                              GAsyncResult     *result,
                                              GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), CC_PROXY_NOT_HANDLED);

  return (CcProxyHandled) g_task_propagate_int (G_TASK (result), error);
}

static void
cc_proxy_provider_default_init (CcProxyProviderInterface *iface)
{
  iface->handles_path = cc_proxy_provider_real_handles_path;
  iface->expects_json_body = cc_proxy_provider_real_expects_json_body;
  iface->get_allowed_methods = cc_proxy_provider_real_get_allowed_methods;
  iface->handle_request_async = cc_proxy_provider_real_handle_request_async;
  iface->handle_request_finish = cc_proxy_provider_real_handle_request_finish;
}

/**
 * cc_proxy_provider_get_descriptor:
 * @self: a provider
 *
 * Gets the provider's id, name and settings.
 *
 * Returns: (transfer none): the provider's descriptor, which it keeps for
 *   its lifetime
 */
CcProxyProviderDescriptor *
cc_proxy_provider_get_descriptor (CcProxyProvider *self)
{
  g_return_val_if_fail (CC_PROXY_IS_PROVIDER (self), NULL);

  return CC_PROXY_PROVIDER_GET_IFACE (self)->get_descriptor (self);
}

/**
 * cc_proxy_provider_get_id:
 * @self: a provider
 *
 * Gets the provider's id, from its descriptor.
 *
 * Returns: the id ("copilot")
 */
const char *
cc_proxy_provider_get_id (CcProxyProvider *self)
{
  return cc_proxy_provider_descriptor_get_id (cc_proxy_provider_get_descriptor (self));
}

/**
 * cc_proxy_provider_handles_path:
 * @self: a provider
 * @path: a request path, without the query
 *
 * Asks whether the provider serves @path; the core sends what it does not
 * serve to the `anthropic` upstream.
 *
 * Returns: whether the provider serves @path
 */
gboolean
cc_proxy_provider_handles_path (CcProxyProvider *self,
                                const char      *path)
{
  g_return_val_if_fail (CC_PROXY_IS_PROVIDER (self), FALSE);

  return CC_PROXY_PROVIDER_GET_IFACE (self)->handles_path (self, path);
}

/**
 * cc_proxy_provider_expects_json_body:
 * @self: a provider
 * @path: a path the provider serves
 *
 * Asks whether the core must parse the body as a JSON object first;
 * anything else then gets a 400 and the provider is not called.
 *
 * Returns: whether the body must be a JSON object
 */
gboolean
cc_proxy_provider_expects_json_body (CcProxyProvider *self,
                                     const char      *path)
{
  g_return_val_if_fail (CC_PROXY_IS_PROVIDER (self), FALSE);

  return CC_PROXY_PROVIDER_GET_IFACE (self)->expects_json_body (self, path);
}

/**
 * cc_proxy_provider_get_allowed_methods:
 * @self: a provider
 * @path: a path the provider serves
 *
 * Gets the methods @path accepts; other methods get 405 with `Allow`.
 *
 * Returns: (nullable): the `Allow` value for a handled @path, or %NULL
 *   when any method goes
 */
const char *
cc_proxy_provider_get_allowed_methods (CcProxyProvider *self,
                                       const char      *path)
{
  CcProxyProviderInterface *iface;

  g_return_val_if_fail (CC_PROXY_IS_PROVIDER (self), NULL);

  iface = CC_PROXY_PROVIDER_GET_IFACE (self);
  return iface->get_allowed_methods ? iface->get_allowed_methods (self, path) : NULL;
}

/**
 * cc_proxy_provider_handle_request_async:
 * @self: a provider
 * @context: the request, and the only way to answer it
 * @cancellable: (nullable): cancelled as soon as the client goes away
 * @callback: called when the provider is done with the request
 * @user_data: closure for @callback
 *
 * Serves one request: through cc_proxy_request_context_respond(), or
 * cc_proxy_request_context_begin_stream() and its writes, or
 * cc_proxy_request_context_relay_async().
 */
void
cc_proxy_provider_handle_request_async (CcProxyProvider       *self,
                                        CcProxyRequestContext *context,
                                        GCancellable          *cancellable,
                                        GAsyncReadyCallback    callback,
                                        gpointer               user_data)
{
  g_return_if_fail (CC_PROXY_IS_PROVIDER (self));
  g_return_if_fail (CC_PROXY_IS_REQUEST_CONTEXT (context));

  CC_PROXY_PROVIDER_GET_IFACE (self)->handle_request_async (self, context, cancellable, callback, user_data);
}

/**
 * cc_proxy_provider_handle_request_finish:
 * @self: a provider
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Finishes cc_proxy_provider_handle_request_async(). An error becomes a
 * 502 that names the provider (or an SSE `error` event when the answer
 * had begun).
 *
 * Returns: %CC_PROXY_HANDLED, or %CC_PROXY_NOT_HANDLED to let the core
 *   forward the request
 */
CcProxyHandled
cc_proxy_provider_handle_request_finish (CcProxyProvider  *self,
                                         GAsyncResult     *result,
                                         GError          **error)
{
  g_return_val_if_fail (CC_PROXY_IS_PROVIDER (self), CC_PROXY_NOT_HANDLED);

  return CC_PROXY_PROVIDER_GET_IFACE (self)->handle_request_finish (self, result, error);
}

/**
 * cc_proxy_provider_dup_client_environment:
 * @self: a provider
 * @snapshot: the settings in use
 *
 * What a client such as Claude Code should be started with to use this
 * provider well, beyond the proxy's address: the models to ask for, say
 * (`ANTHROPIC_MODEL`, `ANTHROPIC_SMALL_FAST_MODEL`). Optional vfunc.
 *
 * Returns: (transfer full) (element-type utf8 utf8): variable names to
 *   values; empty when the provider recommends nothing
 */
GHashTable *
cc_proxy_provider_dup_client_environment (CcProxyProvider *self,
                                          CcProxySnapshot *snapshot)
{
  CcProxyProviderInterface *iface;
  GHashTable *environment;

  g_return_val_if_fail (CC_PROXY_IS_PROVIDER (self), NULL);

  iface = CC_PROXY_PROVIDER_GET_IFACE (self);
  environment = iface->dup_client_environment != NULL ? iface->dup_client_environment (self, snapshot) : NULL;
  return environment != NULL ? environment : g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}
