/* cc-proxy-server.c: accepts requests, routes them, and is the dispatch
 * boundary: whatever a provider does wrong ends here as a well-formed
 * error for that one request.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-pipeline"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cc-proxy-body-stream.h"
#include "cc-proxy-event-private.h"
#include "cc-proxy-relay.h"
#include "cc-proxy-request-context-private.h"
#include "cc-proxy-server.h"
#include "cc-proxy-snapshot-private.h"

struct _CcProxyServer
{
  GObject           parent_instance;

  SoupServer       *soup_server;
  SoupSession      *session;      /* one, so upstream connections are reused */
  CcProxyRegistry  *registry;
  CcProxyRuntime   *runtime;
  CcProxyEventSink *sink;
  char             *url;
  guint             deadline_seconds;
  guint64           requests_total;
  guint             requests_active;
  guint64           requests_failed;
};

G_DEFINE_QUARK (cc-proxy-server-error-quark, cc_proxy_server_error)

G_DEFINE_FINAL_TYPE (CcProxyServer, cc_proxy_server, G_TYPE_OBJECT)

/* One provider call in flight. */
typedef struct
{
  CcProxyServer         *server;
  CcProxyRequestContext *context;
  CcProxyProvider       *provider;
  GCancellable          *cancellable;
  guint                  deadline_id;
  gboolean               abandoned;  /* the deadline answered for it */
} Dispatch;

static void
dispatch_free (Dispatch *dispatch)
{
  g_clear_handle_id (&dispatch->deadline_id, g_source_remove);
  g_clear_object (&dispatch->server);
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

/* The default path. It always goes to the built-in provider's upstream:
 * a plugin that did not handle a path must not receive the client's
 * Anthropic credentials at its own host. */
static void
forward (CcProxyServer         *self,
         CcProxyRequestContext *context)
{
  CcProxySnapshot *snapshot = cc_proxy_request_context_get_snapshot (context);
  const char *base_url = cc_proxy_snapshot_get_value (snapshot, CC_PROXY_BUILTIN_PROVIDER_ID, "base-url");

  if (base_url == NULL || base_url[0] == '\0')
    {
      cc_proxy_request_context_respond_error (context, SOUP_STATUS_INTERNAL_SERVER_ERROR, "api_error",
                                              _("No upstream URL is configured: set the base-url setting "
                                                "of the anthropic provider (or ANTHROPIC_UPSTREAM_URL)"));
      return;
    }

  cc_proxy_relay_forward_async (context, base_url, NULL, on_forwarded, NULL);
}

static gboolean
on_deadline (gpointer user_data)
{
  Dispatch *dispatch = user_data;

  dispatch->deadline_id = 0;

  /* A provider that has started answering (a long stream, say) owns the
   * answer; the deadline is for providers that never start. */
  if (cc_proxy_request_context_has_response_started (dispatch->context))
    return G_SOURCE_REMOVE;

  dispatch->abandoned = TRUE;
  g_cancellable_cancel (dispatch->cancellable);
  {
    g_autofree char *message = g_strdup_printf (_("The %s provider did not answer within %u seconds"),
                                                cc_proxy_provider_get_id (dispatch->provider),
                                                dispatch->server->deadline_seconds);

    g_message ("%s", message);
    cc_proxy_request_context_respond_proxy_error (dispatch->context, SOUP_STATUS_BAD_GATEWAY, message);
  }
  return G_SOURCE_REMOVE;
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
      g_autofree char *message = g_strdup_printf (_("The %s provider failed to handle this request"), id);
      g_autofree char *details = cc_proxy_redact_string (error->message,
                                                         cc_proxy_request_context_get_secrets (dispatch->context));

      /* The details go to the debug log only: they may hold internals
       * (but never a secret). */
      g_debug ("Provider %s failed: %s", id, details);
      if (cc_proxy_request_context_has_response_started (dispatch->context))
        cc_proxy_request_context_respond_error (dispatch->context, SOUP_STATUS_BAD_GATEWAY, "api_error", message);
      else
        cc_proxy_request_context_respond_proxy_error (dispatch->context, SOUP_STATUS_BAD_GATEWAY, message);
      return;
    }

  if (handled == CC_PROXY_HANDLED)
    return;

  if (cc_proxy_request_context_has_response_started (dispatch->context))
    {
      g_autofree char *message = g_strdup_printf (_("The %s provider answered “not handled” after it had started the response"), id);

      /* Forwarding now would send the request a second time. */
      cc_proxy_registry_record_error (dispatch->server->registry, id, message);
      cc_proxy_request_context_respond_error (dispatch->context, SOUP_STATUS_BAD_GATEWAY, "api_error", message);
      return;
    }

  forward (dispatch->server, dispatch->context);
}

