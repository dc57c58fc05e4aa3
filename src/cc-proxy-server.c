/* cc-proxy-server.c: accepts requests, routes them, and is the dispatch
 * boundary: whatever a provider does wrong ends here as a well-formed
 * error for that one request.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-pipeline"

#include "config.h"

#include <locale.h>

#include <glib/gi18n-lib.h>
#include <sys/socket.h>

#include "cc-proxy-body-stream.h"
#include "cc-proxy-exchange.h"
#include "cc-proxy-hangup.h"
#include "cc-proxy-listener.h"
#include "cc-proxy-body-scan.h"
#include "cc-proxy-relay.h"
#include "cc-proxy-route-table.h"
#include "cc-proxy-server.h"
#include "cc-proxy-event-sink.h"
#include "cc-proxy-event.h"

struct _CcProxyServer
{
  GObject           parent_instance;

  SoupServer       *soup_server;
  CcProxyListener  *listener;     /* accepts, and closes idle connections */
  SoupSession      *session;      /* one, so upstream connections are reused */
  CcProxyRegistry  *registry;
  CcProxyRuntime   *runtime;
  CcProxyRouter    *router;       /* NULL: no routes */
  CcProxySpendGuard *guard;       /* NULL: no budget to ask about */
  CcProxyEventSink *sink;
  char             *url;
  guint             deadline_seconds;
  CcProxyCounters  *counters;             /* shared with every exchange */
  guint64           upstream_connections;  /* opened since start */
  guint64           max_request_size;      /* bytes */
  guint64           body_budget;           /* bytes of request bodies held at once */
  guint64          *bodies_held;           /* rc box: held now, shared with the holds */
  guint             client_timeout;        /* seconds for a request head */
};

G_DEFINE_QUARK (cc-proxy-server-error-quark, cc_proxy_server_error)

G_DEFINE_FINAL_TYPE (CcProxyServer, cc_proxy_server, G_TYPE_OBJECT)

/* One provider call in flight: the request's responder until the
 * provider answers (or hands the answer to a relay). */
typedef struct
{
  CcProxyServer         *server;
  CcProxyExchange       *exchange;
  CcProxyExchangeContext *context;
  CcProxyProvider       *provider;
  GCancellable          *cancellable;
  guint                  deadline_id;
  gboolean               abandoned;  /* the deadline or another try answered for it */
} Dispatch;

/* A routed request's tries: the plan, and the body each try starts
 * from. The exchange owns it (as its fallback data). */
typedef struct
{
  CcProxyServer      *server;
  CcProxyRoutePlan   *plan;
  CcProxyRouteTarget *current;   /* in plan->targets */
  GBytes             *body;      /* as the client sent it */
  Dispatch           *dispatch;  /* the current try's, while it works */
} Tries;

static void
tries_free (gpointer data)
{
  Tries *tries = data;

  g_clear_object (&tries->server);
  g_clear_pointer (&tries->plan, cc_proxy_route_plan_free);
  g_clear_pointer (&tries->body, g_bytes_unref);
  g_free (tries);
}

static Tries *
tries_of (CcProxyExchange *exchange)
{
  return exchange != NULL ? cc_proxy_exchange_get_fallback_data (exchange) : NULL;
}

static void
dispatch_free (Dispatch *dispatch)
{
  Tries *tries = tries_of (dispatch->exchange);

  if (tries != NULL && tries->dispatch == dispatch)
    tries->dispatch = NULL;
  g_clear_handle_id (&dispatch->deadline_id, g_source_remove);
  cc_proxy_exchange_clear_responder (dispatch->exchange, dispatch);
  g_clear_object (&dispatch->server);
  g_clear_object (&dispatch->exchange);
  g_clear_object (&dispatch->context);
  g_clear_object (&dispatch->provider);
  g_clear_object (&dispatch->cancellable);
  g_free (dispatch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Dispatch, dispatch_free)

static void
on_forwarded (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!cc_proxy_relay_forward_finish (result, &error))
    g_debug ("Forwarding ended: %s", error->message);
}

/* A provider with a stored value it refused serves nothing, rather
 * than send the request where the default points: the answer says
 * which value and how to fix it, and is not worth a retry. Whether
 * answered so. */
static gboolean
refuse_misconfigured (CcProxyServer          *self,
                      CcProxyExchangeContext *context,
                      const char             *provider_id)
{
  CcProxyRequestContext *request = CC_PROXY_REQUEST_CONTEXT (context);
  const char *why = cc_proxy_runtime_get_refusal (self->runtime, provider_id);

  if (why == NULL)
    return FALSE;
  soup_message_headers_replace (cc_proxy_request_context_get_response_headers (request), "x-should-retry", "false");
  cc_proxy_request_context_respond_error (request, SOUP_STATUS_BAD_GATEWAY, "api_error", why);
  return TRUE;
}

/* The default path. It always goes to the built-in provider's upstream:
 * a plugin that did not handle a path must not receive the client's
 * Anthropic credentials at its own host. */
static void
forward (CcProxyServer          *self,
         CcProxyExchangeContext *context)
{
  CcProxyRequestContext *request = CC_PROXY_REQUEST_CONTEXT (context);
  CcProxySnapshot *snapshot = cc_proxy_request_context_get_snapshot (request);
  const char *base_url = cc_proxy_snapshot_get_value (snapshot, CC_PROXY_BUILTIN_PROVIDER_ID, "base-url");

  if (refuse_misconfigured (self, context, CC_PROXY_BUILTIN_PROVIDER_ID))
    return;
  if (base_url == NULL || base_url[0] == '\0')
    {
      cc_proxy_request_context_respond_error (request, SOUP_STATUS_INTERNAL_SERVER_ERROR, "api_error",
                                              _("No upstream URL is configured: set the base-url setting "
                                                "of the anthropic provider (or ANTHROPIC_UPSTREAM_URL)"));
      return;
    }

  cc_proxy_relay_forward_async (context, NULL, base_url, NULL, on_forwarded, NULL);
}

static gboolean
on_deadline (gpointer user_data)
{
  Dispatch *dispatch = user_data;

  dispatch->deadline_id = 0;

  /* A provider that has started answering (a long stream, say) owns the
   * answer; the deadline is for providers that never start. */
  if (cc_proxy_exchange_has_response_started (dispatch->exchange))
    return G_SOURCE_REMOVE;

  dispatch->abandoned = TRUE;
  g_cancellable_cancel (dispatch->cancellable);
  {
    g_autofree char *message = g_strdup_printf (_("The %s provider did not answer within %u seconds"),
                                                cc_proxy_provider_get_id (dispatch->provider),
                                                dispatch->server->deadline_seconds);

    g_message ("%s", message);
    cc_proxy_exchange_respond_error (dispatch->exchange, CC_PROXY_EVENT_PROXY_ERROR, SOUP_STATUS_BAD_GATEWAY,
                                     "api_error", message);
  }
  return G_SOURCE_REMOVE;
}

/* Why a provider failed, in words a person can act on, for the failures
 * of its upstream connection that GIO names: the sentence goes to the
 * client, the traffic views and the capture log. Any other error may
 * hold a provider's internals, and gets the general sentence. Claude
 * Code retries a 5xx ten times over minutes unless the answer says
 * "x-should-retry: false"; @retry_helps is FALSE where trying again at
 * once cannot help (nothing listens, no such host, a certificate
 * refused), so that the client shows the cause at its first try. */
