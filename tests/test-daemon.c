/* test-daemon.c: the real cc-proxyd binary, started as a user would
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <signal.h>
#include <glib/gstdio.h>

#include "cc-test-upstream.h"
#include "cc-test-daemon.h"
#include "cc-test-util.h"

static void
test_serves_with_broken_plugins (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  Daemon *daemon = daemon_start (NULL, cc_test_upstream_get_url (upstream));
  g_autoptr(SoupSession) client = soup_session_new ();
  g_autofree char *url = g_strconcat (daemon->url, "/v1/messages?beta=true", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-agent.json");
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_str_has_prefix (daemon->url, "http://127.0.0.1:"));
  g_assert_true (g_str_has_suffix (daemon->first_line, "(provider: anthropic)"));

  soup_message_set_request_body_from_bytes (message, "application/json", request);
  answer = cc_test_send (client, message, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  g_assert_true (g_bytes_equal (cc_test_upstream_get_request (upstream, 0)->body, request));

  /* One line per request on stderr, and each broken module said once. */
  wait_for_log (daemon, "POST /v1/messages?beta=true 200 ");
  g_assert_nonnull (strstr (daemon->err_text->str, "Provider module 50-emptyid.so was not loaded: the provider id is empty\n"));
  g_assert_nonnull (strstr (daemon->err_text->str, "Provider module 59-notelf.so was not loaded: could not be opened: "));
  {
    const char *line = strstr (daemon->err_text->str, "POST /v1/messages?beta=true 200 ");
    g_autofree char *first = g_strndup (line, strcspn (line, "\n"));

    g_assert_true (g_regex_match_simple ("^POST /v1/messages\\?beta=true 200 [0-9]+\\.[0-9]ms anthropic$", first, 0, 0));
  }

  daemon_stop (daemon);
}

static void
test_unknown_provider_from_environment (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  static const char * const env[] = { "CC_PROXY_PROVIDER", "bogus", NULL };
  Daemon *daemon = daemon_start (env, cc_test_upstream_get_url (upstream));

  g_assert_true (g_str_has_suffix (daemon->first_line, "(provider: anthropic)"));
  wait_for_log (daemon, "CC_PROXY_PROVIDER=bogus names no known provider "
                        "(known: anthropic, healthy, nothandled, failing, hanging); using anthropic");
  daemon_stop (daemon);
}

static void
test_provider_from_environment (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  static const char * const env[] = { "CC_PROXY_PROVIDER", "healthy", NULL };
  Daemon *daemon = daemon_start (env, cc_test_upstream_get_url (upstream));
  g_autoptr(SoupSession) client = soup_session_new ();
  g_autofree char *url = g_strconcat (daemon->url, "/healthy/echo", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-minimal.json");
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  soup_message_set_request_body_from_bytes (message, "application/json", request);
  answer = cc_test_send (client, message, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  g_assert_nonnull (strstr (g_bytes_get_data (answer, NULL), "\"provider\":\"healthy\""));
  wait_for_log (daemon, "POST /healthy/echo 200 ");
  daemon_stop (daemon);
}

static void
run_expecting_failure (const char * const *argv,
                       int                 status,
                       const char         *out_part,
                       const char         *err_part)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_subprocess_launcher_setenv (launcher, "CC_PROXY_PROVIDER_DIR", "/nonexistent", TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);

  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, status);
  if (out_part != NULL && strstr (out, out_part) == NULL)
    g_error ("stdout “%s” lacks “%s”", out, out_part);
  if (err_part != NULL && strstr (err, err_part) == NULL)
    g_error ("stderr “%s” lacks “%s”", err, err_part);
}

static void
test_command_line (void)
{
  const char *proxyd = g_getenv ("CC_PROXYD");
  const char *version[] = { proxyd, "--version", NULL };
  const char *help[] = { proxyd, "--help", NULL };
  const char *bad_option[] = { proxyd, "--frobnicate", NULL };
  const char *bad_listen[] = { proxyd, "--listen", "nonsense", NULL };
  const char *public_listen[] = { proxyd, "--listen", "0.0.0.0:0", NULL };
  const char *bad_deadline[] = { proxyd, "--request-deadline", "-5", NULL };

  run_expecting_failure (version, 0, "cc-proxyd " PACKAGE_VERSION "\n", NULL);
  run_expecting_failure (help, 0, "--listen=HOST:PORT", NULL);
  run_expecting_failure (help, 0, "--log-traffic", NULL);
  run_expecting_failure (bad_option, 2, NULL, "Unknown option --frobnicate");
  run_expecting_failure (bad_listen, 1, NULL,
                         "cannot listen: “nonsense” is not a listen address: use HOST:PORT, e.g. 127.0.0.1:3344");
  run_expecting_failure (public_listen, 1, NULL,
                         "cannot listen: Refusing to listen on 0.0.0.0: only loopback addresses");
  run_expecting_failure (bad_deadline, 2, NULL, "--request-deadline must be a positive number of seconds");
}

