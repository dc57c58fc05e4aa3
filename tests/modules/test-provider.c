/* test-provider.c: provider modules built only for tests
 *
 * One source, many modules: meson compiles it once per variant with
 * TEST_VARIANT, TEST_TYPE (type name) and TEST_PREFIX (function prefix)
 * defined, so each module registers its own GType.
 *
 *  healthy       "healthy": serves /healthy/… (echo, slow, stream-fail, bug)
 *  nothandled    "nothandled": claims /v1/messages, answers "not handled"
 *  failing       "failing": claims /v1/messages, fails with a GError
 *  hanging       "hanging": claims /v1/messages, never answers
 *  emptyid, dupid, emptykey, dupkey, selectnoopts, baddefault: broken
 *    descriptors; nothing: registers no type; factory: GInitable that fails
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>
#include <string.h>
#include <cc-proxy/cc-proxy.h>

#define VARIANT_HEALTHY       1
#define VARIANT_NOTHANDLED    2
#define VARIANT_FAILING       3
#define VARIANT_HANGING       4
#define VARIANT_EMPTYID       5
#define VARIANT_DUPID         6
#define VARIANT_EMPTYKEY      7
#define VARIANT_DUPKEY        8
#define VARIANT_SELECTNOOPTS  9
#define VARIANT_BADDEFAULT   10
#define VARIANT_NOTHING      11
#define VARIANT_FACTORY      12
#define VARIANT_FUTURE       13
#define VARIANT_NOVERSION    14

#define PASTE_(a, b) a##b
#define PASTE(a, b) PASTE_(a, b)
#define FN(name) PASTE (TEST_PREFIX, name)

typedef struct
{
  GObject                    parent_instance;
  CcProxyProviderDescriptor *descriptor;
} TEST_TYPE;

typedef struct
{
  GObjectClass parent_class;
} PASTE (TEST_TYPE, Class);

static void provider_iface_init (CcProxyProviderInterface *iface);
#if TEST_VARIANT == VARIANT_FACTORY
static void initable_iface_init (GInitableIface *iface);
#define EXTRA_INTERFACES G_IMPLEMENT_INTERFACE_DYNAMIC (G_TYPE_INITABLE, initable_iface_init)
#elif TEST_VARIANT == VARIANT_HEALTHY
static void auth_iface_init (CcProxyAuthCapableInterface *iface);
#define EXTRA_INTERFACES G_IMPLEMENT_INTERFACE_DYNAMIC (CC_PROXY_TYPE_AUTH_CAPABLE, auth_iface_init)
#else
#define EXTRA_INTERFACES
#endif

/* Expands TEST_TYPE and TEST_PREFIX before the GLib macro pastes them. */
#define DEFINE_TEST_TYPE(T, t) \
  G_DEFINE_DYNAMIC_TYPE_EXTENDED (T, t, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL, \
                                  G_IMPLEMENT_INTERFACE_DYNAMIC (CC_PROXY_TYPE_PROVIDER, provider_iface_init) \
                                  EXTRA_INTERFACES)
DEFINE_TEST_TYPE (TEST_TYPE, TEST_PREFIX)

#define SELF(obj) ((TEST_TYPE *) (obj))

G_GNUC_UNUSED static const char * const mode_options[] = { "alpha", "beta", NULL };
G_GNUC_UNUSED static const char * const no_options[] = { NULL };
G_GNUC_UNUSED static const char * const url_env[] = { "TEST_HEALTHY_URL", NULL };
G_GNUC_UNUSED static const char * const flag_env[] = { "TEST_HEALTHY_FLAG", NULL };
G_GNUC_UNUSED static const char * const token_env[] = { "TEST_HEALTHY_TOKEN_PRIMARY", "TEST_HEALTHY_TOKEN", NULL };
G_GNUC_UNUSED static const char * const key_env[] = { "TEST_NOTHANDLED_KEY", NULL };

