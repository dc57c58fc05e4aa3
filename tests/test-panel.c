/* test-panel.c: cc-proxy-panel's window against the real daemon
 *
 * Run under a virtual X server (xvfb-run), with cc-proxyd on a private
 * bus and the test provider modules: the window lists the providers,
 * a setting changed in a generated row reaches the daemon, a value the
 * daemon refuses shows its error under the row and changes nothing, a
 * request through the proxy shows in the traffic list with its tokens,
 * a login against the test upstream shows its code and completes, a
 * provider that needs attention shows a banner whose button signs in
 * again, the desktop notification's "Sign in" opens the application, and
 * the window renders to PNGs that are not blank.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "cc-panel-window.h"
#include "cc-proxy.h"
#include "cc-test-daemon.h"
#include "cc-test-desktop.h"
#include "cc-test-upstream.h"
#include "cc-test-util.h"

#define HEALTHY_PATH "/org/ccproxy/Proxy1/providers/healthy"
#define PROVIDER_IFACE "org.ccproxy.Proxy1.Provider"

typedef struct
{
  GTestDBus       *bus;
  GDBusConnection *connection;
  CcTestUpstream  *upstream;
  Daemon          *daemon;
  CcPanelWindow   *window;
  char            *config;   /* "budget": the keyfile's folder */
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  user_data)
{
  const char *env[] = { "DBUS_SESSION_BUS_ADDRESS", NULL, "CC_PROXY_PROVIDER_DIR", NULL,
                        "CC_PROXY_GITHUB_URL", NULL, "CC_PROXY_GITHUB_API_URL", NULL,
                        "CC_PROXY_COPILOT_BASE_URL", NULL, NULL };
  const char *url;

  fixture->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  /* cc-proxy-panel, D-Bus activatable as when installed, on this
   * display (the previous test's g_test_dbus_down() unset DISPLAY). */
  g_setenv ("DISPLAY", gdk_display_get_name (gdk_display_get_default ()), TRUE);
  g_test_dbus_add_service_dir (fixture->bus, g_getenv ("CC_PROXY_TEST_PANEL_ACTIVATION_DIR"));
  /* And cc-proxyd, for the window to start it. */
  if (g_strcmp0 (user_data, "activated") == 0)
    g_test_dbus_add_service_dir (fixture->bus, g_getenv ("CC_PROXY_TEST_ACTIVATION_DIR"));
  cc_test_dbus_up (fixture->bus);
  fixture->connection = cc_test_bus_connection (fixture->bus);
  fixture->upstream = cc_test_upstream_new ();
  url = cc_test_upstream_get_url (fixture->upstream);
  env[1] = g_test_dbus_get_bus_address (fixture->bus);
  /* The providers people have, not the test ones (the screenshots),
   * with GitHub and Copilot on the mock. */
  if (g_strcmp0 (user_data, "copilot") == 0)
    {
      env[3] = g_getenv ("CC_PROXY_TEST_COPILOT_DIR");
      env[5] = env[7] = env[9] = url;
    }
  else if (g_strcmp0 (user_data, "budget") == 0)
    {
      /* A day's budget of one premium request, and the upstream says
       * each answer costs one. */
      fixture->config = cc_test_keyfile_config ("[org/ccproxy/Proxy]\npremium-budget-day=uint32 1\n", NULL);
      env[2] = "GSETTINGS_BACKEND";
      env[3] = "keyfile";
      env[4] = "XDG_CONFIG_HOME";
      env[5] = fixture->config;
      env[6] = NULL;
      cc_test_upstream_set_header (fixture->upstream, "/v1/messages", CC_PROXY_PREMIUM_REQUESTS_HEADER, "1");
    }
  else
    env[2] = NULL;
  if (g_strcmp0 (user_data, "activated") != 0)
    fixture->daemon = daemon_start (env, url);

  fixture->window = CC_PANEL_WINDOW (cc_panel_window_new (NULL, fixture->connection));
  gtk_window_present (GTK_WINDOW (fixture->window));
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  user_data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  cc_test_drain (50);
  /* An activated cc-proxyd leaves with its bus. */
  if (fixture->daemon != NULL)
    daemon_stop (fixture->daemon);
  g_clear_object (&fixture->upstream);
  g_dbus_connection_close_sync (fixture->connection, NULL, NULL);
  g_clear_object (&fixture->connection);
  g_test_dbus_down (fixture->bus);
  g_clear_object (&fixture->bus);
  if (fixture->config != NULL)
    cc_test_remove_tree (fixture->config);
  g_clear_pointer (&fixture->config, g_free);
}

typedef struct
{
  Fixture    *fixture;
  const char *id;
} GroupWait;

static gboolean
group_shown (gpointer user_data)
{
  GroupWait *wait = user_data;

  return cc_panel_window_is_connected (wait->fixture->window) &&
         cc_panel_window_get_provider_group (wait->fixture->window, wait->id) != NULL;
}