static void
test_port_in_use (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  Daemon *daemon = daemon_start (NULL, cc_test_upstream_get_url (upstream));
  const char *address = daemon->url + strlen ("http://");
  const char *argv[] = { g_getenv ("CC_PROXYD"), "--listen", address, NULL };

  run_expecting_failure (argv, 1, NULL, "cannot listen: ");
  daemon_stop (daemon);
}

static void
run_gsettings (const char * const *env,
               const char         *first,
               ...)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  va_list args;

  for (guint i = 0; env[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);
  g_ptr_array_add (argv, (gpointer) "gsettings");
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_wait_check (process, NULL, &error);
  g_assert_no_error (error);
}

typedef struct
{
  SoupSession *client;
  const char  *url;
  const char  *expected;
} Probe;

/* Sends a request; true once its answer holds @expected. */
static gboolean
answer_contains (gpointer user_data)
{
  Probe *probe = user_data;
  g_autoptr(SoupMessage) message = soup_message_new ("POST", probe->url);
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-minimal.json");
  g_autoptr(GBytes) answer = NULL;
  g_autofree char *text = NULL;

  soup_message_set_request_body_from_bytes (message, "application/json", request);
  answer = cc_test_send (probe->client, message, NULL);
  if (answer == NULL)
    return FALSE;
  text = g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
  return strstr (text, probe->expected) != NULL;
}

/* `gsettings set` takes effect on the next request, without a restart. */
static void
test_gsettings_set_takes_effect (void)
{
  g_autoptr(CcTestUpstream) upstream = cc_test_upstream_new ();
  g_autofree char *config = g_dir_make_tmp ("cc-proxy-test-XXXXXX", NULL);
  const char *env[] = { "GSETTINGS_BACKEND", "keyfile", "XDG_CONFIG_HOME", config, NULL };
  Daemon *daemon = daemon_start (env, cc_test_upstream_get_url (upstream));
  g_autoptr(SoupSession) client = soup_session_new ();
  g_autofree char *url = g_strconcat (daemon->url, "/healthy/echo", NULL);
  Probe probe = { client, url, NULL };
  g_autofree char *keyfile = g_build_filename (config, "glib-2.0", "settings", "keyfile", NULL);

  /* anthropic serves: /healthy/echo goes to the upstream mock. */
  probe.expected = "{\"path\": \"/healthy/echo\"}";
  g_assert_true (answer_contains (&probe));

  run_gsettings (env, "set", "org.ccproxy.Proxy", "active-provider", "healthy", NULL);
  probe.expected = "\"provider\":\"healthy\",\"path\":\"/healthy/echo\",\"query\":null,\"mode\":\"alpha\"";
  cc_test_wait_for (answer_contains, &probe);

  run_gsettings (env, "set", "org.ccproxy.Proxy.providers.healthy", "mode", "beta", NULL);
  probe.expected = "\"mode\":\"beta\"";
  cc_test_wait_for (answer_contains, &probe);

  /* An unknown provider is refused with a message; healthy keeps serving. */
  run_gsettings (env, "set", "org.ccproxy.Proxy", "active-provider", "nosuch", NULL);
  wait_for_log (daemon, "Ignoring active-provider “nosuch” from GSettings: there is no such provider");
  g_assert_true (answer_contains (&probe));

  daemon_stop (daemon);
  /* keyfile, then settings/, glib-2.0/ and the directory itself */
  g_remove (keyfile);
  for (guint i = 0; i < 3; i++)
    {
      char *parent = g_path_get_dirname (keyfile);

      g_free (keyfile);
      keyfile = parent;
      g_rmdir (keyfile);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("cc-proxyd as a process: start-up, logging, command line, clean exit");

  g_test_add_func ("/daemon/serves-with-broken-plugins", test_serves_with_broken_plugins);
  g_test_add_func ("/daemon/unknown-provider-from-environment", test_unknown_provider_from_environment);
  g_test_add_func ("/daemon/provider-from-environment", test_provider_from_environment);
  g_test_add_func ("/daemon/command-line", test_command_line);
  g_test_add_func ("/daemon/port-in-use", test_port_in_use);
  g_test_add_func ("/daemon/gsettings-set-takes-effect", test_gsettings_set_takes_effect);

  return g_test_run ();
}