static CcProxyProviderDescriptor *
make_descriptor (void)
{
#if TEST_VARIANT == VARIANT_HEALTHY
  CcProxySettingDescriptor *settings[] = {
    cc_proxy_setting_descriptor_new ("base-url", "Base URL", "Where requests go.",
                                     CC_PROXY_SETTING_KIND_URL, "", NULL, FALSE, url_env),
    cc_proxy_setting_descriptor_new_int ("patience-seconds", "Patience", "A number with a range.",
                                         30, 0, 600, "seconds", NULL),
    cc_proxy_setting_descriptor_new ("flag", "Flag", "A boolean.",
                                     CC_PROXY_SETTING_KIND_BOOL, "false", NULL, FALSE, flag_env),
    cc_proxy_setting_descriptor_new ("mode", "Mode", "A choice.",
                                     CC_PROXY_SETTING_KIND_SELECT, "alpha", mode_options, FALSE, NULL),
    cc_proxy_setting_descriptor_new ("token", "Token", "A secret.",
                                     CC_PROXY_SETTING_KIND_TEXT, "", NULL, TRUE, token_env),
    NULL
  };
  return cc_proxy_provider_descriptor_new ("healthy", "Healthy", settings);
#elif TEST_VARIANT == VARIANT_NOTHANDLED
  CcProxySettingDescriptor *settings[] = {
    cc_proxy_setting_descriptor_new ("base-url", "Base URL", "Its own upstream, never for client credentials.",
                                     CC_PROXY_SETTING_KIND_URL, "", NULL, FALSE, NULL),
    /* A second secret, so that one can come from the keyring (healthy's
     * token) while this one comes from the environment. */
    cc_proxy_setting_descriptor_new ("key", "Key", "A secret from the environment.",
                                     CC_PROXY_SETTING_KIND_TEXT, "", NULL, TRUE, key_env),
    NULL
  };
  return cc_proxy_provider_descriptor_new ("nothandled", "Not handled", settings);
#elif TEST_VARIANT == VARIANT_FAILING
  return cc_proxy_provider_descriptor_new ("failing", "Failing", NULL);
#elif TEST_VARIANT == VARIANT_HANGING
  return cc_proxy_provider_descriptor_new ("hanging", "Hanging", NULL);
#elif TEST_VARIANT == VARIANT_EMPTYID
  return cc_proxy_provider_descriptor_new ("", "No id", NULL);
#elif TEST_VARIANT == VARIANT_DUPID
  return cc_proxy_provider_descriptor_new ("healthy", "Second healthy", NULL);
#elif TEST_VARIANT == VARIANT_EMPTYKEY
  CcProxySettingDescriptor *settings[] = {
    cc_proxy_setting_descriptor_new ("", "Nameless", "", CC_PROXY_SETTING_KIND_TEXT, "", NULL, FALSE, NULL),
    NULL
  };
  return cc_proxy_provider_descriptor_new ("emptykey", "Empty key", settings);
#elif TEST_VARIANT == VARIANT_DUPKEY
  CcProxySettingDescriptor *settings[] = {
    cc_proxy_setting_descriptor_new ("url", "URL", "", CC_PROXY_SETTING_KIND_TEXT, "", NULL, FALSE, NULL),
    cc_proxy_setting_descriptor_new ("url", "URL again", "", CC_PROXY_SETTING_KIND_TEXT, "", NULL, FALSE, NULL),
    NULL
  };
  return cc_proxy_provider_descriptor_new ("dupkey", "Duplicate key", settings);
#elif TEST_VARIANT == VARIANT_SELECTNOOPTS
  CcProxySettingDescriptor *settings[] = {
    cc_proxy_setting_descriptor_new ("choice", "Choice", "", CC_PROXY_SETTING_KIND_SELECT, "", no_options, FALSE, NULL),
    NULL
  };
  return cc_proxy_provider_descriptor_new ("selectnoopts", "Select without options", settings);
#elif TEST_VARIANT == VARIANT_BADDEFAULT
  CcProxySettingDescriptor *settings[] = {
    cc_proxy_setting_descriptor_new ("mode", "Mode", "", CC_PROXY_SETTING_KIND_SELECT, "gamma", mode_options, FALSE, NULL),
    NULL
  };
  return cc_proxy_provider_descriptor_new ("baddefault", "Bad default", settings);
#else
  return cc_proxy_provider_descriptor_new ("factory", "Factory", NULL);
#endif
}