static char *
describe_provider_failure (const char   *id,
                           const GError *error,
                           gboolean     *retry_helps)
{
  *retry_helps = TRUE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    {
      *retry_helps = FALSE;
      return g_strdup_printf (_("The %s provider could not connect to its upstream (%s): is the server "
                                "running, and is the provider's base-url right?"), id, error->message);
    }
  if (g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND))
    {
      *retry_helps = FALSE;
      return g_strdup_printf (_("The %s provider could not find its upstream's host (%s): check the "
                                "provider's base-url"), id, error->message);
    }
  if (error->domain == G_TLS_ERROR)
    {
      *retry_helps = FALSE;
      return g_strdup_printf (_("The %s provider could not make a secure connection to its upstream (%s)"),
                              id, error->message);
    }
  if (g_error_matches (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE))
    return g_strdup_printf (_("The %s provider cannot reach its upstream (%s): check the network"), id, error->message);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_strdup_printf (_("The %s provider's upstream did not answer in time (%s)"), id, error->message);
  return g_strdup_printf (_("The %s provider failed to handle this request"), id);
}

static void
on_provider_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Dispatch) dispatch = user_data;
  CcProxyProvider *provider = CC_PROXY_PROVIDER (source);
  const char *id = cc_proxy_provider_get_id (provider);
  g_autoptr(GError) error = NULL;
  CcProxyHandled handled;

  handled = cc_proxy_provider_handle_request_finish (provider, result, &error);
  if (dispatch->abandoned)
    return;

  if (error != NULL)
    {
      gboolean retry_helps;
      g_autofree char *message = describe_provider_failure (id, error, &retry_helps);
      g_autofree char *details = cc_proxy_exchange_context_redact (dispatch->context, error->message);
      gboolean started = cc_proxy_exchange_has_response_started (dispatch->exchange);

      /* The details always go to the debug log (never a secret). */
      g_debug ("Provider %s failed: %s", id, details);
      if (!retry_helps)
        soup_message_headers_replace (cc_proxy_exchange_get_response_headers (dispatch->exchange),
                                      "x-should-retry", "false");
      cc_proxy_exchange_respond_error (dispatch->exchange, started ? CC_PROXY_EVENT_ERROR : CC_PROXY_EVENT_PROXY_ERROR,
                                       SOUP_STATUS_BAD_GATEWAY, "api_error", message);
      return;
    }

  if (handled == CC_PROXY_HANDLED)
    return;

  if (cc_proxy_exchange_has_response_started (dispatch->exchange))
    {
      g_autofree char *message = g_strdup_printf (_("The %s provider answered “not handled” after it had started the response"), id);

      /* Forwarding now would send the request a second time. */
      cc_proxy_registry_record_error (dispatch->server->registry, id, message);
      cc_proxy_exchange_respond_error (dispatch->exchange, CC_PROXY_EVENT_ERROR, SOUP_STATUS_BAD_GATEWAY,
                                       "api_error", message);
      return;
    }

  cc_proxy_exchange_clear_responder (dispatch->exchange, dispatch);
  forward (dispatch->server, dispatch->context);
}

/* The client left while the provider worked: whatever it waits for
 * (an upstream's headers, a token, a rate limit) is of no use now. */
static void
on_dispatch_gone (gpointer data)
{
  Dispatch *dispatch = data;

  g_debug ("Client left; cancelling the %s provider", cc_proxy_provider_get_id (dispatch->provider));
  g_cancellable_cancel (dispatch->cancellable);
}

static const CcProxyResponder dispatch_responder = {
  .gone = on_dispatch_gone,
};

static void
dispatch_to_provider (CcProxyServer         *self,
                      CcProxyExchange       *exchange,
                      CcProxyProvider       *provider)
{
  Dispatch *dispatch;

  if (refuse_misconfigured (self, cc_proxy_exchange_get_context (exchange), cc_proxy_provider_get_id (provider)))
    return;
  dispatch = g_new0 (Dispatch, 1);

  dispatch->server = g_object_ref (self);
  dispatch->exchange = g_object_ref (exchange);
  dispatch->context = g_object_ref (cc_proxy_exchange_get_context (exchange));
  dispatch->provider = g_object_ref (provider);
  dispatch->cancellable = g_cancellable_new ();
  dispatch->deadline_id = g_timeout_add_seconds (self->deadline_seconds, on_deadline, dispatch);

  cc_proxy_exchange_set_responder (exchange, &dispatch_responder, dispatch);
  if (tries_of (exchange) != NULL)
    tries_of (exchange)->dispatch = dispatch;
  cc_proxy_provider_handle_request_async (provider, CC_PROXY_REQUEST_CONTEXT (dispatch->context), dispatch->cancellable,
                                          on_provider_done, dispatch);
}

static gboolean
is_loopback_host (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* DNS-rebinding and browser guard: a web page may not talk to us. */
static const char *
check_origin (SoupServerMessage *message)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  const char *origin = soup_message_headers_get_one (headers, "Origin");
  const char *host = soup_message_headers_get_one (headers, "Host");

  /* "null" too: sandboxed frames and file: pages send it, and they are
   * web pages as much as any other. */
  if (origin != NULL)
    return _("Requests from web pages are not allowed");

  if (host != NULL)
    {
      g_autofree char *name = NULL;

      if (host[0] == '[')
        name = g_strndup (host + 1, strcspn (host + 1, "]"));
      else
        name = g_strndup (host, strcspn (host, ":"));

      if (!is_loopback_host (name))
        return _("The Host header must name a loopback address");
    }
  return NULL;
}

/* The body as a JSON object, or NULL and why not, in words for the client. */
static JsonNode *
parse_json_object (GBytes  *body,
                   char   **problem)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (len == 0)
    {
      *problem = g_strdup (_("The request body is empty: send a JSON object"));
      return NULL;
    }
  node = cc_proxy_json_parse (data, len, &error);
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    return g_steal_pointer (&node);

  if (g_error_matches (error, CC_PROXY_JSON_ERROR, CC_PROXY_JSON_ERROR_TOO_DEEP))
    *problem = g_strdup_printf (_("The request body nests arrays and objects more than %u levels deep"),
                                CC_PROXY_JSON_MAX_DEPTH);
  else if (error != NULL)
    *problem = g_strdup_printf (_("The request body is not valid JSON: %s"), error->message);
  else
    *problem = g_strdup (_("The request body must be a JSON object"));
  return NULL;
}

static gboolean
method_allowed (const char *allow,
                const char *method)
{
  return allow == NULL || soup_header_contains (allow, method);
}

/* Outgoing proxies come from the usual environment variables, as for
 * the command-line clients this serves. The desktop's own resolver
 * (libproxy) would load GSettings, dconf and a thread per connection
 * into a service that is meant to stay small. */