static CcPanelProviderGroup *
shown_group (Fixture    *fixture,
             const char *id)
{
  GroupWait wait = { fixture, id };

  cc_test_wait_for (group_shown, &wait);
  return cc_panel_window_get_provider_group (fixture->window, id);
}

static CcPanelProviderGroup *
healthy (Fixture *fixture)
{
  return shown_group (fixture, "healthy");
}

/* The value in effect for @key, as the daemon says it on the bus. */
static GVariant *
daemon_value (Fixture    *fixture,
              const char *key)
{
  g_autoptr(GVariant) values = cc_test_get_property (fixture->connection, HEALTHY_PATH, PROVIDER_IFACE, "Values");
  g_autoptr(GVariant) entry = g_variant_lookup_value (values, key, G_VARIANT_TYPE_VARDICT);

  g_assert_nonnull (entry);
  return g_variant_lookup_value (entry, "value", NULL);
}

static void
test_lists_providers (Fixture       *fixture,
                      gconstpointer  user_data)
{
  CcPanelProviderGroup *group = healthy (fixture);
  static const char * const ids[] = { "anthropic", "healthy", "nothandled", "failing", "hanging" };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_assert_nonnull (cc_panel_window_get_provider_group (fixture->window, ids[i]));
  g_assert_cmpstr (adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (group)), ==, "Healthy");
  /* A row of the kind each descriptor asks for. */
  g_assert_true (ADW_IS_ACTION_ROW (cc_panel_provider_group_get_row (group, "patience-seconds")));
  g_assert_true (GTK_IS_SPIN_BUTTON (g_object_get_data (G_OBJECT (cc_panel_provider_group_get_row (group, "patience-seconds")),
                                                       "cc-panel-control")));
  g_assert_true (GTK_IS_SWITCH (g_object_get_data (G_OBJECT (cc_panel_provider_group_get_row (group, "flag")),
                                                   "cc-panel-control")));
  g_assert_true (ADW_IS_COMBO_ROW (cc_panel_provider_group_get_row (group, "mode")));
  g_assert_true (ADW_IS_PASSWORD_ENTRY_ROW (cc_panel_provider_group_get_row (group, "token")));
  g_assert_true (ADW_IS_ENTRY_ROW (cc_panel_provider_group_get_row (group, "base-url")));
  /* The spin button has the descriptor's range. */
  {
    GtkSpinButton *spin = g_object_get_data (G_OBJECT (cc_panel_provider_group_get_row (group, "patience-seconds")),
                                             "cc-panel-control");
    double minimum, maximum;

    gtk_spin_button_get_range (spin, &minimum, &maximum);
    g_assert_cmpfloat (minimum, ==, 0);
    g_assert_cmpfloat (maximum, ==, 600);
    g_assert_cmpint (gtk_spin_button_get_value_as_int (spin), ==, 30);
  }
}

typedef struct
{
  Fixture    *fixture;
  const char *key;
  gint32      expected;
} IntWait;

static gboolean
daemon_has_int (gpointer user_data)
{
  IntWait *wait = user_data;
  g_autoptr(GVariant) value = daemon_value (wait->fixture, wait->key);

  return value != NULL && g_variant_get_int32 (value) == wait->expected;
}

static void
test_setting_reaches_daemon (Fixture       *fixture,
                             gconstpointer  user_data)
{
  CcPanelProviderGroup *group = healthy (fixture);
  GtkSpinButton *spin = g_object_get_data (G_OBJECT (cc_panel_provider_group_get_row (group, "patience-seconds")),
                                           "cc-panel-control");
  IntWait wait = { fixture, "patience-seconds", 42 };

  gtk_spin_button_set_value (spin, 42);
  cc_test_wait_for (daemon_has_int, &wait);
  g_assert_null (cc_panel_provider_group_get_error (group, "patience-seconds"));
}

typedef struct
{
  CcPanelProviderGroup *group;
  const char           *key;
} ErrorWait;

static gboolean
error_shown (gpointer user_data)
{
  ErrorWait *wait = user_data;

  return cc_panel_provider_group_get_error (wait->group, wait->key) != NULL;
}

static void
test_refused_value_shows_error (Fixture       *fixture,
                                gconstpointer  user_data)
{
  CcPanelProviderGroup *group = healthy (fixture);
  GtkWidget *row = cc_panel_provider_group_get_row (group, "base-url");
  ErrorWait wait = { group, "base-url" };
  g_autoptr(GVariant) before = daemon_value (fixture, "base-url");
  g_autoptr(GVariant) after = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  gtk_editable_set_text (GTK_EDITABLE (row), "file:///etc/passwd");
  g_signal_emit_by_name (row, "apply");
  cc_test_wait_for (error_shown, &wait);

  /* The daemon's own words: what it answers anyone who asks the same. */
  reply = g_dbus_connection_call_sync (fixture->connection, "org.ccproxy.Proxy1", HEALTHY_PATH, PROVIDER_IFACE,
                                       "SetValue", g_variant_new ("(sv)", "base-url", g_variant_new_string ("file:///etc/passwd")),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_null (reply);
  g_dbus_error_strip_remote_error (error);
  g_assert_cmpstr (cc_panel_provider_group_get_error (group, "base-url"), ==, error->message);

  /* Nothing changed, and the row shows what is in effect again. */
  after = daemon_value (fixture, "base-url");
  g_assert_true (g_variant_equal (before, after));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, g_variant_get_string (after, NULL));
}

