/* example-provider.c: the plugin guide's provider, whole
 *
 * Answers Claude Code's /v1/messages with a greeting of its own, as one
 * JSON answer or as a stream, without an upstream. Build and install it
 * with the meson.build next to it; docs/plugin-guide.md walks through it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <cc-proxy/cc-proxy.h>

CC_PROXY_PROVIDER_MODULE;

#define EXAMPLE_PROVIDER_ID "example"

typedef struct
{
  GObject                    parent_instance;
  CcProxyProviderDescriptor *descriptor;
} ExampleProvider;

typedef struct
{
  GObjectClass parent_class;
} ExampleProviderClass;

static void provider_iface_init (CcProxyProviderInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (ExampleProvider, example_provider, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CC_PROXY_TYPE_PROVIDER, provider_iface_init))

static const char * const greeting_env[] = { "EXAMPLE_PROVIDER_GREETING", NULL };

static void
example_provider_init (ExampleProvider *self)
{
  /* The descriptor takes these references; the array stays ours. */
  CcProxySettingDescriptor *settings[] = {
    cc_proxy_setting_descriptor_new ("greeting", "Greeting", "What every answer says.",
                                     CC_PROXY_SETTING_KIND_TEXT, "Hello from the example provider.",
                                     NULL, FALSE, greeting_env),
    NULL
  };

  self->descriptor = cc_proxy_provider_descriptor_new (EXAMPLE_PROVIDER_ID, "Example", settings);
  /* The one path it serves: POST, with a JSON object the core parses. */
  cc_proxy_provider_descriptor_add_route (self->descriptor, "/v1/messages", "POST", TRUE);
}

static void
example_provider_finalize (GObject *object)
{
  ExampleProvider *self = (ExampleProvider *) object;

  g_clear_pointer (&self->descriptor, cc_proxy_provider_descriptor_unref);
  G_OBJECT_CLASS (example_provider_parent_class)->finalize (object);
}

static void
example_provider_class_init (ExampleProviderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = example_provider_finalize;
}

static void
example_provider_class_finalize (ExampleProviderClass *klass)
{
}

static CcProxyProviderDescriptor *
get_descriptor (CcProxyProvider *provider)
{
  return ((ExampleProvider *) provider)->descriptor;
}

/* A string as a JSON literal, quotes and escapes included. */
static char *
json_quote (const char *text)
{
  g_autoptr(JsonNode) node = json_node_init_string (json_node_alloc (), text);

  return json_to_string (node, FALSE);
}

static void
write_event (CcProxyRequestContext *context,
             const char            *name,
             const char            *data)
{
  g_autofree char *event = g_strdup_printf ("event: %s\ndata: %s\n\n", name, data);

  cc_proxy_request_context_write (context, event, strlen (event));
}

/* The Anthropic event stream of one text answer. */
static void
stream_answer (CcProxyRequestContext *context,
               const char            *model,
               const char            *text,
               guint                  output_tokens)
{
  g_autofree char *start = g_strdup_printf ("{\"type\":\"message_start\",\"message\":{\"id\":\"msg_%s\","
                                            "\"type\":\"message\",\"role\":\"assistant\",\"model\":%s,"
                                            "\"content\":[],\"stop_reason\":null,"
                                            "\"usage\":{\"input_tokens\":0,\"output_tokens\":0}}}",
                                            cc_proxy_request_context_get_id (context), model);
  g_autofree char *delta = g_strdup_printf ("{\"type\":\"content_block_delta\",\"index\":0,"
                                            "\"delta\":{\"type\":\"text_delta\",\"text\":%s}}", text);
  g_autofree char *end = g_strdup_printf ("{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
                                          "\"usage\":{\"output_tokens\":%u}}", output_tokens);

  cc_proxy_request_context_begin_stream (context, 200, "text/event-stream");
  write_event (context, "message_start", start);
  write_event (context, "content_block_start",
               "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
  write_event (context, "content_block_delta", delta);
  write_event (context, "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
  write_event (context, "message_delta", end);
  write_event (context, "message_stop", "{\"type\":\"message_stop\"}");
  cc_proxy_request_context_end_stream (context);
}

/* The same answer as one JSON message. */
static void
respond_answer (CcProxyRequestContext *context,
                const char            *model,
                const char            *text,
                guint                  output_tokens)
{
  g_autofree char *body = g_strdup_printf ("{\"id\":\"msg_%s\",\"type\":\"message\",\"role\":\"assistant\","
                                           "\"model\":%s,\"content\":[{\"type\":\"text\",\"text\":%s}],"
                                           "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
                                           "\"usage\":{\"input_tokens\":0,\"output_tokens\":%u}}",
                                           cc_proxy_request_context_get_id (context), model, text,
                                           output_tokens);
  g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&body), strlen (body));

  cc_proxy_request_context_respond (context, 200, "application/json", bytes);
}

static void
handle_request_async (CcProxyProvider       *provider,
                      CcProxyRequestContext *context,
                      GCancellable          *cancellable,
                      GAsyncReadyCallback    callback,
                      gpointer               user_data)
{
  g_autoptr(GTask) task = g_task_new (provider, cancellable, callback, user_data);
  CcProxySnapshot *snapshot = cc_proxy_request_context_get_snapshot (context);
  /* The core parsed the body (the route says so): a JSON object. */
  JsonObject *request = json_node_get_object (cc_proxy_request_context_get_json_body (context));
  const char *greeting = cc_proxy_snapshot_get_value (snapshot, EXAMPLE_PROVIDER_ID, "greeting");
  const char *model = cc_proxy_json_get_string (request, "model");
  g_auto(GStrv) words = g_strsplit (greeting, " ", -1);
  g_autofree char *quoted_model = NULL;
  g_autofree char *quoted_text = NULL;

  g_task_set_source_tag (task, handle_request_async);

  if (model == NULL)
    {
      cc_proxy_request_context_respond_error (context, 400, "invalid_request_error", "model: Field required");
      g_task_return_int (task, CC_PROXY_HANDLED);
      return;
    }

  /* The greeting costs the account nothing: said, for the session
   * counts (the plugin guide's "What a request costs"). */
  soup_message_headers_replace (cc_proxy_request_context_get_response_headers (context),
                                CC_PROXY_PREMIUM_REQUESTS_HEADER, "0");
  quoted_model = json_quote (model);
  quoted_text = json_quote (greeting);
  if (cc_proxy_json_get_bool (request, "stream", FALSE))
    stream_answer (context, quoted_model, quoted_text, g_strv_length (words));
  else
    respond_answer (context, quoted_model, quoted_text, g_strv_length (words));

  /* The interface's default handle_request_finish() reads this. */
  g_task_return_int (task, CC_PROXY_HANDLED);
}

static void
provider_iface_init (CcProxyProviderInterface *iface)
{
  iface->get_descriptor = get_descriptor;
  iface->handle_request_async = handle_request_async;
}

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  /* Types registered on a module cannot be unloaded safely: keep it. */
  g_type_module_use (G_TYPE_MODULE (module));
  example_provider_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (CC_PROXY_PROVIDER_EXTENSION_POINT_NAME,
                                  example_provider_get_type (), EXAMPLE_PROVIDER_ID, 0);
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
}