static GProxyResolver *
proxy_resolver_from_environment (void)
{
  static const char * const https_vars[] = { "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", NULL };
  static const char * const http_vars[] = { "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", NULL };
  const char *https_proxy = NULL;
  const char *http_proxy = NULL;
  const char *no_proxy = g_getenv ("no_proxy") ? g_getenv ("no_proxy") : g_getenv ("NO_PROXY");
  g_auto(GStrv) ignore = NULL;
  GProxyResolver *resolver;

  for (guint i = 0; https_proxy == NULL && https_vars[i] != NULL; i++)
    if (g_getenv (https_vars[i]) != NULL && g_getenv (https_vars[i])[0] != '\0')
      https_proxy = g_getenv (https_vars[i]);
  for (guint i = 0; http_proxy == NULL && http_vars[i] != NULL; i++)
    if (g_getenv (http_vars[i]) != NULL && g_getenv (http_vars[i])[0] != '\0')
      http_proxy = g_getenv (http_vars[i]);

  if (https_proxy == NULL && http_proxy == NULL)
    return NULL;

  if (no_proxy != NULL)
    ignore = g_strsplit (no_proxy, ",", -1);
  resolver = g_simple_proxy_resolver_new (NULL, ignore);
  if (https_proxy != NULL)
    g_simple_proxy_resolver_set_uri_proxy (G_SIMPLE_PROXY_RESOLVER (resolver), "https", https_proxy);
  if (http_proxy != NULL)
    g_simple_proxy_resolver_set_uri_proxy (G_SIMPLE_PROXY_RESOLVER (resolver), "http", http_proxy);
  /* Not the URLs: they may carry proxy credentials. */
  g_debug ("Upstream proxies from the environment: https %s, http %s",
           https_proxy ? "yes" : "no", http_proxy ? "yes" : "no");
  return resolver;
}

/* A request may name the provider it is for, past the active provider
 * and the routes: `cc-proxyctl usage` asks each account for its quota,
 * and a client can pin itself (ANTHROPIC_CUSTOM_HEADERS). */
#define PROVIDER_HEADER "X-CC-Proxy-Provider"
/* On the exchange: the name the header gave when no provider has it. */
#define UNKNOWN_PROVIDER_KEY "cc-proxy-unknown-provider"

/* The provider the request names, else the active one, when it serves
 * @path; else NULL for the default path. The early handler asks once,
 * and the exchange keeps the answer. */
static CcProxyProvider *
route (CcProxyServer     *self,
       CcProxySnapshot   *snapshot,
       const char        *chosen,
       const char        *path)
{
  CcProxyProvider *provider = cc_proxy_registry_lookup (self->registry,
                                                        chosen ? chosen : cc_proxy_snapshot_get_active_provider (snapshot));

  return (provider != NULL && cc_proxy_provider_handles_path (provider, path)) ? provider : NULL;
}

/* ----- routes ----- */

/* The requests routes choose for: a conversation's, and its token
 * counts (which must go where the conversation goes). */
static gboolean
routes_apply (CcProxyServer     *self,
              SoupServerMessage *message,
              const char        *path)
{
  return self->router != NULL && !cc_proxy_router_is_empty (self->router) &&
         g_str_equal (soup_server_message_get_method (message), SOUP_METHOD_POST) &&
         (g_str_equal (path, "/v1/messages") || g_str_equal (path, "/v1/messages/count_tokens"));
}

/* The provider that serves @path for @target: NULL is the default path
 * (the built-in provider, or a plugin that leaves @path to it). */
static CcProxyProvider *
target_provider (CcProxyServer            *self,
                 const CcProxyRouteTarget *target,
                 const char               *path)
{
  CcProxyProvider *provider = cc_proxy_registry_lookup (self->registry, target->provider);

  return (provider != NULL && cc_proxy_provider_handles_path (provider, path)) ? provider : NULL;
}

/* The body for @target: the client's, with the target's model in it. */
static GBytes *
body_for_target (GBytes                   *body,
                 const CcProxyRouteTarget *target)
{
  GBytes *changed;

  if (body == NULL || target->model == NULL)
    return body ? g_bytes_ref (body) : NULL;
  changed = cc_proxy_body_replace_string (body, "model", target->model);
  return changed != NULL ? changed : g_bytes_ref (body);
}

/* Seconds a 429's Retry-After asks for (a number or an HTTP date), or
 * 0 when it says nothing readable. */
static guint
retry_after_seconds (SoupMessageHeaders *headers)
{
  const char *value = headers ? soup_message_headers_get_one (headers, "Retry-After") : NULL;
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(GDateTime) now = NULL;
  guint64 seconds;

  if (value == NULL)
    return 0;
  if (g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT32, &seconds, NULL))
    return (guint) seconds;
  date = soup_date_time_new_from_http_string (value);
  if (date == NULL)
    return 0;
  now = g_date_time_new_now_utc ();
  return (guint) CLAMP (g_date_time_difference (date, now) / G_USEC_PER_SEC, 0, G_MAXUINT32);
}

/* Whether an answer is a failure another provider may do better on:
 * the provider is down or broken (5xx), out of quota for longer than
 * the client should wait (429), or not signed in (401, after its own
 * token refresh failed). */
static gboolean
is_provider_failure (CcProxyServer      *self,
                     guint               status,
                     SoupMessageHeaders *headers,
                     guint              *retry_after)
{
  *retry_after = 0;
  if (status == 429)
    {
      *retry_after = retry_after_seconds (headers);
      return *retry_after == 0 || *retry_after > cc_proxy_router_get_retry_after_limit (self->router);
    }
  return status >= 500 || status == SOUP_STATUS_UNAUTHORIZED;
}

static void try_next (CcProxyServer   *self,
                      CcProxyExchange *exchange,
                      Tries           *tries);

static gboolean
on_next_try (gpointer user_data)
{
  CcProxyExchange *exchange = user_data;
  Tries *tries = tries_of (exchange);

  /* The client may have left in between. */
  if (tries != NULL && !cc_proxy_exchange_is_over (exchange) && cc_proxy_exchange_get_message (exchange) != NULL)
    try_next (tries->server, exchange, tries);
  return G_SOURCE_REMOVE;
}

/* Every answer of a routed request, before it starts: a failure with a
 * target left is dropped, and the next target tried with the same body. */
static gboolean
on_fallback (CcProxyExchange    *exchange,
             guint               status,
             SoupMessageHeaders *headers,
             const char         *message,
             gpointer            user_data)
{
  Tries *tries = user_data;
  CcProxyServer *self = tries->server;
  CcProxyRoutePlan *plan = tries->plan;
  g_autofree char *record = NULL;
  guint retry_after;
  gboolean failed = is_provider_failure (self, status, headers, &retry_after);

  cc_proxy_router_report (self->router, plan, tries->current, failed, retry_after);
  if (failed)
    {
      if (retry_after > 0)
        cc_proxy_route_plan_note (plan, _("%s %u, retry after %u s"), tries->current->provider, status, retry_after);
      else if (message != NULL)
        cc_proxy_route_plan_note (plan, "%s %u: %s", tries->current->provider, status, message);
      else
        cc_proxy_route_plan_note (plan, "%s %u", tries->current->provider, status);
    }
  /* A body that streamed upstream cannot be sent again. */
  if (failed && plan->next < plan->targets->len && tries->body != NULL)
    {
      g_debug ("Route %s: %s failed with %u, trying the next target", plan->route ? plan->route : "-",
               tries->current->provider, status);
      plan->fell_back = TRUE;
      if (tries->dispatch != NULL)
        tries->dispatch->abandoned = TRUE;
      g_idle_add_full (G_PRIORITY_DEFAULT, on_next_try, g_object_ref (exchange), g_object_unref);
      return TRUE;
    }

  record = cc_proxy_route_plan_describe (plan, tries->current);
  cc_proxy_exchange_context_set_route (cc_proxy_exchange_get_context (exchange), record);
  return FALSE;
}

/* The client's body as the current target is to get it: its model
 * written in, the thinking another provider signed left out (and said
 * in the request's record). */
static GBytes *
body_for_try (CcProxyServer *self,
              Tries         *tries)
{
  g_autoptr(GBytes) body = body_for_target (tries->body, tries->current);
  g_autofree char *dropped = NULL;
  GBytes *own;

  if (body == NULL)
    return NULL;
  own = cc_proxy_router_drop_foreign_thinking (self->router, body, tries->current->provider, &dropped);
  if (dropped != NULL)
    cc_proxy_route_plan_note (tries->plan, "%s", dropped);
  return own;
}