/* POSTs @request to the proxy's /v1/messages; returns the status. */
static guint
post_messages (Fixture    *fixture,
               const char *request)
{
  g_autoptr(SoupSession) client = soup_session_new ();
  g_autofree char *url = g_strconcat (fixture->daemon->url, "/v1/messages", NULL);
  g_autofree char *answer = NULL;
  guint status;

  answer = cc_test_post_json (client, url, request, &status);
  return status;
}

static gboolean
traffic_shown (gpointer user_data)
{
  Fixture *fixture = user_data;

  return g_list_model_get_n_items (cc_panel_window_get_traffic (fixture->window)) > 0;
}

static gboolean
counted (gpointer user_data)
{
  Fixture *fixture = user_data;
  const char *counters = cc_panel_window_get_counters (fixture->window);

  return counters != NULL && g_str_has_prefix (counters, "1 total, 0 in progress, 0 failed");
}

static gboolean
watching (gpointer user_data)
{
  return cc_panel_window_get_watching (((Fixture *) user_data)->window);
}

static void
test_traffic_listed (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GtkStringObject) item = NULL;
  const char *text;

  healthy (fixture);
  cc_test_wait_for (watching, fixture);
  cc_test_upstream_respond (fixture->upstream, "/v1/messages", 200, "application/json",
                            "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-test\","
                            "\"content\":[],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":12,\"output_tokens\":34}}",
                            -1);
  g_assert_cmpuint (post_messages (fixture, "{\"model\":\"claude-test\",\"max_tokens\":8,\"messages\":[]}"), ==, 200);

  cc_test_wait_for (traffic_shown, fixture);
  item = g_list_model_get_item (cc_panel_window_get_traffic (fixture->window), 0);
  text = gtk_string_object_get_string (item);
  g_assert_nonnull (strstr (text, "POST /v1/messages · anthropic · claude-test"));
  g_assert_nonnull (strstr (text, "\n200 · "));
  g_assert_nonnull (strstr (text, " · 12 in, 34 out"));

  /* The last hour's chart counted it, and the daemon's counters. */
  g_assert_cmpuint (cc_panel_chart_get_requests (cc_panel_window_get_chart (fixture->window), 60), ==, 1);
  g_assert_cmpuint (cc_panel_chart_get_tokens (cc_panel_window_get_chart (fixture->window), 60), ==, 46);
  cc_test_wait_for (counted, fixture);
  /* The test modules that cannot load, each listed. */
  {
    g_autoptr(GVariant) errors = cc_test_get_property (fixture->connection, "/org/ccproxy/Proxy1",
                                                       "org.ccproxy.Proxy1", "PluginLoadErrors");

    g_assert_cmpuint (g_variant_n_children (errors), >, 0);
    g_assert_cmpuint (cc_panel_window_get_n_load_errors (fixture->window), ==, g_variant_n_children (errors));
  }
}

/* The window, drawn by GTK as it is on screen, into @name under the
 * test output directory; checked not blank (many pixels differ from
 * the first). */
typedef struct
{
  CcPanelWindow *window;
  GskRenderNode *node;
} Drawn;

/* Whether GTK has drawn the window: its picture, once there is one. */
static gboolean
window_drawn (gpointer user_data)
{
  Drawn *drawn = user_data;
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;

  if (!gtk_widget_get_mapped (GTK_WIDGET (drawn->window)) || gtk_widget_get_width (GTK_WIDGET (drawn->window)) <= 0)
    return FALSE;
  snapshot = gtk_snapshot_new ();
  paintable = gtk_widget_paintable_new (GTK_WIDGET (drawn->window));
  gdk_paintable_snapshot (paintable, snapshot, gtk_widget_get_width (GTK_WIDGET (drawn->window)),
                          gtk_widget_get_height (GTK_WIDGET (drawn->window)));
  drawn->node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  return drawn->node != NULL;
}

static void
render_png (Fixture    *fixture,
            const char *name)
{
  Drawn drawn = { fixture->window, NULL };
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree guchar *pixels = NULL;
  g_autofree char *path = g_build_filename (g_getenv ("CC_PROXY_TEST_OUTPUT_DIR") ? g_getenv ("CC_PROXY_TEST_OUTPUT_DIR")
                                                                                  : g_get_tmp_dir (),
                                            name, NULL);
  int width, height;
  gsize stride;
  guint differing = 0;

  /* Settled: what came in has been laid out and drawn. */
  cc_test_drain (500);
  cc_test_wait_for (window_drawn, &drawn);
  node = drawn.node;
  width = gtk_widget_get_width (GTK_WIDGET (fixture->window));
  height = gtk_widget_get_height (GTK_WIDGET (fixture->window));
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (fixture->window)), node, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("window rendered to %s", path);

  stride = (gsize) width * 4;
  pixels = g_malloc (stride * height);
  gdk_texture_download (texture, pixels, stride);
  for (gsize i = 4; i < stride * height; i += 4)
    if (memcmp (pixels, pixels + i, 4) != 0)
      differing++;
  g_assert_cmpuint (differing, >, (guint) (width * height) / 20);
}