/* The paths it serves: the interface's defaults answer from them. */
static CcProxyProviderDescriptor *
make_descriptor_with_routes (void)
{
  CcProxyProviderDescriptor *descriptor = make_descriptor ();

#if TEST_VARIANT == VARIANT_HEALTHY
  static const char * const plain[] = {
    "/healthy/stream-fail", "/healthy/json-fail", "/healthy/own-stream", "/healthy/own-json",
    "/healthy/relay", "/healthy/bug",
  };

  cc_proxy_provider_descriptor_add_route (descriptor, "/healthy/echo", "POST", TRUE);
  cc_proxy_provider_descriptor_add_route (descriptor, "/healthy/slow", "POST", TRUE);
  for (gsize i = 0; i < G_N_ELEMENTS (plain); i++)
    cc_proxy_provider_descriptor_add_route (descriptor, plain[i], NULL, FALSE);
#else
  cc_proxy_provider_descriptor_add_route (descriptor, "/v1/messages", NULL, FALSE);
#endif
  return descriptor;
}

static CcProxyProviderDescriptor *
get_descriptor (CcProxyProvider *provider)
{
  return SELF (provider)->descriptor;
}

#if TEST_VARIANT == VARIANT_HEALTHY
static void
respond_json (CcProxyRequestContext *context,
              const char            *text)
{
  g_autoptr(GBytes) answer = g_bytes_new (text, strlen (text));

  cc_proxy_request_context_respond (context, 200, "application/json", answer);
}

/* Answers with what the request looked like and the settings it saw. */
static void
answer_echo (GTask *task)
{
  CcProxyRequestContext *context = g_task_get_task_data (task);
  CcProxySnapshot *snapshot = cc_proxy_request_context_get_snapshot (context);
  JsonObject *body = json_node_get_object (cc_proxy_request_context_get_json_body (context));
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "provider");
  json_builder_add_string_value (builder, "healthy");
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, cc_proxy_request_context_get_path (context));
  json_builder_set_member_name (builder, "query");
  json_builder_add_string_value (builder, cc_proxy_request_context_get_query (context));
  json_builder_set_member_name (builder, "mode");
  json_builder_add_string_value (builder, cc_proxy_snapshot_get_value (snapshot, "healthy", "mode"));
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, json_object_get_string_member_with_default (body, "model", ""));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);

  respond_json (context, text);
  g_task_return_int (task, CC_PROXY_HANDLED);
}

static gboolean
answer_echo_later (gpointer user_data)
{
  answer_echo (user_data);
  return G_SOURCE_REMOVE;
}

/* /healthy/relay: calls <base-url>/secret-check with the token as a
 * bearer credential and answers with the upstream's status: the secret
 * is used upstream, and never echoed. */
static void
on_relay_sent (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CcProxyRequestContext *context = g_task_get_task_data (task);
  SoupMessage *upstream = g_object_get_data (G_OBJECT (task), "upstream");
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  g_autofree char *text = g_strdup_printf ("{\"upstream_status\": %u}", soup_message_get_status (upstream));

  respond_json (context, text);
  g_task_return_int (task, CC_PROXY_HANDLED);
}

static void
relay_with_token (GTask *task)
{
  CcProxyRequestContext *context = g_task_get_task_data (task);
  CcProxySnapshot *snapshot = cc_proxy_request_context_get_snapshot (context);
  g_autofree char *url = g_strconcat (cc_proxy_snapshot_get_value (snapshot, "healthy", "base-url"), "/secret-check", NULL);
  g_autofree char *bearer = g_strconcat ("Bearer ", cc_proxy_snapshot_get_value (snapshot, "healthy", "token"), NULL);
  SoupMessage *upstream = soup_message_new ("GET", url);

  soup_message_headers_append (soup_message_get_request_headers (upstream), "Authorization", bearer);
  g_object_set_data_full (G_OBJECT (task), "upstream", upstream, g_object_unref);
  soup_session_send_and_read_async (cc_proxy_request_context_get_session (context), upstream, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), on_relay_sent, g_object_ref (task));
}

static gboolean
fail_after_start (gpointer user_data)
{
  GTask *task = user_data;

  g_task_return_new_error (task, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_FAILED,
                           "the stream broke after it started");
  return G_SOURCE_REMOVE;
}
#endif

G_GNUC_UNUSED static gboolean
return_cancelled (gpointer user_data)
{
  g_task_return_error_if_cancelled (user_data);
  return G_SOURCE_REMOVE;
}

G_GNUC_UNUSED static void
on_cancelled (GCancellable *cancellable,
              GTask        *task)
{
  /* Complete from an idle: never inside the cancel() call. */
  g_idle_add_full (G_PRIORITY_DEFAULT, return_cancelled, g_object_ref (task), g_object_unref);
}