static void
dispatch_to_provider (CcProxyServer         *self,
                      CcProxyRequestContext *context,
                      CcProxyProvider       *provider)
{
  Dispatch *dispatch = g_new0 (Dispatch, 1);

  dispatch->server = g_object_ref (self);
  dispatch->context = g_object_ref (context);
  dispatch->provider = g_object_ref (provider);
  dispatch->cancellable = g_cancellable_new ();
  dispatch->deadline_id = g_timeout_add_seconds (self->deadline_seconds, on_deadline, dispatch);

  soup_server_message_pause (cc_proxy_request_context_get_message (context));
  cc_proxy_provider_handle_request_async (provider, context, dispatch->cancellable,
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

  if (origin != NULL && !g_str_equal (origin, "null"))
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
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;

  /* json-glib takes an empty document as valid, with no root. */
  if (json_parser_load_from_data (parser, data ? data : "", len, &error) &&
      json_parser_get_root (parser) != NULL &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return json_node_ref (json_parser_get_root (parser));

  if (len == 0)
    *problem = g_strdup (_("The request body is empty: send a JSON object"));
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

#define STREAMING_KEY "cc-proxy-streaming"

/* The one routing decision: the active provider when it serves @path,
 * else NULL for the default path. Both handlers must agree on it. */
static CcProxyProvider *
route (CcProxyServer   *self,
       CcProxySnapshot *snapshot,
       const char      *path)
{
  CcProxyProvider *provider = cc_proxy_registry_lookup (self->registry, cc_proxy_snapshot_get_active_provider (snapshot));

  return (provider != NULL && cc_proxy_provider_handles_path (provider, path)) ? provider : NULL;
}

static void
on_request_chunk (SoupServerMessage *message,
                  GBytes            *chunk,
                  CcProxyBodyStream *stream)
{
  cc_proxy_body_stream_push (stream, chunk);
}

static void
on_request_body (SoupServerMessage     *message,
                 CcProxyRequestContext *context)
{
  GInputStream *stream = cc_proxy_request_context_get_body_stream (context, NULL);
  g_autoptr(GBytes) body = NULL;

  cc_proxy_body_stream_end (CC_PROXY_BODY_STREAM (stream));
  /* The body was kept only when someone watches the traffic. */
  body = soup_message_body_flatten (soup_server_message_get_request_body (message));
  cc_proxy_request_context_set_body (context, body, NULL);
  cc_proxy_request_context_emit_request (context);
}

static void
on_upload_finished (SoupServerMessage     *message,
                    CcProxyRequestContext *context)
{
  GInputStream *stream = cc_proxy_request_context_get_body_stream (context, NULL);
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                                 _("The client closed the connection while sending the request body"));

  /* A no-op once the body was complete. */
  cc_proxy_body_stream_fail (CC_PROXY_BODY_STREAM (stream), error);
  /* The message held the context, which holds the message. */
  g_object_set_data (G_OBJECT (message), STREAMING_KEY, NULL);
}

/* Bodies up to this size arrive in a read or two: forwarding them whole
 * is cheaper than streaming them, and no slower to the upstream. */
#define STREAM_BODY_THRESHOLD (64 * 1024)

/* Large or chunked request bodies on the default path are forwarded as
 * soon as their headers are in, and the body as it arrives. Requests a
 * provider serves, or that will be refused, wait for the whole body in
 * handle_message(). */
static void
handle_early (SoupServer        *soup_server,
              SoupServerMessage *message,
              const char        *unused_path,
              GHashTable        *unused_query,
              gpointer           user_data)
{
  CcProxyServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);
  GUri *uri = soup_server_message_get_uri (message);
  CcProxySnapshot *snapshot = cc_proxy_runtime_get_snapshot (self->runtime);
  const char *base_url;
  g_autoptr(CcProxyRequestContext) context = NULL;
  g_autoptr(CcProxyBodyStream) stream = NULL;

  /* Most requests stop here, before any lookup. */
  if (encoding == SOUP_ENCODING_NONE ||
      (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
       soup_message_headers_get_content_length (headers) <= STREAM_BODY_THRESHOLD))
    return;
  /* Refusals and the missing-URL error are answered by handle_message():
   * libsoup cannot answer before the body is read. */
  base_url = cc_proxy_snapshot_get_value (snapshot, CC_PROXY_BUILTIN_PROVIDER_ID, "base-url");
  if (check_origin (message) != NULL || base_url == NULL || base_url[0] == '\0')
    return;
  if (route (self, snapshot, g_uri_get_path (uri)) != NULL)
    return;

  context = cc_proxy_request_context_new (message, g_uri_get_path (uri), g_uri_get_query (uri),
                                          snapshot, self->session, self->sink);
  stream = cc_proxy_body_stream_new ();
  cc_proxy_request_context_set_body_stream (context, G_INPUT_STREAM (stream),
                                            encoding == SOUP_ENCODING_CONTENT_LENGTH
                                              ? soup_message_headers_get_content_length (headers) : -1);
  if (!cc_proxy_request_context_is_observed (context))
    soup_message_body_set_accumulate (soup_server_message_get_request_body (message), FALSE);

  g_signal_connect_object (message, "got-chunk", G_CALLBACK (on_request_chunk), stream, 0);
  g_signal_connect_object (message, "got-body", G_CALLBACK (on_request_body), context, 0);
  g_signal_connect_object (message, "finished", G_CALLBACK (on_upload_finished), context, 0);
  g_object_set_data_full (G_OBJECT (message), STREAMING_KEY, g_object_ref (context), g_object_unref);

  forward (self, context);
}

static void
handle_message (SoupServer        *soup_server,
                SoupServerMessage *message,
                const char        *unused_path,
                GHashTable        *unused_query,
                gpointer           user_data)
{
  CcProxyServer *self = user_data;
  GUri *uri = soup_server_message_get_uri (message);
  CcProxySnapshot *snapshot = cc_proxy_runtime_get_snapshot (self->runtime);
  g_autoptr(CcProxyRequestContext) context = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autofree char *bad_body = NULL;
  CcProxyProvider *provider;
  const char *path = g_uri_get_path (uri);
  const char *refusal;
  const char *allow = NULL;
  gboolean wrong_method = FALSE;

  /* Forwarded since its headers arrived: hold the answer until the
   * upstream's comes. */
  if (g_object_get_data (G_OBJECT (message), STREAMING_KEY) != NULL)
    {
      if (soup_server_message_get_status (message) == SOUP_STATUS_NONE)
        soup_server_message_pause (message);
      return;
    }

  context = cc_proxy_request_context_new (message, path, g_uri_get_query (uri),
                                          snapshot, self->session, self->sink);
  body = soup_message_body_flatten (soup_server_message_get_request_body (message));

  /* Decide first, then record the request once, then answer. */
  refusal = check_origin (message);
  provider = refusal == NULL ? route (self, snapshot, path) : NULL;
  if (provider != NULL)
    {
      allow = cc_proxy_provider_get_allowed_methods (provider, path);
      wrong_method = !method_allowed (allow, soup_server_message_get_method (message));
      if (!wrong_method && cc_proxy_provider_expects_json_body (provider, path))
        json = parse_json_object (body, &bad_body);
    }
  cc_proxy_request_context_set_body (context, body, json);
  cc_proxy_request_context_emit_request (context);

  if (refusal != NULL)
    {
      cc_proxy_request_context_respond_error (context, SOUP_STATUS_FORBIDDEN, "permission_error", refusal);
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
      cc_proxy_request_context_respond_error (context, SOUP_STATUS_METHOD_NOT_ALLOWED, "invalid_request_error", text);
      return;
    }
  if (bad_body != NULL)
    {
      cc_proxy_request_context_respond_error (context, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", bad_body);
      return;
    }

  dispatch_to_provider (self, context, provider);
}

static void
on_request_started (SoupServer        *soup_server,
                    SoupServerMessage *message,
                    CcProxyServer     *self)
{
  self->requests_total++;
  self->requests_active++;
}

static void
on_request_finished (SoupServer        *soup_server,
                     SoupServerMessage *message,
                     CcProxyServer     *self)
{
  self->requests_active--;
  if (soup_server_message_get_status (message) >= 400)
    self->requests_failed++;
}

static void
on_request_aborted (SoupServer        *soup_server,
                    SoupServerMessage *message,
                    CcProxyServer     *self)
{
  self->requests_active--;
  self->requests_failed++;
}

/**
 * cc_proxy_server_get_counters:
 * @self: a server
 * @total: (out) (optional): requests received since start
 * @active: (out) (optional): requests in progress
 * @failed: (out) (optional): requests answered with an error status, or
 *   cut off
 */
void
cc_proxy_server_get_counters (CcProxyServer *self,
                              guint64       *total,
                              guint         *active,
                              guint64       *failed)
{
  if (total != NULL)
    *total = self->requests_total;
  if (active != NULL)
    *active = self->requests_active;
  if (failed != NULL)
    *failed = self->requests_failed;
}

static void
cc_proxy_server_dispose (GObject *object)
{
  CcProxyServer *self = (CcProxyServer *) object;

  if (self->soup_server != NULL)
    soup_server_disconnect (self->soup_server);
  g_clear_object (&self->soup_server);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->registry);
  g_clear_object (&self->runtime);
  g_clear_object (&self->sink);

  G_OBJECT_CLASS (cc_proxy_server_parent_class)->dispose (object);
}

static void
cc_proxy_server_finalize (GObject *object)
{
  CcProxyServer *self = (CcProxyServer *) object;

  g_free (self->url);
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
}

CcProxyServer *
cc_proxy_server_new (CcProxyRegistry  *registry,
                     CcProxyRuntime   *runtime,
                     CcProxyEventSink *sink)
{
  CcProxyServer *self = g_object_new (CC_PROXY_TYPE_SERVER, NULL);
  g_autoptr(GProxyResolver) resolver = proxy_resolver_from_environment ();

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

  /* One session for every request: an upstream connection (and its TLS
   * session) is reused whichever client connection comes next. Timeouts
   * are the providers' and clients' business: a thinking model may be
   * silent for minutes. Bodies are relayed as they are, never decoded,
   * so compressed answers reach the client as it asked. */
  self->session = soup_session_new_with_options ("timeout", 0, "idle-timeout", 60,
                                                 "max-conns", 64, "max-conns-per-host", 32,
                                                 "proxy-resolver", resolver,
                                                 NULL);
  soup_session_remove_feature_by_type (self->session, SOUP_TYPE_CONTENT_DECODER);
  soup_session_remove_feature_by_type (self->session, SOUP_TYPE_CONTENT_SNIFFER);

  return self;
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
  g_autofree char *host = NULL;
  GSList *listeners;

  if (socket_address == NULL)
    return FALSE;

  if (!soup_server_listen (self->soup_server, socket_address, 0, error))
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
 * cc_proxy_server_get_url:
 *
 * Returns: (nullable): the URL clients use (`http://127.0.0.1:3344`)
 */
const char *
cc_proxy_server_get_url (CcProxyServer *self)
{
  return self->url;
}