static gboolean
copilot_signed_in (gpointer user_data)
{
  const char *said = cc_panel_provider_group_get_last_sign_in (user_data);

  return said != NULL && g_str_has_prefix (said, "Signed in to GitHub Copilot") &&
         cc_panel_provider_group_get_sign_in_dialog (user_data) == NULL;
}

static gboolean
four_listed (gpointer user_data)
{
  Fixture *fixture = user_data;

  return g_list_model_get_n_items (cc_panel_window_get_traffic (fixture->window)) >= 4;
}

static gboolean
copilot_signed_in_on_bus (gpointer user_data)
{
  Fixture *fixture = user_data;
  g_autoptr(GVariant) signed_in = cc_test_get_property (fixture->connection, "/org/ccproxy/Proxy1/providers/copilot",
                                                        PROVIDER_IFACE, "SignedIn");

  return g_variant_get_boolean (signed_in);
}

/* Copilot signed in over the bus (not through the window, whose toast
 * would cover the screenshot), against the mock GitHub. */
static void
sign_in_copilot (Fixture *fixture)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  cc_test_upstream_mock_github_login (fixture->upstream, "gho_screenshot_123456");
  reply = g_dbus_connection_call_sync (fixture->connection, "org.ccproxy.Proxy1", "/org/ccproxy/Proxy1/providers/copilot",
                                       PROVIDER_IFACE, "Authenticate", g_variant_new ("(b)", TRUE), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  cc_test_wait_for (copilot_signed_in_on_bus, fixture);
}

static gboolean
not_watching (gpointer user_data)
{
  return !watching (user_data);
}

/* A daemon that restarts has forgotten who watched: the window asks the
 * new one, and its traffic is listed. */
static void
test_traffic_after_restart (Fixture       *fixture,
                            gconstpointer  user_data)
{
  const char *env[] = { "DBUS_SESSION_BUS_ADDRESS", g_test_dbus_get_bus_address (fixture->bus), NULL };

  healthy (fixture);
  cc_test_wait_for (watching, fixture);
  daemon_stop (fixture->daemon);
  fixture->daemon = NULL;
  cc_test_wait_for (not_watching, fixture);

  fixture->daemon = daemon_start (env, cc_test_upstream_get_url (fixture->upstream));
  cc_test_wait_for (watching, fixture);
  cc_test_upstream_respond (fixture->upstream, "/v1/messages", 200, "application/json",
                            "{\"type\":\"message\",\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}",
                            -1);
  g_assert_cmpuint (post_messages (fixture, "{\"model\":\"claude-test\",\"max_tokens\":8,\"messages\":[]}"), ==, 200);
  cc_test_wait_for (traffic_shown, fixture);
}

/* With the copilot provider, these are the README's screenshots
 * (build-aux/dev screenshot copies them into docs/): its settings, and
 * the Traffic page after a few requests. */
static void
test_renders (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autofree char *request = cc_test_load_fixture_text ("anthropic-request-minimal.json");
  g_autofree char *answer = cc_test_load_fixture_text ("openai-response-tools.json");
  g_autofree char *models = cc_test_load_fixture_text ("copilot-models.json");

  shown_group (fixture, "copilot");
  render_png (fixture, "cc-proxy-panel.png");

  sign_in_copilot (fixture);
  cc_test_wait_for (watching, fixture);
  cc_test_upstream_respond (fixture->upstream, "/models", 200, "application/json", models, -1);
  cc_test_upstream_respond (fixture->upstream, "/chat/completions", 200, "application/json", answer, -1);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (post_messages (fixture, request), ==, 200);
  cc_test_upstream_respond (fixture->upstream, "/chat/completions", 503, "application/json",
                            "{\"error\":{\"message\":\"upstream overloaded\"}}", -1);
  g_assert_cmpuint (post_messages (fixture, request), >=, 500);
  cc_panel_window_show_page (fixture->window, "traffic");
  cc_test_wait_for (four_listed, fixture);
  render_png (fixture, "cc-proxy-panel-traffic.png");
}

static gboolean
code_shown (gpointer user_data)
{
  CcPanelSignInDialog *dialog = cc_panel_provider_group_get_sign_in_dialog (user_data);

  return dialog != NULL && g_str_equal (cc_panel_sign_in_dialog_get_code (dialog), "WDJB-MJHT");
}

static gboolean
sign_in_over (gpointer user_data)
{
  return cc_panel_provider_group_get_last_sign_in (user_data) != NULL &&
         cc_panel_provider_group_get_sign_in_dialog (user_data) == NULL;
}