static void
handle_request_async (CcProxyProvider       *provider,
                      CcProxyRequestContext *context,
                      GCancellable          *cancellable,
                      GAsyncReadyCallback    callback,
                      gpointer               user_data)
{
  g_autoptr(GTask) task = g_task_new (provider, cancellable, callback, user_data);

  g_task_set_task_data (task, g_object_ref (context), g_object_unref);

#if TEST_VARIANT == VARIANT_HEALTHY
  {
    const char *path = cc_proxy_request_context_get_path (context);

    if (g_str_equal (path, "/healthy/echo"))
      {
        answer_echo (task);
      }
    else if (g_str_equal (path, "/healthy/slow"))
      {
        g_timeout_add_full (G_PRIORITY_DEFAULT, 300, answer_echo_later, g_object_ref (task), g_object_unref);
      }
    else if (g_str_equal (path, "/healthy/stream-fail"))
      {
        static const char first[] = "event: ping\ndata: {\"type\": \"ping\"}\n\n";

        cc_proxy_request_context_begin_stream (context, 200, "text/event-stream");
        cc_proxy_request_context_write (context, first, strlen (first));
        g_timeout_add_full (G_PRIORITY_DEFAULT, 50, fail_after_start, g_object_ref (task), g_object_unref);
      }
    else if (g_str_equal (path, "/healthy/json-fail"))
      {
        static const char first[] = "{\"partial\": ";

        cc_proxy_request_context_begin_stream (context, 200, "application/json");
        cc_proxy_request_context_write (context, first, strlen (first));
        g_timeout_add_full (G_PRIORITY_DEFAULT, 50, fail_after_start, g_object_ref (task), g_object_unref);
      }
    else if (g_str_equal (path, "/healthy/own-stream"))
      {
        /* An Anthropic stream written through the context. */
        static const char events[] =
          "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_own\","
          "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"own\",\"content\":[],"
          "\"usage\":{\"input_tokens\":7,\"output_tokens\":1}}}\n\n"
          "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
          "\"usage\":{\"output_tokens\":3}}\n\n"
          "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

        cc_proxy_request_context_begin_stream (context, 200, "text/event-stream");
        /* Split mid-event: the core's observer must not mind. */
        cc_proxy_request_context_write (context, events, 40);
        cc_proxy_request_context_write (context, events + 40, strlen (events) - 40);
        cc_proxy_request_context_end_stream (context);
        g_task_return_int (task, CC_PROXY_HANDLED);
      }
    else if (g_str_equal (path, "/healthy/own-json"))
      {
        /* A whole Anthropic message answered through the context. */
        respond_json (context,
                      "{\"id\":\"msg_own\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"own\","
                      "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}],\"stop_reason\":\"max_tokens\","
                      "\"usage\":{\"input_tokens\":11,\"output_tokens\":5}}");
        g_task_return_int (task, CC_PROXY_HANDLED);
      }
    else if (g_str_equal (path, "/healthy/relay"))
      {
        relay_with_token (task);
      }
    else if (g_str_equal (path, "/healthy/bug"))
      {
        cc_proxy_request_context_set_status (context, 200);
        g_task_return_int (task, CC_PROXY_NOT_HANDLED);
      }
    else
      {
        g_task_return_int (task, CC_PROXY_NOT_HANDLED);
      }
  }
#elif TEST_VARIANT == VARIANT_FAILING
  g_task_return_new_error (task, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_FAILED,
                           "internal detail: connection pool exhausted at 0xdeadbeef");
#elif TEST_VARIANT == VARIANT_HANGING
  if (cancellable != NULL)
    g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), g_object_ref (task), g_object_unref);
#else
  g_task_return_int (task, CC_PROXY_NOT_HANDLED);
#endif
}

static void
provider_iface_init (CcProxyProviderInterface *iface)
{
  iface->get_descriptor = get_descriptor;
  iface->handle_request_async = handle_request_async;
}

#if TEST_VARIANT == VARIANT_HEALTHY
/* A device-flow-like login: show a URL and a code, then succeed after a
 * moment (or fail when the "flag" setting is on), unless cancelled. */