/* Sets the request's context up for the plan's next target (its body,
 * who serves it). Returns the provider, NULL for the default path. */
static CcProxyProvider *
prepare_try (CcProxyServer   *self,
             CcProxyExchange *exchange,
             Tries           *tries,
             JsonNode       **json)
{
  CcProxyExchangeContext *context = cc_proxy_exchange_get_context (exchange);
  const char *path = cc_proxy_request_context_get_path (CC_PROXY_REQUEST_CONTEXT (context));
  g_autoptr(GBytes) body = NULL;
  CcProxyProvider *provider;

  tries->current = g_ptr_array_index (tries->plan->targets, tries->plan->next++);
  provider = target_provider (self, tries->current, path);
  body = body_for_try (self, tries);
  if (json != NULL && provider != NULL && cc_proxy_provider_expects_json_body (provider, path) && body != NULL)
    *json = cc_proxy_json_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL);
  cc_proxy_exchange_context_set_body (context, body, json ? *json : NULL);
  cc_proxy_exchange_context_set_provider_id (context, tries->current->provider);
  cc_proxy_exchange_context_watch_signatures (context,
                                              cc_proxy_router_watch_signatures (self->router, tries->current->provider));
  cc_proxy_router_trying (self->router, tries->plan, tries->current);
  return provider;
}

static void
try_next (CcProxyServer   *self,
          CcProxyExchange *exchange,
          Tries           *tries)
{
  g_autoptr(JsonNode) json = NULL;
  CcProxyProvider *provider = prepare_try (self, exchange, tries, &json);

  if (provider == NULL)
    forward (self, cc_proxy_exchange_get_context (exchange));
  else
    dispatch_to_provider (self, exchange, provider);
}

/* The route decision for a request routes apply to: by its body when
 * it is held (@body), by its headers alone when it streams (NULL).
 * Returns the body for the first target (its model written in). */
static GBytes *
route_request (CcProxyServer   *self,
               CcProxyExchange *exchange,
               GBytes          *body)
{
  CcProxyExchangeContext *context = cc_proxy_exchange_get_context (exchange);
  CcProxyRequestContext *request = CC_PROXY_REQUEST_CONTEXT (context);
  SoupMessageHeaders *headers = cc_proxy_request_context_get_request_headers (request);
  CcProxySnapshot *snapshot = cc_proxy_request_context_get_snapshot (request);
  g_autoptr(CcProxyRouteTable) table = cc_proxy_route_table_ref (cc_proxy_router_get_table (self->router));
  g_auto(CcProxyRequestTraits) traits = { 0, };
  CcProxyRoutePlan *plan;
  Tries *tries;
  CcProxyProvider *provider;

  cc_proxy_route_table_scan (table, body ? g_bytes_get_data (body, NULL) : NULL, body ? g_bytes_get_size (body) : 0,
                             headers, &traits);
  cc_proxy_exchange_context_set_class (context, cc_proxy_request_class_to_string (traits.klass));
  plan = cc_proxy_router_plan (self->router, table, &traits,
                               soup_message_headers_get_one (headers, "X-Claude-Code-Session-Id"),
                               cc_proxy_snapshot_get_active_provider (snapshot), TRUE);
  /* No route matched: the active provider, as without routes. */
  if (plan->route == NULL && plan->notes->len == 0)
    {
      const char *active = cc_proxy_snapshot_get_active_provider (snapshot);

      cc_proxy_route_plan_free (plan);
      cc_proxy_exchange_route (exchange, route (self, snapshot, NULL, cc_proxy_request_context_get_path (request)), NULL);
      /* Its thinking is the active provider's, should a later turn of
       * the conversation go elsewhere. */
      cc_proxy_exchange_context_watch_signatures (context, cc_proxy_router_watch_signatures (self->router, active));
      return body ? cc_proxy_router_drop_foreign_thinking (self->router, body, active, NULL) : NULL;
    }

  tries = g_new0 (Tries, 1);
  tries->server = g_object_ref (self);
  tries->plan = plan;
  tries->body = body ? g_bytes_ref (body) : NULL;
  cc_proxy_exchange_set_fallback (exchange, on_fallback, tries, tries_free);
  provider = prepare_try (self, exchange, tries, NULL);
  cc_proxy_exchange_route (exchange, provider, NULL);
  /* The body prepare_try() made for the first target. */
  body = cc_proxy_request_context_get_body (request);
  return body ? g_bytes_ref (body) : NULL;
}

/* Bodies up to this size arrive in a read or two: held whole whatever
 * the budget. */
#define STREAM_BODY_THRESHOLD (64 * 1024)

#define BODY_HOLD_KEY "cc-proxy-body-hold"

typedef struct
{
  guint64 *held;   /* the server's total, a reference */
  guint64  size;
} BodyHold;

static void
body_hold_release (gpointer data)
{
  BodyHold *hold = data;

  *hold->held -= hold->size;
  g_rc_box_release (hold->held);
  g_free (hold);
}

/* Whether a body of @size is held whole (and counted against the
 * budget until its request ends) rather than streamed: a whole body
 * goes upstream flagged idempotent, so it may use a pooled connection
 * and be resent if that connection turns out closed; a streamed one
 * needs a connection of its own. */
static gboolean
hold_body (CcProxyServer     *self,
           SoupServerMessage *message,
           goffset            size)
{
  BodyHold *hold;

  if (size <= STREAM_BODY_THRESHOLD)
    return TRUE;
  if ((guint64) size > self->body_budget - MIN (*self->bodies_held, self->body_budget))
    return FALSE;
  hold = g_new0 (BodyHold, 1);
  hold->held = g_rc_box_acquire (self->bodies_held);
  hold->size = size;
  *self->bodies_held += size;
  g_object_set_data_full (G_OBJECT (message), BODY_HOLD_KEY, hold, body_hold_release);
  return TRUE;
}

/* Enough of a streamed body to find its model in. */
#define MODEL_SCAN_PREFIX (64 * 1024)

/* Runs once a request's head is in. Bodies over the size cap are
 * refused before they are read. Large or chunked request bodies on the
 * default path are forwarded now, and the body as it arrives. Requests
 * a provider serves, or that will be refused, wait for the whole body
 * in handle_message(), counted against the cap as it arrives. */