static gboolean
signed_in_said (gpointer user_data)
{
  const char *said = cc_panel_provider_group_get_last_sign_in (user_data);

  return said != NULL && g_str_has_prefix (said, "Signed in to Healthy") &&
         cc_panel_provider_group_get_sign_in_dialog (user_data) == NULL;
}

/* A login against the test provider: the code shown while it waits,
 * Cancel ends it; run again, it completes and the result is said. */
static void
test_sign_in (Fixture       *fixture,
              gconstpointer  user_data)
{
  CcPanelProviderGroup *group = healthy (fixture);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) signed_in = NULL;
  g_autoptr(GError) error = NULL;

  /* Mode "beta": the provider waits until the login is cancelled. */
  reply = g_dbus_connection_call_sync (fixture->connection, "org.ccproxy.Proxy1", HEALTHY_PATH, PROVIDER_IFACE,
                                       "SetValue", g_variant_new ("(sv)", "mode", g_variant_new_string ("beta")),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  cc_panel_provider_group_sign_in (group);
  cc_test_wait_for (code_shown, group);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (cc_panel_provider_group_get_sign_in_dialog (group)), "cancel");
  cc_test_wait_for (sign_in_over, group);
  g_assert_nonnull (strstr (cc_panel_provider_group_get_last_sign_in (group), "ancel"));

  g_clear_pointer (&reply, g_variant_unref);
  reply = g_dbus_connection_call_sync (fixture->connection, "org.ccproxy.Proxy1", HEALTHY_PATH, PROVIDER_IFACE,
                                       "SetValue", g_variant_new ("(sv)", "mode", g_variant_new_string ("alpha")),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  cc_test_drain (100);
  /* Done 300 ms after it starts: maybe before its dialog could open, so
   * only the end is waited for. */
  cc_panel_provider_group_sign_in (group);
  cc_test_wait_for (signed_in_said, group);
  signed_in = cc_test_get_property (fixture->connection, HEALTHY_PATH, PROVIDER_IFACE, "SignedIn");
  g_assert_true (g_variant_get_boolean (signed_in));
}

static gboolean
attention_shown (gpointer user_data)
{
  return cc_panel_window_get_attention (user_data) != NULL;
}

static gboolean
banner_button_mapped (gpointer user_data)
{
  return gtk_widget_get_mapped (cc_panel_window_get_banner_button (user_data));
}

static gboolean
attention_gone (gpointer user_data)
{
  return cc_panel_window_get_attention (user_data) == NULL;
}

/* GitHub refuses the Copilot login from now on: the next request
 * fails, and the provider needs the person to sign in again. */
static void
revoke_copilot (Fixture *fixture)
{
  g_autofree char *request = cc_test_load_fixture_text ("anthropic-request-minimal.json");

  cc_test_upstream_mock_copilot_exchange (fixture->upstream, 401);
  g_assert_cmpuint (post_messages (fixture, request), ==, 401);
  cc_test_wait_for (attention_shown, fixture->window);
}

static gboolean
panel_gone (gpointer user_data)
{
  Fixture *fixture = user_data;

  return !cc_test_name_has_owner (fixture->connection, "org.ccproxy.Panel");
}

/* The activated cc-proxy-panel, ended through its "quit" action with
 * the gdbus command cc-proxy-panel(1) gives. */
static void
panel_quit (Fixture *fixture)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GSubprocess) gdbus = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_false (panel_gone (fixture));
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", g_test_dbus_get_bus_address (fixture->bus), TRUE);
  gdbus = g_subprocess_launcher_spawn (launcher, &error, "gdbus", "call", "--session", "--dest", "org.ccproxy.Panel",
                                       "--object-path", "/org/ccproxy/Panel",
                                       "--method", "org.freedesktop.Application.ActivateAction", "quit", "[]", "{}",
                                       NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (gdbus, NULL, &error));
  g_assert_no_error (error);
  cc_test_wait_for (panel_gone, fixture);
}

/* A login against the test upstream through the window (the code shown
 * while GitHub says "pending"); GitHub revokes it: a banner says so, and
 * its button signs in again; revoked again: the desktop notification's
 * "Sign in" D-Bus activates cc-proxy-panel (the build's, through the
 * test bus's service directory), which runs the login itself. */