static gboolean
finish_login (gpointer user_data)
{
  GTask *task = user_data;
  CcProxyAuthPrompt *prompt = g_task_get_task_data (task);
  g_autoptr(CcProxyAuthResult) result = NULL;

  if (g_task_return_error_if_cancelled (task))
    return G_SOURCE_REMOVE;
  if (cc_proxy_snapshot_get_boolean (cc_proxy_auth_prompt_get_snapshot (prompt), "healthy", "flag"))
    {
      g_task_return_new_error (task, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_FAILED,
                               "the person denied access");
      return G_SOURCE_REMOVE;
    }
  result = cc_proxy_auth_result_new ("Signed in to Healthy");
  cc_proxy_auth_result_set_value (result, "token", "healthy-login-token-123456");
  cc_proxy_auth_result_set_activate (result, TRUE);
  g_task_return_pointer (task, g_steal_pointer (&result), (GDestroyNotify) cc_proxy_auth_result_unref);
  return G_SOURCE_REMOVE;
}

static void
run_auth_flow_async (CcProxyAuthCapable  *capable,
                     gboolean             force,
                     CcProxyAuthPrompt   *prompt,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (capable, cancellable, callback, user_data);
  const char *token = cc_proxy_snapshot_get_value (cc_proxy_auth_prompt_get_snapshot (prompt), "healthy", "token");

  g_task_set_task_data (task, g_object_ref (prompt), g_object_unref);
  if (!force && token != NULL && token[0] != '\0')
    {
      g_task_return_new_error (task, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_FAILED,
                               "already signed in: authenticate with force to sign in again");
      return;
    }
  cc_proxy_auth_prompt_show (prompt, "https://login.example.test/device", "WDJB-MJHT",
                             "Open the address and enter the code");
  /* Mode "beta": a person who never comes back; only cancelling ends it. */
  if (g_strcmp0 (cc_proxy_snapshot_get_value (cc_proxy_auth_prompt_get_snapshot (prompt), "healthy", "mode"), "beta") == 0)
    g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), g_object_ref (task), g_object_unref);
  else
    g_timeout_add_full (G_PRIORITY_DEFAULT, 300, finish_login, g_object_ref (task), g_object_unref);
}

static CcProxyAuthResult *
run_auth_flow_finish (CcProxyAuthCapable  *capable,
                      GAsyncResult        *result,
                      GError             **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
auth_iface_init (CcProxyAuthCapableInterface *iface)
{
  iface->run_auth_flow_async = run_auth_flow_async;
  iface->run_auth_flow_finish = run_auth_flow_finish;
}
#endif

#if TEST_VARIANT == VARIANT_FACTORY
static gboolean
initable_init (GInitable     *initable,
               GCancellable  *cancellable,
               GError       **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "its configuration file is missing");
  return FALSE;
}

static void
initable_iface_init (GInitableIface *iface)
{
  iface->init = initable_init;
}
#endif

static void
FN (_finalize) (GObject *object)
{
  g_clear_pointer (&SELF (object)->descriptor, cc_proxy_provider_descriptor_unref);
  G_OBJECT_CLASS (FN (_parent_class))->finalize (object);
}

static void
FN (_class_init) (PASTE (TEST_TYPE, Class) *klass)
{
  G_OBJECT_CLASS (klass)->finalize = FN (_finalize);
}

static void
FN (_class_finalize) (PASTE (TEST_TYPE, Class) *klass)
{
}

static void
FN (_init) (TEST_TYPE *self)
{
  self->descriptor = make_descriptor_with_routes ();
}

#if TEST_VARIANT == VARIANT_FUTURE
/* Claims a provider API this cc-proxyd does not speak. */
G_MODULE_EXPORT extern const int cc_proxy_provider_module_api_version;
G_MODULE_EXPORT const int cc_proxy_provider_module_api_version = CC_PROXY_API_VERSION + 1;
#elif TEST_VARIANT != VARIANT_NOVERSION
CC_PROXY_PROVIDER_MODULE;
#endif

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  /* Modules the version check refuses must never get this far. */
  if (TEST_VARIANT == VARIANT_FUTURE || TEST_VARIANT == VARIANT_NOVERSION)
    abort ();

  /* The "nothing" variant loads but registers nothing. */
  if (TEST_VARIANT == VARIANT_NOTHING)
    return;

  g_type_module_use (G_TYPE_MODULE (module));
  FN (_register_type) (G_TYPE_MODULE (module));
  g_io_extension_point_implement (CC_PROXY_PROVIDER_EXTENSION_POINT_NAME,
                                  FN (_get_type) (), G_STRINGIFY (TEST_TYPE), 0);
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
}

G_MODULE_EXPORT char **
g_io_module_query (void)
{
  return g_strsplit (CC_PROXY_PROVIDER_EXTENSION_POINT_NAME, "!", 0);
}