static void
handle_early (SoupServer        *soup_server,
              SoupServerMessage *message,
              const char        *unused_path,
              GHashTable        *unused_query,
              gpointer           user_data)
{
  CcProxyServer *self = user_data;
  CcProxyExchange *exchange = cc_proxy_exchange_from_message (message);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);
  CcProxySnapshot *snapshot = cc_proxy_runtime_get_snapshot (self->runtime);
  GUri *uri = soup_server_message_get_uri (message);
  g_autofree char *chosen = NULL;
  CcProxyExchangeContext *context;
  const char *refusal;
  const char *base_url;
  GInputStream *stream;
  gsize keep = 0;
  gboolean deferred;

  cc_proxy_exchange_start (exchange, snapshot, self->session, self->sink);
  refusal = check_origin (message);
  /* Routes read the body: they decide in handle_message(), unless the
   * body is to stream (below). */
  chosen = g_strdup (soup_message_headers_get_one (headers, PROVIDER_HEADER));
  if (chosen != NULL)
    {
      /* Ours alone: not for an upstream, nor for a provider host's own
       * routing (it knows the module by its kind's id). */
      soup_message_headers_remove (headers, PROVIDER_HEADER);
      if (cc_proxy_registry_lookup (self->registry, chosen) == NULL)
        g_object_set_data_full (G_OBJECT (exchange), UNKNOWN_PROVIDER_KEY, g_strdup (chosen), g_free);
      else
        /* Its events, counts and log lines name it, not the active one. */
        cc_proxy_exchange_context_set_provider_id (cc_proxy_exchange_get_context (exchange), chosen);
    }
  deferred = refusal == NULL && chosen == NULL && routes_apply (self, message, g_uri_get_path (uri));
  if (!deferred)
    cc_proxy_exchange_route (exchange, refusal == NULL ? route (self, snapshot, chosen, g_uri_get_path (uri)) : NULL,
                             refusal);

  /* Most requests stop here: their body arrives in a read or two. */
  if (encoding == SOUP_ENCODING_NONE ||
      (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
       soup_message_headers_get_content_length (headers) <= STREAM_BODY_THRESHOLD))
    return;
  if (!cc_proxy_exchange_limit_body (exchange, self->max_request_size))
    return;
  if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
      hold_body (self, message, soup_message_headers_get_content_length (headers)))
    return;
  /* Too large to hold now: routed by its headers alone. */
  if (deferred)
    g_bytes_unref (route_request (self, exchange, NULL));

  /* Refusals and the missing-URL error are answered by handle_message():
   * libsoup cannot answer before the body is read. */
  base_url = cc_proxy_snapshot_get_value (snapshot, CC_PROXY_BUILTIN_PROVIDER_ID, "base-url");
  if (refusal != NULL || base_url == NULL || base_url[0] == '\0' || cc_proxy_exchange_get_provider (exchange) != NULL ||
      cc_proxy_runtime_get_refusal (self->runtime, CC_PROXY_BUILTIN_PROVIDER_ID) != NULL ||
      g_object_get_data (G_OBJECT (exchange), UNKNOWN_PROVIDER_KEY) != NULL)
    return;

  context = cc_proxy_exchange_get_context (exchange);
  /* One byte past the capture's limit: then the capture knows the body
   * was longer, and says body_truncated. */
  if (cc_proxy_exchange_context_is_observed (context))
    keep = MAX (cc_proxy_event_sink_get_body_limit (self->sink) + 1, MODEL_SCAN_PREFIX);
  stream = cc_proxy_exchange_stream_body (exchange, keep);
  cc_proxy_exchange_context_set_body_stream (context, stream,
                                             encoding == SOUP_ENCODING_CONTENT_LENGTH
                                               ? soup_message_headers_get_content_length (headers) : -1);
  forward (self, context);
}

/* Who a conversation's request is for (its class), scanned from its
 * body once, whoever asks first: its record, or the budget. */
static const char *
ensure_class (CcProxyServer          *self,
              CcProxyExchangeContext *context,
              GBytes                 *body)
{
  const char *request_class = cc_proxy_exchange_context_get_class (context);
  g_auto(CcProxyRequestTraits) traits = { 0, };

  if (request_class != NULL || self->router == NULL || body == NULL)
    return request_class;
  cc_proxy_route_table_scan (cc_proxy_router_get_table (self->router), g_bytes_get_data (body, NULL),
                             g_bytes_get_size (body),
                             cc_proxy_request_context_get_request_headers (CC_PROXY_REQUEST_CONTEXT (context)), &traits);
  request_class = cc_proxy_request_class_to_string (traits.klass);
  cc_proxy_exchange_context_set_class (context, request_class);
  return request_class;
}

static gboolean ask_budget (CcProxyServer     *self,
                            SoupServerMessage *message,
                            GBytes            *body);
static void finish_message (CcProxyServer     *self,
                            SoupServerMessage *message,
                            GBytes            *body,
                            const char        *denial);

static void
handle_message (SoupServer        *soup_server,
                SoupServerMessage *message,
                const char        *unused_path,
                GHashTable        *unused_query,
                gpointer           user_data)
{
  CcProxyServer *self = user_data;
  CcProxyExchange *exchange = cc_proxy_exchange_from_message (message);
  CcProxyExchangeContext *context = cc_proxy_exchange_get_context (exchange);
  CcProxyRequestContext *request = CC_PROXY_REQUEST_CONTEXT (context);
  g_autoptr(GBytes) body = NULL;
  const char *path = cc_proxy_request_context_get_path (request);

  /* Forwarded since its head arrived: hold the answer until the
   * upstream's comes. */
  if (cc_proxy_exchange_is_streaming_body (exchange))
    {
      if (soup_server_message_get_status (message) == SOUP_STATUS_NONE)
        soup_server_message_pause (message);
      return;
    }

  body = soup_message_body_flatten (soup_server_message_get_request_body (message));
  if (cc_proxy_exchange_get_state (exchange) == CC_PROXY_EXCHANGE_RECEIVING)
    {
      GBytes *routed = route_request (self, exchange, body);

      g_bytes_unref (body);
      body = routed;
    }
  else if (tries_of (exchange) != NULL && tries_of (exchange)->body == NULL)
    {
      /* Routed by its headers, but held after all: the tries have it. */
      Tries *tries = tries_of (exchange);

      tries->body = g_steal_pointer (&body);
      body = body_for_try (self, tries);
    }
  else if (self->router != NULL && body != NULL && cc_proxy_exchange_context_is_observed (context) &&
           g_str_equal (path, "/v1/messages") && g_str_equal (soup_server_message_get_method (message), SOUP_METHOD_POST))
    {
      /* For its record (a routed one knows already); nobody
       * listening, nobody to tell. */
      ensure_class (self, context, body);
    }

  if (ask_budget (self, message, body))
    return;
  finish_message (self, message, body, NULL);
}

/* The request's route is decided and its body in: record it once, then
 * answer it (@denial: the budget's refusal) or send it on. */