static void
test_attention (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(CcTestDesktop) desktop = cc_test_desktop_start (fixture->connection);
  CcPanelProviderGroup *group = shown_group (fixture, "copilot");

  cc_test_upstream_mock_github_login (fixture->upstream, "gho_panel_one_123456");
  cc_test_upstream_respond (fixture->upstream, "/login/oauth/access_token", 200, "application/json",
                            "{\"error\":\"authorization_pending\"}", -1);
  cc_panel_provider_group_sign_in (group);
  cc_test_wait_for (code_shown, group);
  cc_test_upstream_mock_github_login (fixture->upstream, "gho_panel_one_123456");
  cc_test_wait_for (copilot_signed_in, group);
  g_assert_null (cc_panel_window_get_attention (fixture->window));

  revoke_copilot (fixture);
  g_assert_cmpstr (cc_panel_window_get_attention (fixture->window), ==,
                   "GitHub Copilot: GitHub refused the Copilot login (revoked or expired): sign in again");
  cc_test_desktop_wait_shown (desktop, 1);
  cc_test_upstream_mock_github_login (fixture->upstream, "gho_panel_two_123456");
  /* Pressed once the banner is down (a button not on screen yet does
   * nothing). */
  cc_test_wait_for (banner_button_mapped, fixture->window);
  g_assert_true (gtk_widget_activate (cc_panel_window_get_banner_button (fixture->window)));
  cc_test_wait_for (attention_gone, fixture->window);

  revoke_copilot (fixture);
  cc_test_desktop_wait_shown (desktop, 2);
  cc_test_upstream_mock_github_login (fixture->upstream, "gho_panel_three_123456");
  cc_test_desktop_press (desktop, "sign-in");
  cc_test_wait_for (attention_gone, fixture->window);
  /* Signed in by the panel D-Bus activated for it, a login of its own;
   * cc-proxyd left it to the window and showed no code itself. */
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/login/device/code"), ==, 3);
  g_assert_cmpuint (desktop->shown->len, ==, 2);
  panel_quit (fixture);
}

static gboolean
disconnected (gpointer user_data)
{
  Fixture *fixture = user_data;

  return !cc_panel_window_is_connected (fixture->window);
}

/* cc-proxyd stops: the window says so; it comes back: the window picks
 * it up with its providers, by itself. */
static void
test_daemon_comes_back (Fixture       *fixture,
                        gconstpointer  user_data)
{
  const char *env[] = { "DBUS_SESSION_BUS_ADDRESS", g_test_dbus_get_bus_address (fixture->bus), NULL };

  healthy (fixture);
  daemon_stop (fixture->daemon);
  fixture->daemon = NULL;
  cc_test_wait_for (disconnected, fixture);
  g_assert_null (cc_panel_window_get_provider_group (fixture->window, "healthy"));

  fixture->daemon = daemon_start (env, cc_test_upstream_get_url (fixture->upstream));
  g_assert_nonnull (healthy (fixture));
}

/* Opened while cc-proxyd is not running: the window starts it (D-Bus
 * activation, the build's service file) and lists its providers. */
static void
test_starts_daemon (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_assert_null (fixture->daemon);
  g_assert_nonnull (shown_group (fixture, "anthropic"));
}

/* ----- routes ----- */

typedef struct
{
  CcPanelRoutesPage *page;
  guint              n;
  const char        *text;  /* the first row's, or NULL */
} RoutesWait;

static gboolean
routes_shown (gpointer user_data)
{
  RoutesWait *wait = user_data;

  return cc_panel_routes_page_get_n_routes (wait->page) == wait->n &&
         (wait->text == NULL || strstr (cc_panel_routes_page_get_row_text (wait->page, 0), wait->text) != NULL);
}

static gboolean
routes_error_shown (gpointer user_data)
{
  return cc_panel_routes_page_get_error (user_data) != NULL;
}

