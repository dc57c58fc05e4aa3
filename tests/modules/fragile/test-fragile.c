/* test-fragile.c: a provider that misbehaves on purpose
 *
 * "fragile" serves POST /v1/messages with a short Anthropic stream whose
 * model is the request's, unless the model names a way to fail:
 *
 *   segv, abort          the process dies at once
 *   loop                 handle_request_async() never returns
 *   exit-mid-stream      the process exits after the first event
 *   peek:PROVIDER/KEY    the answer's model is that setting's value as
 *                        the host's snapshot has it, or "(none)": what
 *                        a module could learn of other providers
 *   read:PATH, write:PATH, unix:PATH, signal:PID
 *                        the answer's model is "ok", or why the module
 *                        could not read or create the file, connect to
 *                        the Unix socket, or signal the process: what
 *                        the host's sandbox lets a module do
 *
 * CC_TEST_FRAGILE_LOAD=segv|abort|loop does the same while the module
 * loads, and CC_TEST_FRAGILE_INIT=segv while the provider is made; with
 * CC_TEST_FRAGILE_WHILE=PATH, only while PATH exists (a fault fixed
 * later). The build runs the module to write its descriptor, without
 * either set.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cc-proxy/cc-proxy.h>

#define TEST_TYPE_FRAGILE_PROVIDER (test_fragile_provider_get_type ())
G_DECLARE_FINAL_TYPE (TestFragileProvider, test_fragile_provider, TEST, FRAGILE_PROVIDER, GObject)

struct _TestFragileProvider
{
  GObject                    parent_instance;
  CcProxyProviderDescriptor *descriptor;
};

static void provider_iface_init (CcProxyProviderInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (TestFragileProvider, test_fragile_provider, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CC_PROXY_TYPE_PROVIDER, provider_iface_init))

static void
misbehave (const char *how)
{
  const char *while_exists = g_getenv ("CC_TEST_FRAGILE_WHILE");

  if (while_exists != NULL && !g_file_test (while_exists, G_FILE_TEST_EXISTS))
    return;
  if (g_strcmp0 (how, "segv") == 0)
    raise (SIGSEGV);
  else if (g_strcmp0 (how, "abort") == 0)
    abort ();
  else if (g_strcmp0 (how, "loop") == 0)
    for (;;)
      g_usleep (G_USEC_PER_SEC);
}

/* "ok", or why @what (read:, write:, unix:, signal:) failed; NULL when
 * @what is none of those. */
static const char *
try (const char *what)
{
  const char *arg = strchr (what, ':') != NULL ? strchr (what, ':') + 1 : "";
  int fd = -1;
  int result;

  if (g_str_has_prefix (what, "read:"))
    result = fd = open (arg, O_RDONLY | O_CLOEXEC);
  else if (g_str_has_prefix (what, "write:"))
    result = fd = open (arg, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  else if (g_str_has_prefix (what, "unix:"))
    {
      struct sockaddr_un address = { .sun_family = AF_UNIX };

      g_strlcpy (address.sun_path, arg, sizeof address.sun_path);
      result = fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd >= 0)
        result = connect (fd, (struct sockaddr *) &address, sizeof address);
    }
  else if (g_str_has_prefix (what, "signal:"))
    result = kill ((pid_t) g_ascii_strtoll (arg, NULL, 10), 0);
  else
    return NULL;
  if (result < 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      return g_strerror (saved);
    }
  if (fd >= 0)
    close (fd);
  return "ok";
}

static CcProxyProviderDescriptor *
get_descriptor (CcProxyProvider *provider)
{
  return TEST_FRAGILE_PROVIDER (provider)->descriptor;
}

static gboolean
exit_now (gpointer user_data)
{
  _exit (3);
}

static void
handle_request_async (CcProxyProvider       *provider,
                      CcProxyRequestContext *context,
                      GCancellable          *cancellable,
                      GAsyncReadyCallback    callback,
                      gpointer               user_data)
{
  g_autoptr(GTask) task = g_task_new (provider, cancellable, callback, user_data);
  JsonObject *body = json_node_get_object (cc_proxy_request_context_get_json_body (context));
  const char *model = json_object_get_string_member_with_default (body, "model", "");
  g_autofree char *start = NULL;
  g_auto(GStrv) peek = NULL;
  const char *tried;
  static const char rest[] =
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
    "\"usage\":{\"output_tokens\":2}}\n\n"
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

  if (g_str_has_prefix (model, "peek:") && (peek = g_strsplit (model + strlen ("peek:"), "/", 2))[1] != NULL)
    {
      const char *value = cc_proxy_snapshot_get_value (cc_proxy_request_context_get_snapshot (context), peek[0], peek[1]);

      model = value != NULL ? value : "(none)";
    }
  else if ((tried = try (model)) != NULL)
    model = tried;
  start = g_strdup_printf ("event: message_start\ndata: {\"type\":\"message_start\",\"message\":"
                           "{\"id\":\"msg_fragile\",\"type\":\"message\",\"role\":\"assistant\","
                           "\"model\":\"%s\",\"content\":[],\"usage\":{\"input_tokens\":3,"
                           "\"output_tokens\":1}}}\n\n", model);

  misbehave (model);

  cc_proxy_request_context_begin_stream (context, 200, "text/event-stream");
  cc_proxy_request_context_write (context, start, strlen (start));
  if (g_str_equal (model, "exit-mid-stream"))
    {
      /* After the first event is out. */
      g_timeout_add (200, exit_now, NULL);
      return;
    }
  cc_proxy_request_context_write (context, rest, strlen (rest));
  cc_proxy_request_context_end_stream (context);
  g_task_return_int (task, CC_PROXY_HANDLED);
}

static CcProxyHandled
handle_request_finish (CcProxyProvider  *provider,
                       GAsyncResult     *result,
                       GError          **error)
{
  return (CcProxyHandled) g_task_propagate_int (G_TASK (result), error);
}

static void
provider_iface_init (CcProxyProviderInterface *iface)
{
  iface->get_descriptor = get_descriptor;
  iface->handle_request_async = handle_request_async;
  iface->handle_request_finish = handle_request_finish;
}

static void
test_fragile_provider_finalize (GObject *object)
{
  g_clear_pointer (&TEST_FRAGILE_PROVIDER (object)->descriptor, cc_proxy_provider_descriptor_unref);
  G_OBJECT_CLASS (test_fragile_provider_parent_class)->finalize (object);
}

static void
test_fragile_provider_class_init (TestFragileProviderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_fragile_provider_finalize;
}

static void
test_fragile_provider_class_finalize (TestFragileProviderClass *klass)
{
}

static void
test_fragile_provider_init (TestFragileProvider *self)
{
  misbehave (g_getenv ("CC_TEST_FRAGILE_INIT"));
  self->descriptor = cc_proxy_provider_descriptor_new ("fragile", "Fragile", NULL);
  cc_proxy_provider_descriptor_add_route (self->descriptor, "/v1/messages", "POST", TRUE);
}

CC_PROXY_PROVIDER_MODULE;

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  misbehave (g_getenv ("CC_TEST_FRAGILE_LOAD"));
  g_type_module_use (G_TYPE_MODULE (module));
  test_fragile_provider_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (CC_PROXY_PROVIDER_EXTENSION_POINT_NAME,
                                  TEST_TYPE_FRAGILE_PROVIDER, "TestFragileProvider", 0);
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