static void
finish_message (CcProxyServer     *self,
                SoupServerMessage *message,
                GBytes            *body,
                const char        *denial)
{
  CcProxyExchange *exchange = cc_proxy_exchange_from_message (message);
  CcProxyExchangeContext *context = cc_proxy_exchange_get_context (exchange);
  CcProxyRequestContext *request = CC_PROXY_REQUEST_CONTEXT (context);
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *bad_body = NULL;
  CcProxyProvider *provider;
  const char *path = cc_proxy_request_context_get_path (request);
  const char *refusal;
  const char *allow = NULL;
  gboolean wrong_method = FALSE;

  /* The route is decided; record the request once, then answer. */
  refusal = cc_proxy_exchange_get_refusal (exchange);
  provider = cc_proxy_exchange_get_provider (exchange);
  if (provider != NULL)
    {
      allow = cc_proxy_provider_get_allowed_methods (provider, path);
      wrong_method = !method_allowed (allow, soup_server_message_get_method (message));
      if (!wrong_method && cc_proxy_provider_expects_json_body (provider, path))
        json = parse_json_object (body, &bad_body);
    }
  cc_proxy_exchange_context_set_body (context, body, json);
  cc_proxy_exchange_context_emit_request (context);
  cc_proxy_exchange_dispatch (exchange);

  if (refusal != NULL)
    {
      cc_proxy_request_context_respond_error (request, SOUP_STATUS_FORBIDDEN, "permission_error", refusal);
      return;
    }
  if (denial != NULL)
    {
      /* Trying again is no use until someone raises the budget. */
      soup_message_headers_replace (cc_proxy_request_context_get_response_headers (request), "x-should-retry", "false");
      cc_proxy_request_context_respond_error (request, 429, "rate_limit_error", denial);
      return;
    }
  if (g_object_get_data (G_OBJECT (exchange), UNKNOWN_PROVIDER_KEY) != NULL)
    {
      g_autofree char *known = cc_proxy_registry_dup_known_ids (self->registry);
      g_autofree char *why = g_strdup_printf (_("%s names no provider “%s” (the providers are %s)"), PROVIDER_HEADER,
                                              (const char *) g_object_get_data (G_OBJECT (exchange), UNKNOWN_PROVIDER_KEY),
                                              known);

      cc_proxy_request_context_respond_error (request, SOUP_STATUS_NOT_FOUND, "not_found_error", why);
      return;
    }
  if (provider == NULL)
    {
      forward (self, context);
      return;
    }
  if (wrong_method)
    {
      g_autofree char *text = g_strdup_printf (_("%s is not allowed on %s; use %s"),
                                               soup_server_message_get_method (message), path, allow);

      soup_message_headers_replace (soup_server_message_get_response_headers (message), "Allow", allow);
      cc_proxy_request_context_respond_error (request, SOUP_STATUS_METHOD_NOT_ALLOWED, "invalid_request_error", text);
      return;
    }
  if (bad_body != NULL)
    {
      cc_proxy_request_context_respond_error (request, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", bad_body);
      return;
    }

  dispatch_to_provider (self, exchange, provider);
}

/* ----- the premium request budget (cc-proxy-spend-guard.c) ----- */

typedef struct
{
  CcProxyServer     *server;
  SoupServerMessage *message;
  GBytes            *body;
  char              *why;
  GCancellable      *client_gone;
  GSource           *hangup;
} Held;

static void
held_free (Held *held)
{
  if (held->hangup != NULL)
    g_source_destroy (held->hangup);
  g_clear_pointer (&held->hangup, g_source_unref);
  g_object_unref (held->client_gone);
  g_object_unref (held->server);
  g_object_unref (held->message);
  g_clear_pointer (&held->body, g_bytes_unref);
  g_free (held->why);
  g_free (held);
}

static void
on_budget_answer (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Held *held = user_data;
  CcProxySpendGuard *guard = CC_PROXY_SPEND_GUARD (source);
  CcProxySpendAnswer answer = cc_proxy_spend_guard_ask_finish (guard, result);
  g_autofree char *small = cc_proxy_spend_guard_dup_small_model (guard);
  g_autofree char *denial = NULL;
  g_autoptr(GBytes) body = g_steal_pointer (&held->body);

  /* The client left while it waited: nobody to answer. */
  if (g_cancellable_is_cancelled (held->client_gone) || cc_proxy_exchange_from_message (held->message) == NULL)
    {
      held_free (held);
      return;
    }
  soup_server_message_unpause (held->message);
  if (answer == CC_PROXY_SPEND_SMALL_MODEL && small != NULL && body != NULL)
    {
      GBytes *changed = cc_proxy_body_replace_string (body, "model", small);

      if (changed != NULL)
        {
          g_bytes_unref (body);
          body = changed;
        }
    }
  else if (answer == CC_PROXY_SPEND_SMALL_MODEL || answer == CC_PROXY_SPEND_DENY)
    denial = g_strdup_printf (_("cc-proxy: this request would go over your premium request budget (%s). "
                                "Raise it with “gsettings set org.ccproxy.Proxy premium-budget-day N” "
                                "(or premium-budget-session), or allow it when asked: cc-proxyctl budget allow"),
                              held->why);
  finish_message (held->server, held->message, body, denial);
  held_free (held);
}

static gboolean
on_held_client_gone (gpointer user_data)
{
  Held *held = user_data;

  g_clear_pointer (&held->hangup, g_source_unref);
  g_cancellable_cancel (held->client_gone);
  return G_SOURCE_REMOVE;
}

/* A conversation's request of the user's own over the budget waits for
 * an answer; TRUE when it does (on_budget_answer() goes on with it). */
static gboolean
ask_budget (CcProxyServer     *self,
            SoupServerMessage *message,
            GBytes            *body)
{
  CcProxyExchange *exchange = cc_proxy_exchange_from_message (message);
  CcProxyExchangeContext *context = cc_proxy_exchange_get_context (exchange);
  CcProxyRequestContext *request = CC_PROXY_REQUEST_CONTEXT (context);
  SoupMessageHeaders *headers = cc_proxy_request_context_get_request_headers (request);
  const char *session = soup_message_headers_get_one (headers, "X-Claude-Code-Session-Id");
  const char *request_class;
  g_autofree char *why = NULL;
  Held *held;

  if (self->guard == NULL || !cc_proxy_spend_guard_is_active (self->guard) ||
      cc_proxy_exchange_get_refusal (exchange) != NULL ||
      !g_str_equal (cc_proxy_request_context_get_path (request), "/v1/messages") ||
      !g_str_equal (soup_server_message_get_method (message), SOUP_METHOD_POST))
    return FALSE;
  request_class = ensure_class (self, context, body);
  why = cc_proxy_spend_guard_check (self->guard, session, request_class);
  if (why == NULL)
    return FALSE;

  held = g_new0 (Held, 1);
  held->server = g_object_ref (self);
  held->message = g_object_ref (message);
  held->body = body ? g_bytes_ref (body) : NULL;
  held->why = g_strdup (why);
  held->client_gone = g_cancellable_new ();
  /* A client that leaves takes its question with it: libsoup does not
   * watch a paused message's connection. */
  if (cc_proxy_listener_get_client_socket (message) != NULL)
    held->hangup = cc_proxy_hangup_watch (cc_proxy_listener_get_client_socket (message), on_held_client_gone, held);
  soup_server_message_pause (message);
  cc_proxy_spend_guard_ask_async (self->guard, session, why, held->client_gone, on_budget_answer, held);
  return TRUE;
}

/**
 * cc_proxy_server_set_spend_guard:
 * @guard: (nullable): what holds requests over the premium budget
 */
void
cc_proxy_server_set_spend_guard (CcProxyServer     *self,
                                 CcProxySpendGuard *guard)
{
  g_set_object (&self->guard, guard);
}

/* Every request the server starts gets its exchange, counted in;
 * libsoup answers bad request lines and oversized heads itself, so
 * some never reach a handler. */
static void
on_request_started (SoupServer        *soup_server,
                    SoupServerMessage *message,
                    CcProxyServer     *self)
{
  cc_proxy_exchange_new (message, cc_proxy_listener_get_client_socket (message),
                         self->counters, self->client_timeout);
}

/* The request leaves the count, and the message lets go of what it
 * held for it: its exchange, its body's share of the budget. A
 * kept-alive connection keeps its last message past this. */
static void
end_request (SoupServerMessage *message,
             gboolean           failed)
{
  CcProxyExchange *exchange = cc_proxy_exchange_from_message (message);

  if (exchange != NULL)
    cc_proxy_exchange_count_out (exchange, failed);
  cc_proxy_exchange_release (message);
  g_object_set_data (G_OBJECT (message), BODY_HOLD_KEY, NULL);
}

static void
on_request_finished (SoupServer        *soup_server,
                     SoupServerMessage *message,
                     CcProxyServer     *self)
{
  end_request (message, soup_server_message_get_status (message) >= 400);
}

static void
on_request_aborted (SoupServer        *soup_server,
                    SoupServerMessage *message,
                    CcProxyServer     *self)
{
  end_request (message, TRUE);
}

/**
 * cc_proxy_server_get_clients:
 * @self: a server
 * @open: (out) (optional): client connections open now
 * @max: (out) (optional): how many may be open at once (from the
 *   descriptor limit); more wait until one closes
 */
void
cc_proxy_server_get_clients (CcProxyServer *self,
                             guint         *open,
                             guint         *max)
{
  if (open != NULL)
    *open = cc_proxy_listener_get_n_clients (self->listener);
  if (max != NULL)
    *max = cc_proxy_listener_get_max_clients (self->listener);
}

/**
 * cc_proxy_server_is_accepting:
 * @self: a server
 *
 * Returns: %FALSE while new client connections cannot be accepted for
 *   want of descriptors (the watchdog is not fed then)
 */
gboolean
cc_proxy_server_is_accepting (CcProxyServer *self)
{
  return !cc_proxy_listener_is_out_of_descriptors (self->listener);
}

/**
 * cc_proxy_server_get_counters:
 * @self: a server
 * @total: (out) (optional): requests received since start
 * @active: (out) (optional): requests in progress
 * @failed: (out) (optional): requests answered with an error status, or
 *   cut off
 * @upstream_connections: (out) (optional): upstream connections opened
 */
void
cc_proxy_server_get_counters (CcProxyServer *self,
                              guint64       *total,
                              guint         *active,
                              guint64       *failed,
                              guint64       *upstream_connections)
{
  if (upstream_connections != NULL)
    *upstream_connections = self->upstream_connections;
  if (total != NULL)
    *total = self->counters->total;
  if (active != NULL)
    *active = self->counters->active;
  if (failed != NULL)
    *failed = self->counters->failed;
}

static void
cc_proxy_server_dispose (GObject *object)
{
  CcProxyServer *self = (CcProxyServer *) object;

  /* It disconnects the server, with the context libsoup's listeners
   * wait on. */
  g_clear_object (&self->listener);
  g_clear_object (&self->soup_server);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->registry);
  g_clear_object (&self->runtime);
  g_clear_object (&self->router);
  g_clear_object (&self->guard);
  g_clear_object (&self->sink);

  G_OBJECT_CLASS (cc_proxy_server_parent_class)->dispose (object);
}