/* Fills the route editor as a person would, and saves. */
static void
save_route (CcPanelRoutesPage *page,
            const char        *editing,
            const char        *name,
            guint              role,
            const char        *model,
            const char        *target)
{
  AdwMessageDialog *dialog = cc_panel_routes_page_edit (page, editing);

  if (name != NULL)
    gtk_editable_set_text (g_object_get_data (G_OBJECT (dialog), "name"), name);
  adw_combo_row_set_selected (g_object_get_data (G_OBJECT (dialog), "role"), role);
  gtk_editable_set_text (g_object_get_data (G_OBJECT (dialog), "model"), model);
  gtk_editable_set_text (g_object_get_data (G_OBJECT (dialog), "target"), target);
  adw_message_dialog_response (dialog, "save");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* The Routes page: a route added in the editor reaches the daemon and
 * is listed; a refused one shows the daemon's reason and changes
 * nothing; routes are edited, moved and removed. */
static void
test_routes (Fixture       *fixture,
             gconstpointer  user_data)
{
  CcPanelRoutesPage *page = cc_panel_window_get_routes_page (fixture->window);
  RoutesWait wait = { page, 1, "1. bg: role=background → healthy · 0 requests, 0 by a fallback" };
  g_autoptr(GVariant) routes = NULL;

  healthy (fixture);
  cc_panel_window_show_page (fixture->window, "routes");
  g_assert_cmpuint (cc_panel_routes_page_get_n_routes (page), ==, 0);

  save_route (page, NULL, "bg", 3, "", "healthy");
  cc_test_wait_for (routes_shown, &wait);

  save_route (page, NULL, "x", 0, "", "nosuch");
  cc_test_wait_for (routes_error_shown, page);
  g_assert_nonnull (strstr (cc_panel_routes_page_get_error (page), "Route “x”: No provider is called “nosuch”"));
  routes = cc_test_get_property (fixture->connection, "/org/ccproxy/Proxy1", "org.ccproxy.Proxy1", "Routes");
  g_assert_cmpuint (g_variant_n_children (routes), ==, 1);

  save_route (page, NULL, "all", 0, "", "anthropic");
  wait.n = 2;
  wait.text = "1. bg:";
  cc_test_wait_for (routes_shown, &wait);
  cc_panel_routes_page_move (page, "all", -1);
  wait.text = "1. all: any request → anthropic";
  cc_test_wait_for (routes_shown, &wait);

  save_route (page, "bg", NULL, 3, "*haiku*", "healthy");
  cc_panel_routes_page_remove (page, "all");
  wait.n = 1;
  wait.text = "1. bg: role=background model=*haiku* → healthy";
  cc_test_wait_for (routes_shown, &wait);
}

static gboolean
second_listed (gpointer user_data)
{
  return cc_panel_window_get_provider_group (user_data, "second") != NULL;
}

static gboolean
second_gone (gpointer user_data)
{
  return !second_listed (user_data);
}

static gboolean
toast_shown (gpointer user_data)
{
  return cc_panel_window_get_last_toast (user_data) != NULL;
}

static gboolean
group_signed_in (gpointer user_data)
{
  return cc_panel_provider_group_is_signed_in (user_data);
}

static gboolean
group_signed_out (gpointer user_data)
{
  return !cc_panel_provider_group_is_signed_in (user_data);
}

/* An instance added from the window: a name the daemon refuses is said
 * in a toast; a good one gets its own group, which signs in on its own
 * (the module's provider stays signed out), and goes again. */
static void
test_instances (Fixture       *fixture,
                gconstpointer  user_data)
{
  CcPanelProviderGroup *group;
  g_autoptr(GVariant) second_in = NULL;
  g_autoptr(GVariant) first_in = NULL;

  healthy (fixture);
  cc_panel_window_add_instance (fixture->window, "healthy", "Bad_Name");
  cc_test_wait_for (toast_shown, fixture->window);
  g_assert_nonnull (strstr (cc_panel_window_get_last_toast (fixture->window), "“Bad_Name” cannot name an instance"));

  cc_panel_window_add_instance (fixture->window, "healthy", "second");
  cc_test_wait_for (second_listed, fixture->window);
  group = cc_panel_window_get_provider_group (fixture->window, "second");
  g_assert_cmpstr (adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (group)), ==, "second (Healthy)");
  g_assert_nonnull (cc_panel_provider_group_get_row (group, "mode"));

  cc_panel_provider_group_sign_in (group);
  /* The module says it by its own name: "Signed in to Healthy". */
  cc_test_wait_for (signed_in_said, group);
  second_in = cc_test_get_property (fixture->connection, "/org/ccproxy/Proxy1/providers/second", PROVIDER_IFACE, "SignedIn");
  first_in = cc_test_get_property (fixture->connection, HEALTHY_PATH, PROVIDER_IFACE, "SignedIn");
  g_assert_true (g_variant_get_boolean (second_in));
  g_assert_false (g_variant_get_boolean (first_in));
  /* The group says so (Sign Out shows), and signing out undoes it. */
  cc_test_wait_for (group_signed_in, group);
  cc_panel_provider_group_sign_out (group);
  cc_test_wait_for (group_signed_out, group);
  g_clear_pointer (&second_in, g_variant_unref);
  second_in = cc_test_get_property (fixture->connection, "/org/ccproxy/Proxy1/providers/second", PROVIDER_IFACE, "SignedIn");
  g_assert_false (g_variant_get_boolean (second_in));

  /* Signing in made it the active provider, which cannot go: another first. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync (fixture->connection, "org.ccproxy.Proxy1",
                                                             "/org/ccproxy/Proxy1", "org.freedesktop.DBus.Properties",
                                                             "Set", g_variant_new ("(ssv)", "org.ccproxy.Proxy1",
                                                                                   "ActiveProvider",
                                                                                   g_variant_new_string ("healthy")),
                                                             NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);

    g_assert_no_error (error);
  }
  cc_panel_window_remove_instance (fixture->window, "second");
  cc_test_wait_for (second_gone, fixture->window);
}

typedef struct
{
  Fixture    *fixture;
  const char *row;
  const char *text;   /* what its subtitle holds */
} ServiceWait;

static gboolean
service_says (gpointer user_data)
{
  ServiceWait *wait = user_data;
  const char *said = cc_panel_window_get_service_row (wait->fixture->window, wait->row);

  return said != NULL && strstr (said, wait->text) != NULL;
}

static void
on_clipboard_text (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  *(char **) user_data = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
}

static gboolean
has_text (gpointer user_data)
{
  return *(char **) user_data != NULL;
}

/* What `cc-proxyctl status` says is in the window too: where cc-proxyd
 * listens (and the environment for Claude Code, copied), the provider
 * hosts, the capture log. */