static void
cc_proxy_server_finalize (GObject *object)
{
  CcProxyServer *self = (CcProxyServer *) object;

  g_free (self->url);
  g_rc_box_release (self->counters);
  g_rc_box_release (self->bodies_held);
  G_OBJECT_CLASS (cc_proxy_server_parent_class)->finalize (object);
}

static void
cc_proxy_server_class_init (CcProxyServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cc_proxy_server_dispose;
  object_class->finalize = cc_proxy_server_finalize;
}

static void
cc_proxy_server_init (CcProxyServer *self)
{
  self->deadline_seconds = CC_PROXY_DEFAULT_DEADLINE_SECONDS;
  self->max_request_size = (guint64) CC_PROXY_DEFAULT_MAX_REQUEST_MIB * 1024 * 1024;
  self->client_timeout = CC_PROXY_DEFAULT_CLIENT_TIMEOUT_SECONDS;
  self->counters = g_rc_box_new0 (CcProxyCounters);
  self->body_budget = (guint64) CC_PROXY_DEFAULT_BODY_BUDGET_MIB * 1024 * 1024;
  self->bodies_held = g_rc_box_new0 (guint64);
}

/**
 * cc_proxy_server_set_body_budget:
 * @self: a server
 * @bytes: how many bytes of request bodies may be held whole at once;
 *   a body that does not fit in what is left is streamed upstream
 */
void
cc_proxy_server_set_body_budget (CcProxyServer *self,
                                 guint64        bytes)
{
  self->body_budget = bytes;
}

static void
on_network_event (SoupMessage        *message,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  CcProxyServer      *self)
{
  if (event == G_SOCKET_CLIENT_CONNECTED)
    self->upstream_connections++;
}

/* Every upstream request, the providers' too, goes through the one
 * session: count the connections it opens. */
static void
on_request_queued (SoupSession   *session,
                   SoupMessage   *message,
                   CcProxyServer *self)
{
  g_signal_connect_object (message, "network-event", G_CALLBACK (on_network_event), self, 0);
}

/* SSL_CERT_FILE names the certificate authorities to trust instead of
 * the system's, as OpenSSL-based tools read it: a company's TLS-inspecting
 * proxy, or a test upstream. glib-networking's GnuTLS backend does not
 * read it. NULL: the system's. */
static GTlsDatabase *
tls_database_from_environment (void)
{
  const char *path = g_getenv ("SSL_CERT_FILE");
  g_autoptr(GError) error = NULL;
  GTlsDatabase *database;

  if (path == NULL || path[0] == '\0')
    return NULL;
  database = g_tls_file_database_new (path, &error);
  if (database == NULL)
    g_warning ("SSL_CERT_FILE: %s; trusting the system's certificate authorities", error->message);
  return database;
}

/* One session for every request: an upstream connection (and its TLS
 * session) is reused whichever client connection comes next. Timeouts
 * are the providers' and clients' business: a thinking model may be
 * silent for minutes. Bodies are relayed as they are, never decoded,
 * so compressed answers reach the client as it asked. Each stream holds
 * a connection for its whole length, so the per-host limit is how many
 * streams run side by side. */
static SoupSession *
new_session (CcProxyServer *self,
             guint          max_per_host)
{
  g_autoptr(GProxyResolver) resolver = proxy_resolver_from_environment ();
  g_autoptr(GTlsDatabase) database = tls_database_from_environment ();
  SoupSession *session;

  session = soup_session_new_with_options ("timeout", 0, "idle-timeout", 60,
                                           "max-conns", max_per_host * 2, "max-conns-per-host", max_per_host,
                                           "proxy-resolver", resolver,
                                           NULL);
  if (database != NULL)
    soup_session_set_tls_database (session, database);
  cc_proxy_relay_track_connections (session);
  soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);
  soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_SNIFFER);
  g_signal_connect_object (session, "request-queued", G_CALLBACK (on_request_queued), self, 0);
  return session;
}

/**
 * cc_proxy_server_set_limits:
 * @self: a server that has not served a request yet
 * @max_request_size: request bodies larger than this many bytes get 413
 * @max_upstream_connections: connections per upstream host
 * @client_timeout: seconds a client connection may take to send a
 *   request head, counted from its connection or its previous answer
 */
void
cc_proxy_server_set_limits (CcProxyServer *self,
                            guint64        max_request_size,
                            guint          max_upstream_connections,
                            guint          client_timeout)
{
  self->max_request_size = max_request_size;
  self->client_timeout = MAX (client_timeout, 1);
  cc_proxy_listener_set_idle_timeout (self->listener, self->client_timeout);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  self->session = new_session (self, MAX (max_upstream_connections, 1));
}

CcProxyServer *
cc_proxy_server_new (CcProxyRegistry  *registry,
                     CcProxyRuntime   *runtime,
                     CcProxyEventSink *sink)
{
  CcProxyServer *self = g_object_new (CC_PROXY_TYPE_SERVER, NULL);

  self->registry = g_object_ref (registry);
  self->runtime = g_object_ref (runtime);
  self->sink = g_object_ref (sink);

  /* No server header: relayed responses keep the upstream's one. */
  self->soup_server = soup_server_new ("server-header", NULL, NULL);
  g_signal_connect (self->soup_server, "request-started", G_CALLBACK (on_request_started), self);
  g_signal_connect (self->soup_server, "request-finished", G_CALLBACK (on_request_finished), self);
  g_signal_connect (self->soup_server, "request-aborted", G_CALLBACK (on_request_aborted), self);
  soup_server_add_early_handler (self->soup_server, NULL, handle_early, self, NULL);
  soup_server_add_handler (self->soup_server, NULL, handle_message, self, NULL);
  /* After the handlers above: it lets go of a message's exchange. */
  self->listener = cc_proxy_listener_new (self->soup_server);
  cc_proxy_listener_set_idle_timeout (self->listener, self->client_timeout);

  self->session = new_session (self, CC_PROXY_DEFAULT_UPSTREAM_CONNECTIONS);

  return self;
}

/**
 * cc_proxy_server_set_router:
 * @router: (nullable): the routes requests are sent by
 */
void
cc_proxy_server_set_router (CcProxyServer *self,
                            CcProxyRouter *router)
{
  g_set_object (&self->router, router);
}

void
cc_proxy_server_set_deadline (CcProxyServer *self,
                              guint          seconds)
{
  self->deadline_seconds = MAX (seconds, 1);
}

static GSocketAddress *
parse_address (const char  *address,
               GError     **error)
{
  g_autofree char *as_uri = g_strconcat ("http://", address, NULL);
  g_autofree char *host = NULL;
  gint port = -1;
  GSocketAddress *socket_address;

  /* GUri knows HOST:PORT and [V6]:PORT; an explicit port is required. */
  if (!g_uri_split_network (as_uri, G_URI_FLAGS_NONE, NULL, &host, &port, NULL) ||
      host == NULL || port < 0 || port > 65535)
    {
      g_set_error (error, CC_PROXY_SERVER_ERROR, CC_PROXY_SERVER_ERROR_INVALID_ADDRESS,
                   _("“%s” is not a listen address: use HOST:PORT, e.g. %s"),
                   address, CC_PROXY_DEFAULT_LISTEN_ADDRESS);
      return NULL;
    }

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    {
      g_free (host);
      host = g_strdup ("127.0.0.1");
    }

  socket_address = g_inet_socket_address_new_from_string (host, port);
  if (socket_address == NULL)
    {
      g_set_error (error, CC_PROXY_SERVER_ERROR, CC_PROXY_SERVER_ERROR_INVALID_ADDRESS,
                   _("“%s” is not an IP address: give a numeric address such as 127.0.0.1"), host);
      return NULL;
    }

  /* Exposing the proxy beyond this machine needs a client key, which
   * this version does not have yet: refuse rather than open it up. */
  if (!g_inet_address_get_is_loopback (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (socket_address))))
    {
      g_set_error (error, CC_PROXY_SERVER_ERROR, CC_PROXY_SERVER_ERROR_NOT_LOOPBACK,
                   _("Refusing to listen on %s: only loopback addresses (127.0.0.1, ::1) are supported"), host);
      g_object_unref (socket_address);
      return NULL;
    }

  return socket_address;
}

/**
 * cc_proxy_server_listen:
 * @self: a server
 * @address: HOST:PORT; port 0 picks a free port
 * @error: return location for an error
 */
gboolean
cc_proxy_server_listen (CcProxyServer  *self,
                        const char     *address,
                        GError        **error)
{
  g_autoptr(GSocketAddress) socket_address = parse_address (address, error);
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autofree char *host = NULL;
  GSList *listeners;

  if (socket_address == NULL)
    return FALSE;

  /* libsoup's own listener queues 10 connections; a burst of clients
   * (parallel agents, a benchmark) needs the system's limit. */
  socket = g_socket_new (g_socket_address_get_family (socket_address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  g_socket_set_listen_backlog (socket, SOMAXCONN);
  if (!g_socket_bind (socket, socket_address, TRUE, error) ||
      !g_socket_listen (socket, error) ||
      !cc_proxy_listener_add_socket (self->listener, socket, error))
    return FALSE;

  /* The address we got, port 0 resolved. (Not soup_server_get_uris():
   * in libsoup 3.2 it leaks a socket address per call.) */
  listeners = soup_server_get_listeners (self->soup_server);
  local = g_socket_get_local_address (listeners->data, error);
  g_slist_free (listeners);
  if (local == NULL)
    return FALSE;
  host = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
  g_free (self->url);
  self->url = g_strdup_printf (strchr (host, ':') ? "http://[%s]:%u" : "http://%s:%u",
                               host, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
  return TRUE;
}

/**
 * cc_proxy_server_get_upstream_http2:
 *
 * Whether upstream connections may speak HTTP/2 (when the upstream
 * offers it), with the libsoup this process runs.
 *
 * libsoup's HTTP/2 client before 3.7.1 leaves a response body read
 * waiting forever when the upstream resets the stream mid-answer
 * (RST_STREAM, as nginx and the real API send when their own upstream
 * fails): the client's stream would hang, never ended with an error.
 * It also used freed message data when a connection closed under a
 * read (libsoup commits a439ac2e, 3bf4a56c, ebf2d8ad). Before that
 * version every upstream connection speaks HTTP/1.1; pooled, it costs
 * one TLS handshake per stream running at once, not per request.
 *
 * Returns: %TRUE when HTTP/2 is used
 */
gboolean
cc_proxy_server_get_upstream_http2 (void)
{
  guint version = soup_get_major_version () * 10000 + soup_get_minor_version () * 100 + soup_get_micro_version ();

  return version >= 30701 && g_getenv ("SOUP_FORCE_HTTP1") == NULL;
}

/**
 * cc_proxy_server_init_process:
 *
 * What cc-proxyd and a provider host do first, before any thread
 * exists: the locale and the message catalog, the address types, the
 * descriptor limit and the upstream HTTP version.
 * GLib 2.74 can deadlock when a worker thread (libsecret and GDBus
 * connect from one) registers those while the main thread (libsoup)
 * does.
 */
void
cc_proxy_server_init_process (void)
{
  g_type_ensure (G_TYPE_INET_SOCKET_ADDRESS);
  g_type_ensure (G_TYPE_PROXY_ADDRESS);
  g_type_ensure (G_TYPE_NETWORK_ADDRESS);
  g_type_ensure (G_TYPE_UNIX_SOCKET_ADDRESS);

  cc_proxy_listener_raise_fd_limit ();

  /* libsoup reads it for each connection it opens; only this says so
   * for a whole session in 3.2. */
  if (!cc_proxy_server_get_upstream_http2 ())
    g_setenv ("SOUP_FORCE_HTTP1", "1", TRUE);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

/**
 * cc_proxy_server_listen_socket:
 * @socket: a listening Unix socket (a provider host's, which cc-proxyd
 *   made)
 * @only_peer: the one process it serves (cc-proxyd), checked on each
 *   connection with the kernel's peer credentials
 *
 * Serves on @socket; cc_proxy_server_get_url() stays unset.
 */
gboolean
cc_proxy_server_listen_socket (CcProxyServer  *self,
                               GSocket        *socket,
                               GPid            only_peer,
                               GError        **error)
{
  cc_proxy_listener_set_only_peer (self->listener, only_peer);
  return cc_proxy_listener_add_socket (self->listener, socket, error);
}

/**
 * cc_proxy_server_get_url:
 *
 * Returns: (nullable): the URL clients use (`http://127.0.0.1:3344`)
 */
const char *
cc_proxy_server_get_url (CcProxyServer *self)
{
  return self->url;
}