static void
test_service (Fixture       *fixture,
              gconstpointer  user_data)
{
  ServiceWait address = { fixture, "address", fixture->daemon->url };
  ServiceWait hosts = { fixture, "hosts", "healthy: running" };
  ServiceWait capture = { fixture, "capture", "On: " };
  g_autofree char *quoted = g_shell_quote (fixture->daemon->url);
  g_autofree char *line = g_strdup_printf ("export ANTHROPIC_BASE_URL=%s\n", quoted);
  g_autofree char *copied = NULL;

  healthy (fixture);
  cc_test_wait_for (service_says, &address);
  cc_test_wait_for (service_says, &hosts);
  cc_test_wait_for (service_says, &capture);
  g_assert_nonnull (strstr (cc_panel_window_get_service_row (fixture->window, "capture"), fixture->daemon->state_dir));

  cc_panel_window_copy_environment (fixture->window);
  cc_test_wait_for (toast_shown, fixture->window);
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (fixture->window)), NULL,
                                 on_clipboard_text, &copied);
  cc_test_wait_for (has_text, &copied);
  g_assert_nonnull (strstr (copied, line));
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GBytes) answer = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  *(gboolean *) user_data = TRUE;
}

static gboolean
is_true (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static gboolean
budget_asked (gpointer user_data)
{
  return cc_panel_window_get_budget_question (user_data) != 0;
}

static gboolean
budget_gone (gpointer user_data)
{
  return cc_panel_window_get_budget_question (user_data) == 0;
}

/* Over the day's budget, the window asks what the notification would
 * (there is no notification server here: the window watching is who can
 * answer); an answer there lets the request go, one from elsewhere
 * closes it. */
static void
test_budget (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autofree char *request = cc_test_load_fixture_text ("anthropic-request-minimal.json");
  g_autofree char *url = g_strconcat (fixture->daemon->url, "/v1/messages", NULL);
  g_autoptr(SoupSession) client = soup_session_new ();

  cc_test_upstream_respond (fixture->upstream, "/v1/messages", 200, "application/json",
                            "{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
                            "\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}", -1);
  healthy (fixture);
  g_assert_cmpuint (post_messages (fixture, request), ==, 200);

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
      g_autoptr(GBytes) body = g_bytes_new (request, strlen (request));
      gboolean done = FALSE;
      guint question;

      soup_message_set_request_body_from_bytes (message, "application/json", body);
      soup_session_send_and_read_async (client, message, G_PRIORITY_DEFAULT, NULL, on_sent, &done);
      cc_test_wait_for (budget_asked, fixture->window);
      question = cc_panel_window_get_budget_question (fixture->window);
      g_assert_false (done);
      if (round == 0)
        cc_panel_window_answer_budget (fixture->window, "allow");
      else
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GVariant) reply = g_dbus_connection_call_sync (fixture->connection, "org.ccproxy.Proxy1",
                                                                   "/org/ccproxy/Proxy1", "org.ccproxy.Proxy1",
                                                                   "AnswerBudget",
                                                                   g_variant_new ("(us)", question, "deny"),
                                                                   NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);

          g_assert_no_error (error);
        }
      cc_test_wait_for (is_true, &done);
      cc_test_wait_for (budget_gone, fixture->window);
      g_assert_cmpuint (soup_message_get_status (message), ==, round == 0 ? 200 : 429);
    }
}

static gboolean
bar_revealed (gpointer user_data)
{
  return adw_view_switcher_bar_get_reveal (cc_panel_window_get_switcher_bar (user_data));
}

static gboolean
bar_hidden (gpointer user_data)
{
  return !bar_revealed (user_data);
}

/* At 360 px, the width the metainfo claims, the pages can still be
 * switched: a bar at the bottom, gone again in a wide window. And the
 * providers are listed in the order of their ids. */
static void
test_narrow (Fixture       *fixture,
             gconstpointer  user_data)
{
  healthy (fixture);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 360, 640);
  cc_test_wait_for (bar_revealed, fixture->window);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 900, 640);
  cc_test_wait_for (bar_hidden, fixture->window);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

#define ADD(path, func) g_test_add ("/panel/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("lists-providers", test_lists_providers);
  ADD ("setting-reaches-daemon", test_setting_reaches_daemon);
  ADD ("refused-value-shows-error", test_refused_value_shows_error);
  ADD ("traffic-listed", test_traffic_listed);
  ADD ("traffic-after-restart", test_traffic_after_restart);
  ADD ("sign-in", test_sign_in);
  ADD ("daemon-comes-back", test_daemon_comes_back);
  ADD ("routes", test_routes);
  ADD ("narrow", test_narrow);
  ADD ("instances", test_instances);
  ADD ("service", test_service);
  g_test_add ("/panel/budget", Fixture, "budget", fixture_setup, test_budget, fixture_teardown);
  g_test_add ("/panel/renders", Fixture, "copilot", fixture_setup, test_renders, fixture_teardown);
  g_test_add ("/panel/attention", Fixture, "copilot", fixture_setup, test_attention, fixture_teardown);
  g_test_add ("/panel/starts-daemon", Fixture, "activated", fixture_setup, test_starts_daemon, fixture_teardown);
#undef ADD

  return g_test_run ();
}
