/* test-dbus.c: the control interface, on a private session bus, against
 * the real cc-proxyd
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "cc-test-daemon.h"
#include "cc-test-desktop.h"
#include "cc-test-upstream.h"
#include "cc-proxy-dbus-generated.h"
#include "cc-test-util.h"

#define NAME "org.ccproxy.Proxy1"
#define PATH "/org/ccproxy/Proxy1"
#define HEALTHY_PATH PATH "/providers/healthy"
#define MAIN_IFACE "org.ccproxy.Proxy1"
#define PROVIDER_IFACE "org.ccproxy.Proxy1.Provider"

typedef enum
{
  KEYRING_NONE,      /* no keyring service at all */
  KEYRING_UNLOCKED,  /* gnome-keyring-daemon --unlock with a throwaway password */
  KEYRING_LOCKED,    /* gnome-keyring-daemon, never unlocked */
  KEYRING_UNLOCKED_COPILOT,  /* unlocked, and the copilot module with GitHub on the mock */
  KEYRING_NONE_COPILOT,      /* no keyring, and the copilot module with GitHub on the mock */
  KEYRING_NONE_RESCAN,       /* no keyring, and an empty second provider directory */
  KEYRING_UNLOCKED_OPENAI,   /* unlocked, and the openai module (its server set by the test) */
} Keyring;

static const Keyring keyring_none = KEYRING_NONE;
static const Keyring keyring_unlocked = KEYRING_UNLOCKED;
static const Keyring keyring_locked = KEYRING_LOCKED;
static const Keyring keyring_unlocked_copilot = KEYRING_UNLOCKED_COPILOT;
static const Keyring keyring_none_copilot = KEYRING_NONE_COPILOT;
static const Keyring keyring_none_rescan = KEYRING_NONE_RESCAN;
static const Keyring keyring_unlocked_openai = KEYRING_UNLOCKED_OPENAI;

typedef struct
{
  GTestDBus       *bus;
  GSubprocess     *keyring;
  char            *home;
  char            *extra_modules;  /* KEYRING_NONE_RESCAN's second directory */
  GDBusConnection *connection;
  CcTestUpstream  *upstream;
  Daemon          *daemon;
  SoupSession     *client;
  GPtrArray       *changes;   /* PropertiesChanged parameters */
  GPtrArray       *traffic;   /* "Signal (parameters)", in arrival order */
} Fixture;

/* Comes from the environment in every test here: the second secret of
 * the capture test, beside one stored in the keyring. */
#define ENV_SECRET "sk-env-secret-5555555555"

/* Like cc_test_wait_for (), but a failure names the condition and shows
 * what the daemon said. */
static void
wait_until (Fixture    *fixture,
            gboolean  (*done) (gpointer),
            const char *what)
{
  gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;

  while (!done (fixture))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Waited in vain for %s; cc-proxyd said:\n%s", what,
                 fixture->daemon ? fixture->daemon->err_text->str : "(not started)");
      cc_test_drain (10);
    }
}

static void
wait_for_name (Fixture *fixture)
{
  cc_test_wait_for_name (fixture->connection, NAME);
}

static void
on_properties_changed (GDBusConnection *connection,
                       const char      *sender,
                       const char      *path,
                       const char      *interface,
                       const char      *signal,
                       GVariant        *parameters,
                       gpointer         user_data)
{
  Fixture *fixture = user_data;
  g_autofree char *text = g_variant_print (parameters, FALSE);

  g_ptr_array_add (fixture->changes, g_strdup_printf ("%s %s", path, text));
}

static void
on_traffic (GDBusConnection *connection,
            const char      *sender,
            const char      *path,
            const char      *interface,
            const char      *signal,
            GVariant        *parameters,
            gpointer         user_data)
{
  Fixture *fixture = user_data;
  g_autofree char *text = g_variant_print (parameters, FALSE);

  if (g_str_has_prefix (signal, "Request") || g_str_has_prefix (signal, "Response"))
    g_ptr_array_add (fixture->traffic, g_strdup_printf ("%s %s", signal, text));
}

/* A real gnome-keyring-daemon on the private bus, in a throwaway HOME. */
static void
start_keyring (Fixture  *fixture,
               gboolean  unlock)
{
  fixture->keyring = cc_test_keyring_start (fixture->connection, unlock, &fixture->home);
}

/* Calls a method from @connection; returns the D-Bus error name (NULL
 * on success). */
static char *
call_on (GDBusConnection  *connection,
         const char       *path,
         const char       *interface,
         const char       *method,
         GVariant         *parameters,
         char            **message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (connection, NAME, path, interface, method,
                                                           parameters, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  char *name;

  if (error == NULL)
    return NULL;
  /* The name first: stripping removes it from the message. */
  name = g_dbus_error_get_remote_error (error);
  if (message != NULL)
    {
      g_dbus_error_strip_remote_error (error);
      *message = g_strdup (error->message);
    }
  return name;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  const Keyring *keyring = user_data;
  g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  const char *url;

  fixture->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fixture->bus);
  fixture->connection = cc_test_bus_connection (fixture->bus);
  fixture->changes = g_ptr_array_new_with_free_func (g_free);
  g_dbus_connection_signal_subscribe (fixture->connection, NAME, "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                      NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_properties_changed, fixture, NULL);
  fixture->traffic = g_ptr_array_new_with_free_func (g_free);
  g_dbus_connection_signal_subscribe (fixture->connection, NAME, MAIN_IFACE, NULL, PATH, NULL,
                                      G_DBUS_SIGNAL_FLAGS_NONE, on_traffic, fixture, NULL);

  if (keyring != NULL && *keyring != KEYRING_NONE && *keyring != KEYRING_NONE_COPILOT &&
      *keyring != KEYRING_NONE_RESCAN)
    start_keyring (fixture, *keyring != KEYRING_LOCKED);

  fixture->upstream = cc_test_upstream_new ();
  url = cc_test_upstream_get_url (fixture->upstream);
  g_ptr_array_add (env, g_strdup ("TEST_HEALTHY_URL"));
  g_ptr_array_add (env, g_strdup (url));
  g_ptr_array_add (env, g_strdup ("TEST_NOTHANDLED_KEY"));
  g_ptr_array_add (env, g_strdup (ENV_SECRET));
  if (keyring != NULL && (*keyring == KEYRING_UNLOCKED_COPILOT || *keyring == KEYRING_NONE_COPILOT))
    {
      const char * const more[] = {
        "CC_PROXY_PROVIDER_DIR", NULL, "CC_PROXY_GITHUB_URL", url, "CC_PROXY_GITHUB_API_URL", url,
        "CC_PROXY_COPILOT_BASE_URL", url,
      };

      for (guint i = 0; i < G_N_ELEMENTS (more); i++)
        g_ptr_array_add (env, i == 1 ? g_strjoin (G_SEARCHPATH_SEPARATOR_S, cc_test_module_dir (),
                                                  g_getenv ("CC_PROXY_TEST_COPILOT_DIR"), NULL)
                                     : g_strdup (more[i]));
    }
  if (keyring != NULL && *keyring == KEYRING_UNLOCKED_OPENAI)
    {
      g_ptr_array_add (env, g_strdup ("CC_PROXY_PROVIDER_DIR"));
      g_ptr_array_add (env, g_strjoin (G_SEARCHPATH_SEPARATOR_S, cc_test_module_dir (),
                                       g_getenv ("CC_PROXY_TEST_OPENAI_DIR"), NULL));
    }
  if (keyring != NULL && *keyring == KEYRING_NONE_RESCAN)
    {
      fixture->extra_modules = g_dir_make_tmp ("cc-proxy-modules-XXXXXX", NULL);
      g_ptr_array_add (env, g_strdup ("CC_PROXY_PROVIDER_DIR"));
      g_ptr_array_add (env, g_strjoin (G_SEARCHPATH_SEPARATOR_S, cc_test_module_dir (), fixture->extra_modules, NULL));
    }
  g_ptr_array_add (env, NULL);
  fixture->daemon = daemon_start ((const char * const *) env->pdata, url);
  wait_for_name (fixture);
  /* The traffic signals come to those who ask. */
  g_assert_null (call_on (fixture->connection, PATH, MAIN_IFACE, "WatchTraffic", NULL, NULL));
  fixture->client = soup_session_new ();
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  soup_session_abort (fixture->client);
  g_clear_object (&fixture->client);
  if (fixture->daemon != NULL)
    daemon_stop (fixture->daemon);
  g_clear_object (&fixture->upstream);
  g_ptr_array_unref (fixture->changes);
  g_ptr_array_unref (fixture->traffic);
  if (fixture->keyring != NULL)
    {
      cc_test_keyring_stop (g_steal_pointer (&fixture->keyring), fixture->home);
      g_clear_pointer (&fixture->home, g_free);
    }
  if (fixture->extra_modules != NULL)
    {
      cc_test_remove_tree (fixture->extra_modules);
      g_clear_pointer (&fixture->extra_modules, g_free);
    }
  g_dbus_connection_close_sync (fixture->connection, NULL, NULL);
  g_clear_object (&fixture->connection);
  g_test_dbus_down (fixture->bus);
  g_clear_object (&fixture->bus);
}

static GVariant *
get_property (Fixture    *fixture,
              const char *path,
              const char *interface,
              const char *property)
{
  return cc_test_get_property (fixture->connection, path, interface, property);
}

/* Calls a method on the main connection; returns the D-Bus error name
 * (NULL on success). */
static char *
call (Fixture     *fixture,
      const char  *path,
      const char  *interface,
      const char  *method,
      GVariant    *parameters,
      char       **message)
{
  return call_on (fixture->connection, path, interface, method, parameters, message);
}

static char *
set_active_provider (Fixture     *fixture,
                     const char  *id,
                     char       **message)
{
  return call (fixture, PATH, "org.freedesktop.DBus.Properties", "Set",
               g_variant_new ("(ssv)", MAIN_IFACE, "ActiveProvider", g_variant_new_string (id)), message);
}

static char *
echo_via_proxy (Fixture *fixture)
{
  g_autofree char *url = g_strconcat (fixture->daemon->url, "/healthy/echo", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) request = cc_test_load_fixture ("anthropic-request-minimal.json");
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  soup_message_set_request_body_from_bytes (message, "application/json", request);
  answer = cc_test_send (fixture->client, message, &error);
  g_assert_no_error (error);
  return g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
}

static void
test_main_object (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GVariant) version = get_property (fixture, PATH, MAIN_IFACE, "Version");
  g_autoptr(GVariant) address = get_property (fixture, PATH, MAIN_IFACE, "ListenAddress");
  g_autoptr(GVariant) providers = get_property (fixture, PATH, MAIN_IFACE, "Providers");
  g_autoptr(GVariant) errors = get_property (fixture, PATH, MAIN_IFACE, "PluginLoadErrors");
  g_autoptr(GVariant) active = get_property (fixture, PATH, MAIN_IFACE, "ActiveProvider");
  g_autofree char *providers_text = g_variant_print (providers, FALSE);
  const char *message = NULL;

  g_assert_cmpstr (g_variant_get_string (version, NULL), ==, PACKAGE_VERSION);
  g_assert_cmpstr (g_variant_get_string (address, NULL), ==, fixture->daemon->url);
  g_assert_cmpstr (providers_text, ==, "['anthropic', 'healthy', 'nothandled', 'failing', 'hanging']");
  g_assert_cmpuint (g_variant_n_children (errors), ==, 12);
  g_assert_true (g_variant_lookup (errors, "50-emptyid.so", "&s", &message));
  g_assert_true (g_str_has_prefix (message, "no descriptor file 50-emptyid.descriptor beside it"));
  g_assert_cmpstr (g_variant_get_string (active, NULL), ==, "anthropic");
  g_assert_null (call (fixture, PATH, MAIN_IFACE, "Reload", NULL, NULL));
}

static gboolean
has_change (gpointer user_data)
{
  Fixture *fixture = user_data;

  for (guint i = 0; i < fixture->changes->len; i++)
    if (strstr (g_ptr_array_index (fixture->changes, i), "'ActiveProvider': <'healthy'>") != NULL)
      return TRUE;
  return FALSE;
}

static void
test_switch_provider (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autofree char *before = echo_via_proxy (fixture);
  g_autofree char *after = NULL;
  g_autofree char *message = NULL;
  g_autofree char *error = NULL;
  g_autoptr(GVariant) active = NULL;

  /* anthropic forwards to the mock, which echoes the path. */
  g_assert_cmpstr (before, ==, "{\"path\": \"/healthy/echo\"}");

  g_assert_null (set_active_provider (fixture, "healthy", NULL));
  wait_until (fixture, has_change, "PropertiesChanged for ActiveProvider");
  after = echo_via_proxy (fixture);
  g_assert_true (g_str_has_prefix (after, "{\"provider\":\"healthy\""));

  error = set_active_provider (fixture, "nosuch", &message);
  g_assert_cmpstr (error, ==, "org.ccproxy.Proxy1.Error.UnknownProvider");
  g_assert_cmpstr (message, ==, "There is no provider “nosuch”; known providers: anthropic, healthy, nothandled, failing, hanging");
  active = get_property (fixture, PATH, MAIN_IFACE, "ActiveProvider");
  g_assert_cmpstr (g_variant_get_string (active, NULL), ==, "healthy");
}

static GVariant *
setting (GVariant   *descriptors,
         const char *key)
{
  for (gsize i = 0; i < g_variant_n_children (descriptors); i++)
    {
      GVariant *entry = g_variant_get_child_value (descriptors, i);
      const char *name = NULL;

      g_variant_lookup (entry, "key", "&s", &name);
      if (g_strcmp0 (name, key) == 0)
        return entry;
      g_variant_unref (entry);
    }
  return NULL;
}

static void
test_provider_settings (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(GVariant) descriptors = get_property (fixture, HEALTHY_PATH, PROVIDER_IFACE, "SettingDescriptors");
  g_autoptr(GVariant) mode = setting (descriptors, "mode");
  g_autoptr(GVariant) token = setting (descriptors, "token");
  g_autoptr(GVariant) values = NULL;
  g_autoptr(GVariant) id = get_property (fixture, HEALTHY_PATH, PROVIDER_IFACE, "Id");
  g_autoptr(GVariant) capable = get_property (fixture, HEALTHY_PATH, PROVIDER_IFACE, "AuthCapable");
  g_autofree char *mode_text = g_variant_print (mode, FALSE);
  g_autofree char *echo = NULL;
  static const struct { const char *key, *value, *error, *message; } bad[] = {
    { "mode", "gamma", "org.ccproxy.Proxy1.Error.InvalidValue", "“gamma” is not a valid value for mode: use one of alpha, beta" },
    { "flag", "maybe", "org.ccproxy.Proxy1.Error.InvalidValue", "“maybe” is not a valid value for flag: use true or false" },
    { "colour", "red", "org.ccproxy.Proxy1.Error.UnknownSetting", "Provider “healthy” has no setting “colour”" },
  };

  g_assert_cmpstr (g_variant_get_string (id, NULL), ==, "healthy");
  g_assert_true (g_variant_get_boolean (capable));
  g_assert_cmpstr (mode_text, ==, "{'key': <'mode'>, 'label': <'Mode'>, 'description': <'A choice.'>, 'kind': <'select'>, "
                                  "'default': <'alpha'>, 'options': <['alpha', 'beta']>, 'secret': <false>, 'env-vars': <@as []>, "
                                  "'type': <'s'>}");
  g_assert_nonnull (token);
  {
    gboolean secret = FALSE;
    const char **env_vars = NULL;

    g_assert_true (g_variant_lookup (token, "secret", "b", &secret));
    g_assert_true (secret);
    g_assert_true (g_variant_lookup (token, "env-vars", "^a&s", &env_vars));
    g_assert_cmpstr (env_vars[0], ==, "TEST_HEALTHY_TOKEN_PRIMARY");
    g_free (env_vars);
  }

  g_assert_null (set_active_provider (fixture, "healthy", NULL));
  g_assert_null (call (fixture, HEALTHY_PATH, PROVIDER_IFACE, "SetValue", g_variant_new ("(sv)", "mode", g_variant_new_string ("beta")), NULL));
  echo = echo_via_proxy (fixture);
  g_assert_nonnull (strstr (echo, "\"mode\":\"beta\""));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *message = NULL;
      g_autofree char *error = call (fixture, HEALTHY_PATH, PROVIDER_IFACE, "SetValue",
                                     g_variant_new ("(sv)", bad[i].key, g_variant_new_string (bad[i].value)), &message);

      g_assert_cmpstr (error, ==, bad[i].error);
      g_assert_cmpstr (message, ==, bad[i].message);
    }

  g_assert_null (call (fixture, HEALTHY_PATH, PROVIDER_IFACE, "ResetValue", g_variant_new ("(s)", "mode"), NULL));
  values = get_property (fixture, HEALTHY_PATH, PROVIDER_IFACE, "Values");
  {
    g_autoptr(GVariant) entry = g_variant_lookup_value (values, "mode", G_VARIANT_TYPE_VARDICT);
    g_autoptr(GVariant) url = g_variant_lookup_value (values, "base-url", G_VARIANT_TYPE_VARDICT);
    const char *value = NULL;
    gboolean from_env = FALSE;

    g_assert_true (g_variant_lookup (entry, "value", "&s", &value));
    g_assert_cmpstr (value, ==, "alpha");
    /* Started with TEST_HEALTHY_URL in its environment. */
    g_assert_true (g_variant_lookup (url, "from-environment", "b", &from_env));
    g_assert_true (from_env);
  }
}

static char *
relay_via_proxy (Fixture *fixture)
{
  g_autofree char *url = g_strconcat (fixture->daemon->url, "/healthy/relay", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = cc_test_send (fixture->client, message, &error);
  g_assert_no_error (error);
  return g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
}

static gboolean
token_is_set (gpointer user_data)
{
  Fixture *fixture = user_data;
  g_autoptr(GVariant) values = get_property (fixture, HEALTHY_PATH, PROVIDER_IFACE, "Values");
  g_autoptr(GVariant) token = g_variant_lookup_value (values, "token", G_VARIANT_TYPE_VARDICT);
  gboolean set = FALSE;

  g_variant_lookup (token, "set", "b", &set);
  return set;
}

static void
test_secret_never_returned (Fixture       *fixture,
                            gconstpointer  user_data)
{
  static const char secret[] = "sk-dbus-secret-987654321";
  g_autofree char *relayed = NULL;
  g_autofree char *bearer = g_strconcat ("Bearer ", secret, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) all = NULL;
  g_autoptr(GVariant) values = NULL;
  g_autoptr(GVariant) token = NULL;
  g_autofree char *all_text = NULL;
  gboolean set = FALSE;

  g_assert_null (call (fixture, HEALTHY_PATH, PROVIDER_IFACE, "SetValue", g_variant_new ("(sv)", "token", g_variant_new_string (secret)), NULL));

  all = g_dbus_connection_call_sync (fixture->connection, NAME, HEALTHY_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                                     g_variant_new ("(s)", PROVIDER_IFACE), NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  all_text = g_variant_print (all, FALSE);
  g_assert_null (strstr (all_text, secret));

  values = get_property (fixture, HEALTHY_PATH, PROVIDER_IFACE, "Values");
  token = g_variant_lookup_value (values, "token", G_VARIANT_TYPE_VARDICT);
  g_assert_false (g_variant_lookup (token, "value", "s", NULL));
  g_assert_true (g_variant_lookup (token, "set", "b", &set));
  g_assert_true (set);

  /* The provider uses it upstream... */
  g_assert_null (set_active_provider (fixture, "healthy", NULL));
  relayed = relay_via_proxy (fixture);
  g_assert_cmpstr (relayed, ==, "{\"upstream_status\": 200}");
  g_assert_cmpstr (soup_message_headers_get_one (cc_test_upstream_get_request (fixture->upstream, 0)->headers,
                                                 "Authorization"), ==, bearer);

  /* ...but it is in no change signal and no log line. */
  cc_test_drain (100);
  for (guint i = 0; i < fixture->changes->len; i++)
    g_assert_null (strstr (g_ptr_array_index (fixture->changes, i), secret));
  g_assert_null (strstr (fixture->daemon->err_text->str, secret));

  /* It was in the keyring, not only in memory: a new daemon finds it. */
  daemon_stop (fixture->daemon);
  {
    const char *env[] = { "TEST_HEALTHY_URL", cc_test_upstream_get_url (fixture->upstream), NULL };

    fixture->daemon = daemon_start (env, cc_test_upstream_get_url (fixture->upstream));
  }
  wait_for_name (fixture);
  wait_until (fixture, token_is_set, "the restarted daemon to find the token in the keyring");
}

static char *
setting_text (GVariant   *descriptors,
              const char *key,
              const char *field)
{
  g_autoptr(GVariant) entry = setting (descriptors, key);
  char *text = NULL;

  g_assert_nonnull (entry);
  g_assert_true (g_variant_lookup (entry, field, "s", &text));
  return text;
}

/* A hosted provider's name and labels come from its descriptor file,
 * in the user's language where the module merged translations in
 * (tests/modules/po: German for the healthy provider). */
static void
test_translated_labels (Fixture       *fixture,
                        gconstpointer  user_data)
{
  const char *env[] = { "TEST_HEALTHY_URL", cc_test_upstream_get_url (fixture->upstream), "LANGUAGE", "de", NULL };
  g_autoptr(GVariant) name = get_property (fixture, HEALTHY_PATH, PROVIDER_IFACE, "DisplayName");
  g_autoptr(GVariant) descriptors = NULL;
  g_autofree char *label = NULL;
  g_autofree char *description = NULL;
  g_autofree char *untranslated = NULL;

  g_assert_cmpstr (g_variant_get_string (name, NULL), ==, "Healthy");
  daemon_stop (fixture->daemon);
  fixture->daemon = daemon_start (env, cc_test_upstream_get_url (fixture->upstream));
  wait_for_name (fixture);

  g_clear_pointer (&name, g_variant_unref);
  name = get_property (fixture, HEALTHY_PATH, PROVIDER_IFACE, "DisplayName");
  g_assert_cmpstr (g_variant_get_string (name, NULL), ==, "Gesund");
  descriptors = get_property (fixture, HEALTHY_PATH, PROVIDER_IFACE, "SettingDescriptors");
  label = setting_text (descriptors, "base-url", "label");
  g_assert_cmpstr (label, ==, "Basis-URL");
  description = setting_text (descriptors, "base-url", "description");
  g_assert_cmpstr (description, ==, "Wohin Anfragen gehen.");
  /* No translation: the module's own words. */
  untranslated = setting_text (descriptors, "patience-seconds", "label");
  g_assert_cmpstr (untranslated, ==, "Patience");
}

/* Without a keyring (none, or locked), storing a secret fails with a
 * clear error, nothing changes, and the proxy keeps serving. */
static void
test_keyring_unavailable (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *message = NULL;
  g_autofree char *error = call (fixture, HEALTHY_PATH, PROVIDER_IFACE, "SetValue",
                                 g_variant_new ("(sv)", "token", g_variant_new_string ("sk-unstorable-12345")), &message);
  g_autofree char *echo = NULL;

  g_assert_cmpstr (error, ==, "org.ccproxy.Proxy1.Error.KeyringUnavailable");
  g_assert_true (g_str_has_prefix (message, "The keyring is not available, so token was not changed: "));
  g_assert_nonnull (strstr (message, "Start or unlock the keyring (gnome-keyring), or give the value in the service's environment"));
  g_assert_false (token_is_set (fixture));
  g_assert_null (strstr (message, "sk-unstorable-12345"));

  g_assert_null (call (fixture, HEALTHY_PATH, PROVIDER_IFACE, "SetValue", g_variant_new ("(sv)", "mode", g_variant_new_string ("beta")), NULL));
  g_assert_null (set_active_provider (fixture, "healthy", NULL));
  echo = echo_via_proxy (fixture);
  g_assert_nonnull (strstr (echo, "\"mode\":\"beta\""));
}

/* A request right after a change of settings is answered as the change
 * says, though the provider runs in a host process that learns of it
 * over its own connection. */
static void
test_settings_reach_next_request (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  g_assert_null (set_active_provider (fixture, "healthy", NULL));
  for (guint i = 0; i < 20; i++)
    {
      const char *mode = i % 2 == 0 ? "alpha" : "beta";
      g_autofree char *expected = g_strdup_printf ("\"mode\":\"%s\"", mode);
      g_autofree char *echo = NULL;

      g_assert_null (call (fixture, HEALTHY_PATH, PROVIDER_IFACE, "SetValue",
                           g_variant_new ("(sv)", "mode", g_variant_new_string (mode)), NULL));
      echo = echo_via_proxy (fixture);
      g_assert_nonnull (strstr (echo, expected));
    }
}

static void
test_counters (Fixture       *fixture,
               gconstpointer  user_data)
{
  g_autoptr(GVariant) total = NULL;
  g_autoptr(GVariant) active = NULL;

  for (guint i = 0; i < 3; i++)
    g_free (echo_via_proxy (fixture));
  total = get_property (fixture, PATH, MAIN_IFACE, "RequestsTotal");
  active = get_property (fixture, PATH, MAIN_IFACE, "RequestsActive");
  g_assert_cmpuint (g_variant_get_uint64 (total), ==, 3);
  g_assert_cmpuint (g_variant_get_uint32 (active), ==, 0);
}

static char *
run (const char * const *argv,
     int                 expected_status)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, expected_status);
  return out;
}

/* cc-proxyctl: each command, good and bad. */
static void
test_cc_proxyctl (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autofree char *listening = g_strdup_printf ("cc-proxyd %s listening on %s\n", PACKAGE_VERSION, fixture->daemon->url);

  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "status", NULL);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_true (g_str_has_prefix (r.out, listening));
    g_assert_nonnull (strstr (r.out, "Active provider: anthropic\n"));
    /* This connection's own requests come and go; the limit is the
     * descriptor limit's share. */
    g_assert_true (g_regex_match_simple ("^Client connections: [0-9]+ open, at most [1-9][0-9]* at once$", r.out,
                                         G_REGEX_MULTILINE, 0));
    g_assert_nonnull (strstr (r.out, "Capture: on, in "));
    g_assert_nonnull (strstr (r.out, "/cc-proxy/captures ("));
    g_assert_nonnull (strstr (r.out, "Plugins not loaded:\n  50-emptyid.so: no descriptor file 50-emptyid.descriptor "));
  }
  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "providers", NULL);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "* anthropic        Anthropic\n"
                                "  healthy          Healthy\n"
                                "  nothandled       Not handled\n"
                                "  failing          Failing\n"
                                "  hanging          Hanging\n");
  }
  {
    g_auto(CcTestRan) use = cc_test_ctl (NULL, "use", "healthy", NULL);
    g_auto(CcTestRan) set = cc_test_ctl (NULL, "set", "healthy", "mode", "beta", NULL);
    g_auto(CcTestRan) get = cc_test_ctl (NULL, "get", "healthy", "mode", NULL);
    g_auto(CcTestRan) all = cc_test_ctl (NULL, "get", "healthy", NULL);
    g_autofree char *echo = echo_via_proxy (fixture);
    g_autofree char *expected = g_strdup_printf ("base-url             %s  [from the environment]\n"
                                                 "patience-seconds     30\n"
                                                 "flag                 false\n"
                                                 "mode                 beta\n"
                                                 "token                (secret, not set)\n",
                                                 cc_test_upstream_get_url (fixture->upstream));

    g_assert_cmpint (use.status, ==, 0);
    g_assert_cmpint (set.status, ==, 0);
    g_assert_cmpstr (get.out, ==, "beta\n");
    g_assert_cmpstr (all.out, ==, expected);
    g_assert_nonnull (strstr (echo, "\"mode\":\"beta\""));
  }
  {
    /* -v: what each setting means, its values and its variables. */
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "get", "-v", "healthy", "mode", NULL);
    g_auto(CcTestRan) token = cc_test_ctl (NULL, "get", "-v", "healthy", "token", NULL);

    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "mode                 beta\n"
                                "    A choice.\n"
                                "    one of: alpha, beta\n"
                                "    default: alpha\n");
    g_assert_cmpstr (token.out, ==, "token                (secret, not set)\n"
                                    "    A secret.\n"
                                    "    environment: TEST_HEALTHY_TOKEN_PRIMARY, TEST_HEALTHY_TOKEN\n");
  }
  {
    /* COMMAND --help: that command's lines only, and nothing is run. */
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "set", "--help", NULL);

    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "set PROVIDER KEY [VALUE]    store a setting; a secret is read from standard\n"
                                "                            input (or asked for), never from the command line\n");
  }
  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "set", "healthy", "mode", "gamma", NULL);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_cmpstr (r.err, ==, "cc-proxyctl: “gamma” is not a valid value for mode: use one of alpha, beta\n");
  }
  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "use", "nosuch", NULL);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_cmpstr (r.err, ==, "cc-proxyctl: There is no provider “nosuch”; known providers: "
                                "anthropic, healthy, nothandled, failing, hanging\n");
  }
  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "get", "nosuch", NULL);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_true (g_str_has_prefix (r.err, "cc-proxyctl: There is no provider “nosuch”"));
  }
  {
    /* A secret on the command line is refused, and nothing is stored. */
    g_auto(CcTestRan) argv_secret = cc_test_ctl (NULL, "set", "healthy", "token", "sk-on-argv-123456", NULL);
    g_auto(CcTestRan) stdin_secret = cc_test_ctl ("sk-on-stdin-123456\n", "set", "healthy", "token", NULL);
    g_auto(CcTestRan) get = cc_test_ctl (NULL, "get", "healthy", "token", NULL);

    g_assert_cmpint (argv_secret.status, ==, 2);
    g_assert_true (g_str_has_prefix (argv_secret.err, "cc-proxyctl: token is a secret: give it on standard input"));
    g_assert_cmpint (stdin_secret.status, ==, 0);
    g_assert_cmpstr (get.out, ==, "(secret, set)\n");
  }
  {
    g_auto(CcTestRan) reset = cc_test_ctl (NULL, "reset", "healthy", "mode", NULL);
    g_auto(CcTestRan) get = cc_test_ctl (NULL, "get", "healthy", "mode", NULL);
    g_auto(CcTestRan) reload = cc_test_ctl (NULL, "reload", NULL);

    g_assert_cmpint (reset.status, ==, 0);
    g_assert_cmpstr (get.out, ==, "alpha\n");
    g_assert_cmpint (reload.status, ==, 0);
  }
  {
    g_auto(CcTestRan) none = cc_test_ctl (NULL, NULL);
    g_auto(CcTestRan) unknown = cc_test_ctl (NULL, "frobnicate", NULL);
    g_auto(CcTestRan) arity = cc_test_ctl (NULL, "use", NULL);

    g_assert_cmpint (none.status, ==, 2);
    g_assert_true (g_str_has_prefix (none.err, "Usage: cc-proxyctl COMMAND"));
    g_assert_cmpint (unknown.status, ==, 2);
    g_assert_true (g_str_has_prefix (unknown.err, "cc-proxyctl: unknown command “frobnicate”\n"));
    g_assert_cmpint (arity.status, ==, 2);
    g_assert_true (g_str_has_prefix (arity.err, "cc-proxyctl: wrong number of arguments for “use”\n"));
  }
}

typedef struct
{
  Fixture *fixture;
  char    *path;
  char    *prompt;     /* "url code" from PromptReady */
  char    *state;      /* from Completed */
  char    *message;
  guint    changes;    /* PropertiesChanged received */
} Flow;

static void
on_flow_signal (GDBusConnection *connection,
                const char      *sender,
                const char      *path,
                const char      *interface,
                const char      *signal,
                GVariant        *parameters,
                gpointer         user_data)
{
  Flow *flow = user_data;
  const char *a, *b, *c;

  if (g_strcmp0 (path, flow->path) != 0)
    return;
  if (g_str_equal (signal, "PropertiesChanged"))
    flow->changes++;
  else if (g_str_equal (signal, "PromptReady"))
    {
      g_variant_get (parameters, "(&s&s&s)", &a, &b, &c);
      flow->prompt = g_strdup_printf ("%s %s", a, b);
    }
  else if (g_str_equal (signal, "Completed"))
    {
      g_variant_get (parameters, "(&s&s)", &a, &b);
      flow->state = g_strdup (a);
      flow->message = g_strdup (b);
    }
}

static gboolean
flow_completed (gpointer user_data)
{
  return ((Flow *) user_data)->state != NULL;
}

static void
flow_clear (Flow *flow)
{
  g_free (flow->path);
  g_free (flow->prompt);
  g_free (flow->state);
  g_free (flow->message);
}

/* Starts a login and (unless @cancel) waits for its end. */
static void
authenticate (Fixture  *fixture,
              gboolean  force,
              gboolean  cancel,
              Flow     *flow)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  guint subscription;

  memset (flow, 0, sizeof *flow);
  flow->fixture = fixture;
  /* No sender filter: GDBus resolves a well-known sender name first and
   * would drop what comes before; the path is matched instead. */
  subscription = g_dbus_connection_signal_subscribe (fixture->connection, NULL, "org.ccproxy.Proxy1.AuthFlow", NULL, NULL,
                                                     NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_flow_signal, flow, NULL);
  reply = g_dbus_connection_call_sync (fixture->connection, NAME, HEALTHY_PATH, PROVIDER_IFACE, "Authenticate",
                                       g_variant_new ("(b)", force), G_VARIANT_TYPE ("(o)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(o)", &flow->path);
  if (cancel)
    g_assert_null (call (fixture, flow->path, "org.ccproxy.Proxy1.AuthFlow", "Cancel", NULL, NULL));
  cc_test_wait_for (flow_completed, flow);
  g_dbus_connection_signal_unsubscribe (fixture->connection, subscription);
}

static void
test_auth_flow (Fixture       *fixture,
                gconstpointer  user_data)
{
  Flow flow;
  g_autofree char *message = NULL;
  g_autofree char *error = NULL;
  g_autoptr(GVariant) active = NULL;
  g_autoptr(GVariant) state = NULL;

  g_assert_false (token_is_set (fixture));

  /* First login: prompt, success, the token stored, the provider active. */
  authenticate (fixture, FALSE, FALSE, &flow);
  g_assert_cmpstr (flow.prompt, ==, "https://login.example.test/device WDJB-MJHT");
  g_assert_cmpstr (flow.state, ==, "succeeded");
  g_assert_cmpstr (flow.message, ==, "Signed in to Healthy");
  state = get_property (fixture, flow.path, "org.ccproxy.Proxy1.AuthFlow", "State");
  g_assert_cmpstr (g_variant_get_string (state, NULL), ==, "succeeded");
  active = get_property (fixture, PATH, MAIN_IFACE, "ActiveProvider");
  g_assert_cmpstr (g_variant_get_string (active, NULL), ==, "healthy");
  g_assert_true (token_is_set (fixture));
  flow_clear (&flow);

  /* Signed in already: without force it refuses, saying how to force. */
  authenticate (fixture, FALSE, FALSE, &flow);
  g_assert_null (flow.prompt);
  g_assert_cmpstr (flow.state, ==, "failed");
  g_assert_cmpstr (flow.message, ==, "already signed in: authenticate with force to sign in again");
  flow_clear (&flow);

  /* Cancelled while waiting. */
  authenticate (fixture, TRUE, TRUE, &flow);
  g_assert_cmpstr (flow.state, ==, "cancelled");
  g_assert_cmpstr (flow.message, ==, "The login was cancelled");
  flow_clear (&flow);

  /* The person says no. */
  g_assert_null (call (fixture, HEALTHY_PATH, PROVIDER_IFACE, "SetValue", g_variant_new ("(sv)", "flag", g_variant_new_string ("true")), NULL));
  authenticate (fixture, TRUE, FALSE, &flow);
  g_assert_cmpstr (flow.state, ==, "failed");
  g_assert_cmpstr (flow.message, ==, "the person denied access");
  flow_clear (&flow);

  /* A provider without a login. */
  error = call (fixture, PATH "/providers/nothandled", PROVIDER_IFACE, "Authenticate", g_variant_new ("(b)", FALSE), &message);
  g_assert_cmpstr (error, ==, "org.ccproxy.Proxy1.Error.Failed");
  g_assert_cmpstr (message, ==, "The nothandled provider has no login");
  g_clear_pointer (&error, g_free);
  g_clear_pointer (&message, g_free);

  /* Signing out forgets the token, in the keyring too. */
  {
    g_auto(CcTestRan) out = cc_test_ctl (NULL, "auth", "healthy", "--sign-out", NULL);

    g_assert_cmpint (out.status, ==, 0);
    g_assert_cmpstr (out.out, ==, "Signed out of healthy.\n");
  }
  g_assert_false (token_is_set (fixture));
  /* A secret from cc-proxyd's environment is not ours to forget. */
  error = call (fixture, PATH "/providers/nothandled", PROVIDER_IFACE, "SignOut", NULL, &message);
  g_assert_cmpstr (error, ==, "org.ccproxy.Proxy1.Error.InvalidValue");
  g_assert_cmpstr (message, ==, "nothandled is still signed in: key comes from cc-proxyd's environment "
                                "(TEST_NOTHANDLED_KEY); start cc-proxyd without it");
}

static gboolean
flow_is_waiting (gpointer user_data)
{
  Flow *flow = user_data;

  return flow->prompt != NULL;
}

static GVariant *
managed_objects (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (fixture->connection, NAME, PATH,
                                                           "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                                           NULL, G_VARIANT_TYPE ("(a{oa{sa{sv}}})"),
                                                           G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);

  g_assert_no_error (error);
  return g_variant_get_child_value (reply, 0);
}

typedef struct
{
  Fixture    *fixture;
  const char *path;
} FlowWatch;

static gboolean
flow_is_gone (gpointer user_data)
{
  FlowWatch *watch = user_data;
  g_autoptr(GVariant) objects = managed_objects (watch->fixture);
  g_autoptr(GVariant) entry = g_variant_lookup_value (objects, watch->path, NULL);

  return entry == NULL;
}

static GDBusConnection *
second_connection (Fixture *fixture)
{
  return cc_test_bus_connection (fixture->bus);
}

static char *
value_of (Fixture    *fixture,
          const char *key)
{
  g_autoptr(GVariant) values = get_property (fixture, HEALTHY_PATH, PROVIDER_IFACE, "Values");
  g_autoptr(GVariant) entry = g_variant_lookup_value (values, key, G_VARIANT_TYPE_VARDICT);
  g_autoptr(GVariant) value = NULL;

  g_assert_nonnull (entry);
  value = g_variant_lookup_value (entry, "value", NULL);
  g_assert_nonnull (value);
  return g_variant_print (value, FALSE);
}

/* Typed settings on the bus: what SettingDescriptors says of an integer
 * and a URL, values set in their own type or as text, and every bad one
 * refused with what is allowed, changing nothing. */
static void
test_typed_settings (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GVariant) descriptors = get_property (fixture, HEALTHY_PATH, PROVIDER_IFACE, "SettingDescriptors");
  g_autoptr(GVariant) patience = setting (descriptors, "patience-seconds");
  g_autoptr(GVariant) url = setting (descriptors, "base-url");
  g_autofree char *patience_text = g_variant_print (patience, FALSE);
  g_autofree char *url_kind = NULL;
  g_autofree char *url_type = NULL;
  const struct { const char *key; GVariant *value; const char *message; } bad[] = {
    { "patience-seconds", g_variant_new_int32 (601),
      "“601” is not a valid value for patience-seconds: use a whole number from 0 to 600 (seconds)" },
    { "patience-seconds", g_variant_new_string ("-5"),
      "“-5” is not a valid value for patience-seconds: use a whole number from 0 to 600 (seconds)" },
    { "patience-seconds", g_variant_new_string ("soon"),
      "“soon” is not a valid value for patience-seconds: use a whole number from 0 to 600 (seconds)" },
    { "patience-seconds", g_variant_new_boolean (TRUE),
      "patience-seconds takes a value of type i (or its text), not b" },
    { "flag", g_variant_new_int32 (1), "flag takes a value of type b (or its text), not i" },
    { "base-url", g_variant_new_string ("not-a-url"),
      "“not-a-url” is not a valid value for base-url: use an http:// or https:// address" },
    { "base-url", g_variant_new_string ("file:///etc/passwd"),
      "“file:///etc/passwd” is not a valid value for base-url: use an http:// or https:// address" },
  };
  g_autofree char *before_patience = NULL;
  g_autofree char *before_url = NULL;
  g_autofree char *after = NULL;

  g_assert_cmpstr (patience_text, ==,
                   "{'key': <'patience-seconds'>, 'label': <'Patience'>, 'description': <'A number with a range.'>, "
                   "'kind': <'integer'>, 'default': <'30'>, 'options': <@as []>, 'secret': <false>, "
                   "'env-vars': <@as []>, 'type': <'i'>, 'minimum': <0>, 'maximum': <600>, 'unit': <'seconds'>}");
  g_assert_true (g_variant_lookup (url, "kind", "s", &url_kind));
  g_assert_cmpstr (url_kind, ==, "url");
  g_assert_true (g_variant_lookup (url, "type", "s", &url_type));
  g_assert_cmpstr (url_type, ==, "s");

  /* In its own type, or as text. */
  g_assert_null (call (fixture, HEALTHY_PATH, PROVIDER_IFACE, "SetValue",
                       g_variant_new ("(sv)", "patience-seconds", g_variant_new_int32 (45)), NULL));
  /* Read back in its own type too. */
  after = value_of (fixture, "patience-seconds");
  g_assert_cmpstr (after, ==, "45");
  g_clear_pointer (&after, g_free);
  g_assert_null (call (fixture, HEALTHY_PATH, PROVIDER_IFACE, "SetValue",
                       g_variant_new ("(sv)", "patience-seconds", g_variant_new_string (" 600 ")), NULL));
  after = value_of (fixture, "patience-seconds");
  g_assert_cmpstr (after, ==, "600");
  g_clear_pointer (&after, g_free);
  g_assert_null (call (fixture, HEALTHY_PATH, PROVIDER_IFACE, "SetValue",
                       g_variant_new ("(sv)", "flag", g_variant_new_boolean (TRUE)), NULL));
  g_assert_null (call (fixture, HEALTHY_PATH, PROVIDER_IFACE, "SetValue",
                       g_variant_new ("(sv)", "base-url", g_variant_new_string ("http://127.0.0.1:9/")), NULL));

  before_patience = value_of (fixture, "patience-seconds");
  before_url = value_of (fixture, "base-url");
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *message = NULL;
      g_autofree char *error = call (fixture, HEALTHY_PATH, PROVIDER_IFACE, "SetValue",
                                     g_variant_new ("(sv)", bad[i].key, bad[i].value), &message);

      g_assert_cmpstr (error, ==, "org.ccproxy.Proxy1.Error.InvalidValue");
      g_assert_cmpstr (message, ==, bad[i].message);
    }
  after = value_of (fixture, "patience-seconds");
  g_assert_cmpstr (after, ==, before_patience);
  g_clear_pointer (&after, g_free);
  after = value_of (fixture, "base-url");
  g_assert_cmpstr (after, ==, before_url);

  /* cc-proxyctl: the same refusal, and the range where people look. */
  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "set", "healthy", "patience-seconds", "601", NULL);

    g_assert_cmpint (r.status, ==, 1);
    g_assert_cmpstr (r.err, ==, "cc-proxyctl: “601” is not a valid value for patience-seconds: "
                                "use a whole number from 0 to 600 (seconds)\n");
  }
  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "set", "healthy", "base-url", "file:///etc/passwd", NULL);

    g_assert_cmpint (r.status, ==, 1);
    g_assert_cmpstr (r.err, ==, "cc-proxyctl: “file:///etc/passwd” is not a valid value for base-url: "
                                "use an http:// or https:// address\n");
  }
  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "get", "-v", "healthy", "patience-seconds", NULL);

    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "patience-seconds     600\n"
                                "    A number with a range.\n"
                                "    from 0 to 600 seconds\n"
                                "    default: 30\n");
  }
}

/* Starts, from @connection, a login that waits until it is cancelled
 * (the healthy provider in mode "beta"); returns its path. */
static char *
start_waiting_flow (Fixture         *fixture,
                    GDBusConnection *connection)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  char *path = NULL;

  g_assert_null (call (fixture, HEALTHY_PATH, PROVIDER_IFACE, "SetValue", g_variant_new ("(sv)", "mode", g_variant_new_string ("beta")), NULL));
  reply = g_dbus_connection_call_sync (connection, NAME, HEALTHY_PATH, PROVIDER_IFACE, "Authenticate",
                                       g_variant_new ("(b)", TRUE), G_VARIANT_TYPE ("(o)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(o)", &path);
  return path;
}

/* A login belongs to its caller, as a portal request does: another
 * client can neither see what it shows nor cancel it. */
static void
test_auth_flow_owned (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GDBusConnection) other = second_connection (fixture);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GVariant) code = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *remote = NULL;
  Flow mine = { fixture, };
  Flow theirs = { fixture, };
  guint own_subscription, other_subscription, own_changes, other_changes;

  own_subscription = g_dbus_connection_signal_subscribe (fixture->connection, NULL, "org.ccproxy.Proxy1.AuthFlow",
                                                         NULL, NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                         on_flow_signal, &mine, NULL);
  other_subscription = g_dbus_connection_signal_subscribe (other, NULL, "org.ccproxy.Proxy1.AuthFlow",
                                                           NULL, NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                           on_flow_signal, &theirs, NULL);
  own_changes = g_dbus_connection_signal_subscribe (fixture->connection, NULL, "org.freedesktop.DBus.Properties",
                                                     "PropertiesChanged", NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                     on_flow_signal, &mine, NULL);
  other_changes = g_dbus_connection_signal_subscribe (other, NULL, "org.freedesktop.DBus.Properties",
                                                       "PropertiesChanged", NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                       on_flow_signal, &theirs, NULL);
  mine.path = start_waiting_flow (fixture, fixture->connection);
  theirs.path = g_strdup (mine.path);
  cc_test_wait_for (flow_is_waiting, &mine);

  /* The code, read: its caller's, and nobody else's. */
  code = get_property (fixture, mine.path, "org.ccproxy.Proxy1.AuthFlow", "UserCode");
  g_assert_cmpstr (g_variant_get_string (code, NULL), ==, "WDJB-MJHT");
  g_clear_pointer (&code, g_variant_unref);
  code = cc_test_get_property (other, mine.path, "org.ccproxy.Proxy1.AuthFlow", "UserCode");
  g_assert_cmpstr (g_variant_get_string (code, NULL), ==, "");

  /* Another client's Cancel is refused, and changes nothing. */
  reply = g_dbus_connection_call_sync (other, NAME, mine.path, "org.ccproxy.Proxy1.AuthFlow", "Cancel", NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_null (reply);
  remote = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (remote, ==, "org.freedesktop.DBus.Error.AccessDenied");
  g_dbus_error_strip_remote_error (error);
  g_assert_cmpstr (error->message, ==, "Only the caller that started this login may cancel it");
  g_clear_error (&error);
  state = get_property (fixture, mine.path, "org.ccproxy.Proxy1.AuthFlow", "State");
  g_assert_cmpstr (g_variant_get_string (state, NULL), ==, "waiting");

  /* Its caller's Cancel ends it. */
  g_assert_null (call (fixture, mine.path, "org.ccproxy.Proxy1.AuthFlow", "Cancel", NULL, NULL));
  cc_test_wait_for (flow_completed, &mine);
  g_assert_cmpstr (mine.state, ==, "cancelled");

  /* The code and the end went to the caller only. A round trip on the
   * other connection first, so that anything sent to it has arrived. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = g_dbus_connection_call_sync (other, NAME, PATH, "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_main_context_iteration (NULL, FALSE);
  g_assert_cmpstr (mine.prompt, ==, "https://login.example.test/device WDJB-MJHT");
  g_assert_null (theirs.prompt);
  g_assert_null (theirs.state);
  /* So did its changes: "waiting" with the code, then "cancelled". */
  g_assert_cmpuint (mine.changes, >=, 2);
  g_assert_cmpuint (theirs.changes, ==, 0);

  g_dbus_connection_signal_unsubscribe (fixture->connection, own_subscription);
  g_dbus_connection_signal_unsubscribe (other, other_subscription);
  g_dbus_connection_signal_unsubscribe (fixture->connection, own_changes);
  g_dbus_connection_signal_unsubscribe (other, other_changes);
  flow_clear (&mine);
  flow_clear (&theirs);
}

/* A login whose caller leaves is cancelled, and its object goes: nobody
 * is there to finish it or read how it ended. */
static void
test_auth_flow_caller_leaves (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autoptr(GDBusConnection) other = second_connection (fixture);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = start_waiting_flow (fixture, other);
  FlowWatch watch = { fixture, };

  watch.path = path;
  g_assert_false (flow_is_gone (&watch));
  g_dbus_connection_close_sync (other, NULL, &error);
  g_assert_no_error (error);
  cc_test_wait_for (flow_is_gone, &watch);
}

static void
assert_documented (GDBusAnnotationInfo **annotations,
                   const char           *what,
                   const char           *name)
{
  const char *doc = g_dbus_annotation_info_lookup (annotations, "org.gtk.GDBus.DocString");

  if (doc == NULL || doc[0] == '\0')
    g_error ("%s %s has no org.gtk.GDBus.DocString in live introspection", what, name);
}

static void
assert_args_documented (GDBusArgInfo **args,
                        const char    *member)
{
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    assert_documented (args[i]->annotations, member, args[i]->name);
}

/* Returns how many of cc-proxyd's interfaces @path has. */
static guint
assert_object_documented (Fixture    *fixture,
                          const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (fixture->connection, NAME, path,
                                                           "org.freedesktop.DBus.Introspectable", "Introspect",
                                                           NULL, G_VARIANT_TYPE ("(s)"), G_DBUS_CALL_FLAGS_NONE,
                                                           -1, NULL, &error);
  g_autoptr(GDBusNodeInfo) node = NULL;
  const char *xml;
  guint ours = 0;

  g_assert_no_error (error);
  g_variant_get (reply, "(&s)", &xml);
  node = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);
  for (guint i = 0; node->interfaces[i] != NULL; i++)
    {
      GDBusInterfaceInfo *iface = node->interfaces[i];

      if (!g_str_has_prefix (iface->name, "org.ccproxy."))
        continue;
      ours++;
      assert_documented (iface->annotations, "interface", iface->name);
      for (guint j = 0; iface->methods != NULL && iface->methods[j] != NULL; j++)
        {
          assert_documented (iface->methods[j]->annotations, "method", iface->methods[j]->name);
          assert_args_documented (iface->methods[j]->in_args, iface->methods[j]->name);
          assert_args_documented (iface->methods[j]->out_args, iface->methods[j]->name);
        }
      for (guint j = 0; iface->signals != NULL && iface->signals[j] != NULL; j++)
        {
          assert_documented (iface->signals[j]->annotations, "signal", iface->signals[j]->name);
          assert_args_documented (iface->signals[j]->args, iface->signals[j]->name);
        }
      for (guint j = 0; iface->properties != NULL && iface->properties[j] != NULL; j++)
        assert_documented (iface->properties[j]->annotations, "property", iface->properties[j]->name);
    }
  return ours;
}

typedef struct
{
  GPtrArray *added;    /* object paths, in order */
  GPtrArray *removed;
} ManagerSignals;

static void
on_manager_signal (GDBusConnection *connection,
                   const char      *sender,
                   const char      *path,
                   const char      *interface,
                   const char      *signal,
                   GVariant        *parameters,
                   gpointer         user_data)
{
  ManagerSignals *seen = user_data;
  const char *object = NULL;

  g_variant_get_child (parameters, 0, "&o", &object);
  g_ptr_array_add (g_str_equal (signal, "InterfacesAdded") ? seen->added : seen->removed, g_strdup (object));
}

static gboolean
removed_one (gpointer user_data)
{
  return ((ManagerSignals *) user_data)->removed->len > 0;
}

static gboolean
added_one (gpointer user_data)
{
  return ((ManagerSignals *) user_data)->added->len > 0;
}

/* The providers and the logins in progress are objects of an
 * org.freedesktop.DBus.ObjectManager: listed with their properties, and
 * announced as they come and go. */
static void
test_object_manager (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GDBusConnection) other = second_connection (fixture);
  g_autoptr(GVariant) objects = managed_objects (fixture);
  g_autoptr(GVariant) healthy = g_variant_lookup_value (objects, HEALTHY_PATH, NULL);
  g_autoptr(GVariant) provider = NULL;
  g_autoptr(GVariant) flow = NULL;
  g_autoptr(GVariant) flow_props = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *state = NULL;
  g_autofree char *code = NULL;
  ManagerSignals seen = { g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free) };
  guint added, removed;
  Flow waiting = { fixture, };

  /* Every provider, each with its interface and properties. */
  g_assert_nonnull (healthy);
  provider = g_variant_lookup_value (healthy, PROVIDER_IFACE, NULL);
  g_assert_nonnull (provider);
  g_assert_true (g_variant_lookup (provider, "Id", "s", &id));
  g_assert_cmpstr (id, ==, "healthy");
  for (guint i = 0; i < 5; i++)
    {
      static const char * const ids[] = { "anthropic", "healthy", "nothandled", "failing", "hanging" };
      g_autofree char *object_path = g_strconcat (PATH "/providers/", ids[i], NULL);
      g_autoptr(GVariant) entry = g_variant_lookup_value (objects, object_path, NULL);

      g_assert_nonnull (entry);
    }
  g_assert_cmpuint (g_variant_n_children (objects), ==, 5);

  added = g_dbus_connection_signal_subscribe (fixture->connection, NULL, "org.freedesktop.DBus.ObjectManager",
                                              "InterfacesAdded", PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                              on_manager_signal, &seen, NULL);
  removed = g_dbus_connection_signal_subscribe (fixture->connection, NULL, "org.freedesktop.DBus.ObjectManager",
                                                "InterfacesRemoved", PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                on_manager_signal, &seen, NULL);

  /* A login from another client comes... */
  g_dbus_connection_signal_subscribe (other, NULL, "org.ccproxy.Proxy1.AuthFlow", NULL, NULL, NULL,
                                      G_DBUS_SIGNAL_FLAGS_NONE, on_flow_signal, &waiting, NULL);
  path = start_waiting_flow (fixture, other);
  waiting.path = g_strdup (path);
  cc_test_wait_for (added_one, &seen);
  g_assert_cmpstr (g_ptr_array_index (seen.added, 0), ==, path);
  cc_test_wait_for (flow_is_waiting, &waiting);

  g_clear_pointer (&objects, g_variant_unref);
  objects = managed_objects (fixture);
  flow = g_variant_lookup_value (objects, path, NULL);
  g_assert_nonnull (flow);
  flow_props = g_variant_lookup_value (flow, "org.ccproxy.Proxy1.AuthFlow", NULL);
  g_assert_true (g_variant_lookup (flow_props, "State", "s", &state));
  g_assert_cmpstr (state, ==, "waiting");
  /* ...listed, but what its caller must type is its caller's alone. */
  g_assert_true (g_variant_lookup (flow_props, "UserCode", "s", &code));
  g_assert_cmpstr (code, ==, "");

  /* ...and goes when its caller does. */
  g_dbus_connection_close_sync (other, NULL, &error);
  g_assert_no_error (error);
  cc_test_wait_for (removed_one, &seen);
  g_assert_cmpstr (g_ptr_array_index (seen.removed, 0), ==, path);
  g_clear_pointer (&objects, g_variant_unref);
  objects = managed_objects (fixture);
  g_assert_cmpuint (g_variant_n_children (objects), ==, 5);

  g_dbus_connection_signal_unsubscribe (fixture->connection, added);
  g_dbus_connection_signal_unsubscribe (fixture->connection, removed);
  g_ptr_array_unref (seen.added);
  g_ptr_array_unref (seen.removed);
  flow_clear (&waiting);
}

static gboolean
cached_patience_is (gpointer user_data)
{
  CcProxyDBusProxy1Provider *healthy = user_data;
  GVariant *values = cc_proxy_dbus_proxy1_provider_get_values (healthy);
  g_autoptr(GVariant) entry = values ? g_variant_lookup_value (values, "patience-seconds", G_VARIANT_TYPE_VARDICT) : NULL;
  gint32 patience = 0;

  return entry != NULL && g_variant_lookup (entry, "value", "i", &patience) && patience == 90;
}

static void
on_object_added (GDBusObjectManager *manager,
                 GDBusObject        *object,
                 gpointer            user_data)
{
  GDBusObject **added = user_data;

  if (*added == NULL)
    *added = g_object_ref (object);
}

static gboolean
object_was_added (gpointer user_data)
{
  return *(GDBusObject **) user_data != NULL;
}

static gboolean
cached_state_is_waiting (gpointer user_data)
{
  return g_strcmp0 (cc_proxy_dbus_proxy1_auth_flow_get_state (user_data), "waiting") == 0;
}

/* A client generated by gdbus-codegen from the installed interface
 * description, with its object manager client, works as it should:
 * typed properties kept current, typed calls and errors, login flows
 * appearing as objects with their own proxies. */
static void
test_generated_client (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusObjectManager) manager =
    cc_proxy_dbus_object_manager_client_new_sync (fixture->connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
                                                  NAME, PATH, NULL, &error);
  g_autoptr(CcProxyDBusProxy1) main_proxy =
    cc_proxy_dbus_proxy1_proxy_new_sync (fixture->connection, G_DBUS_PROXY_FLAGS_NONE, NAME, PATH, NULL, &error);
  g_autoptr(GDBusObject) object = NULL;
  g_autoptr(GDBusObject) added = NULL;
  g_autoptr(CcProxyDBusProxy1Provider) healthy = NULL;
  g_autoptr(CcProxyDBusProxy1AuthFlow) flow = NULL;
  g_autofree char *remote = NULL;
  g_autofree char *handle = NULL;
  GList *objects;
  gulong added_id;

  g_assert_no_error (error);
  g_assert_cmpstr (cc_proxy_dbus_proxy1_get_version (main_proxy), ==, PACKAGE_VERSION);
  objects = g_dbus_object_manager_get_objects (manager);
  g_assert_cmpuint (g_list_length (objects), ==, 5);
  g_list_free_full (objects, g_object_unref);

  object = g_dbus_object_manager_get_object (manager, HEALTHY_PATH);
  g_assert_nonnull (object);
  healthy = cc_proxy_dbus_object_get_proxy1_provider (CC_PROXY_DBUS_OBJECT (object));
  g_assert_cmpstr (cc_proxy_dbus_proxy1_provider_get_display_name (healthy), ==, "Healthy");
  g_assert_true (cc_proxy_dbus_proxy1_provider_get_auth_capable (healthy));

  /* A typed call, and the cached property following it. */
  g_assert_true (cc_proxy_dbus_proxy1_provider_call_set_value_sync (healthy, "patience-seconds",
                                                                    g_variant_new_variant (g_variant_new_int32 (90)),
                                                                    NULL, &error));
  g_assert_no_error (error);
  cc_test_wait_for (cached_patience_is, healthy);

  /* The service's error, by name. */
  g_assert_false (cc_proxy_dbus_proxy1_provider_call_set_value_sync (healthy, "patience-seconds",
                                                                     g_variant_new_variant (g_variant_new_int32 (9999)),
                                                                     NULL, &error));
  remote = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (remote, ==, "org.ccproxy.Proxy1.Error.InvalidValue");
  g_clear_error (&error);

  /* A login of ours: an object with its own proxy, which we may cancel. */
  g_assert_true (cc_proxy_dbus_proxy1_provider_call_set_value_sync (healthy, "mode",
                                                                    g_variant_new_variant (g_variant_new_string ("beta")),
                                                                    NULL, &error));
  added_id = g_signal_connect (manager, "object-added", G_CALLBACK (on_object_added), &added);
  g_assert_true (cc_proxy_dbus_proxy1_provider_call_authenticate_sync (healthy, TRUE, &handle, NULL, &error));
  g_assert_no_error (error);
  cc_test_wait_for (object_was_added, &added);
  g_assert_cmpstr (g_dbus_object_get_object_path (added), ==, handle);
  flow = cc_proxy_dbus_object_get_proxy1_auth_flow (CC_PROXY_DBUS_OBJECT (added));
  g_assert_nonnull (flow);
  cc_test_wait_for (cached_state_is_waiting, flow);
  g_assert_cmpstr (cc_proxy_dbus_proxy1_auth_flow_get_user_code (flow), ==, "WDJB-MJHT");
  g_assert_true (cc_proxy_dbus_proxy1_auth_flow_call_cancel_sync (flow, NULL, &error));
  g_assert_no_error (error);
  g_signal_handler_disconnect (manager, added_id);
}

/* busctl, d-spy and gdbus introspect show what every member is for. */
static void
test_introspection_documented (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autofree char *flow = NULL;

  g_assert_cmpuint (assert_object_documented (fixture, PATH), ==, 1);
  g_assert_cmpuint (assert_object_documented (fixture, HEALTHY_PATH), ==, 1);
  flow = start_waiting_flow (fixture, fixture->connection);
  g_assert_cmpuint (assert_object_documented (fixture, flow), ==, 1);
  g_assert_null (call (fixture, flow, "org.ccproxy.Proxy1.AuthFlow", "Cancel", NULL, NULL));
}

static gboolean
output_has_code (gpointer user_data)
{
  GString *out = user_data;

  return strstr (out->str, "Code:  WDJB-MJHT") != NULL;
}

static void
on_ctl_line (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GString *out = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, NULL);

  if (line == NULL)
    return;
  g_string_append_printf (out, "%s\n", line);
  g_data_input_stream_read_line_async (G_DATA_INPUT_STREAM (source), G_PRIORITY_DEFAULT, NULL, on_ctl_line, out);
}

/* cc-proxyctl auth: shows the address and code, waits, reports; Ctrl-C
 * cancels the flow. */
static void
test_ctl_auth (Fixture       *fixture,
               gconstpointer  user_data)
{
  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "auth", "healthy", NULL);

    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "Open the address and enter the code\n"
                                "  Open:  https://login.example.test/device\n"
                                "  Code:  WDJB-MJHT\n"
                                "Waiting… (Ctrl-C cancels)\n"
                                "Signed in to Healthy\n");
  }
  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "auth", "healthy", NULL);

    g_assert_cmpint (r.status, ==, 1);
    g_assert_cmpstr (r.err, ==, "cc-proxyctl: already signed in: authenticate with force to sign in again\n");
  }
  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "auth", "healthy", "--frobnicate", NULL);

    g_assert_cmpint (r.status, ==, 2);
    g_assert_true (g_str_has_prefix (r.err, "cc-proxyctl: unknown option “--frobnicate” for auth\n"));
  }
  {
    /* Ctrl-C while waiting. */
    const char *argv[] = { g_getenv ("CC_PROXYCTL"), "auth", "healthy", "--force", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error);
    g_autoptr(GDataInputStream) out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
    g_autoptr(GString) text = g_string_new (NULL);

    g_assert_no_error (error);
    g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, on_ctl_line, text);
    cc_test_wait_for (output_has_code, text);
    g_subprocess_send_signal (process, SIGINT);
    g_subprocess_wait (process, NULL, &error);
    g_assert_no_error (error);
    cc_test_drain (50);
    g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 1);
    g_assert_nonnull (strstr (text->str, "cc-proxyctl: The login was cancelled\n"));
  }
}

/* The copilot provider's login over the bus, as a person runs it: the
 * address and code, then the GitHub token in the keyring, copilot active,
 * and the exchange checked once. */
static void
test_ctl_auth_copilot (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GVariant) active = NULL, values = NULL, entry = NULL;
  gboolean set = FALSE;

  cc_test_upstream_mock_github_login (fixture->upstream, "gho_over_dbus_123456");
  /* Once "pending", as when the person has not entered the code yet. */
  cc_test_upstream_respond_once (fixture->upstream, "/login/oauth/access_token", 200, "application/json",
                                 "{\"error\":\"authorization_pending\"}");

  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "auth", "copilot", NULL);

    if (r.status != 0)
      g_test_message ("cc-proxyctl said: %s%s\ncc-proxyd said:\n%s", r.out, r.err, fixture->daemon->err_text->str);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "Open the address, sign in to GitHub and enter the code\n"
                                "  Open:  https://github.com/login/device\n"
                                "  Code:  WDJB-MJHT\n"
                                "Waiting… (Ctrl-C cancels)\n"
                                "Signed in to GitHub Copilot\n");
  }
  g_assert_cmpuint (cc_test_upstream_count_requests (fixture->upstream, "/login/oauth/access_token"), ==, 2);
  g_assert_cmpstr (soup_message_headers_get_one (cc_test_upstream_find_request (fixture->upstream, "/copilot_internal/v2/token", 0)->headers,
                                                 "authorization"), ==, "token gho_over_dbus_123456");

  active = get_property (fixture, PATH, MAIN_IFACE, "ActiveProvider");
  g_assert_cmpstr (g_variant_get_string (active, NULL), ==, "copilot");
  values = get_property (fixture, PATH "/providers/copilot", PROVIDER_IFACE, "Values");
  entry = g_variant_lookup_value (values, "github-token", G_VARIANT_TYPE_VARDICT);
  g_assert_true (g_variant_lookup (entry, "set", "b", &set));
  g_assert_true (set);

  {
    g_auto(CcTestRan) again = cc_test_ctl (NULL, "auth", "copilot", NULL);

    g_assert_cmpint (again.status, ==, 1);
    g_assert_cmpstr (again.err, ==, "cc-proxyctl: Already signed in to GitHub: use “cc-proxyctl auth copilot --force” "
                                    "to sign in again\n");
  }
  g_assert_null (strstr (fixture->daemon->err_text->str, "gho_over_dbus_123456"));
}

/* Without a keyring the login is not thrown away: it is kept in memory,
 * requests are served with it, and cc-proxyctl says plainly that it will
 * not last and what to do. */
/* cc-proxyctl env, run where NO_PROXY is @no_proxy (and no_proxy unset). */
static CcTestRan
ctl_env (const char *no_proxy)
{
  g_autofree char *upper = g_strdup (g_getenv ("NO_PROXY"));
  g_autofree char *lower = g_strdup (g_getenv ("no_proxy"));
  CcTestRan ran;

  g_unsetenv ("no_proxy");
  if (no_proxy != NULL)
    g_setenv ("NO_PROXY", no_proxy, TRUE);
  else
    g_unsetenv ("NO_PROXY");
  ran = cc_test_ctl (NULL, "env", NULL);
  if (upper != NULL)
    g_setenv ("NO_PROXY", upper, TRUE);
  else
    g_unsetenv ("NO_PROXY");
  if (lower != NULL)
    g_setenv ("no_proxy", lower, TRUE);
  return ran;
}

static void
test_ctl_auth_without_keyring (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autofree char *answer = cc_test_load_fixture_text ("openai-response-tools.json");
  g_autofree char *request = cc_test_load_fixture_text ("anthropic-request-minimal.json");
  g_autofree char *models = cc_test_load_fixture_text ("copilot-models.json");
  g_autofree char *url = g_strconcat (fixture->daemon->url, "/v1/messages", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) body = g_bytes_new (request, strlen (request));
  g_autoptr(GBytes) got = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CcTestDesktop) desktop = cc_test_desktop_start (fixture->connection);
  CcTestRecordedRequest *seen;

  cc_test_upstream_mock_github_login (fixture->upstream, "gho_memory_only_123456");
  cc_test_upstream_respond (fixture->upstream, "/chat/completions", 200, "application/json", answer, -1);
  cc_test_upstream_respond (fixture->upstream, "/models", 200, "application/json", models, -1);

  {
    g_auto(CcTestRan) before = cc_test_ctl (NULL, "status", NULL);

    g_assert_nonnull (strstr (before.out, "Sign-in:\n"));
    g_assert_nonnull (strstr (before.out, "\n  copilot: not signed in (cc-proxyctl auth copilot)\n"));
  }
  {
    /* --open: the browser is asked (through the portal) for the address. */
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "auth", "copilot", "--open", NULL);

    if (r.status != 0)
      g_test_message ("cc-proxyctl said: %s%s\ncc-proxyd said:\n%s", r.out, r.err, fixture->daemon->err_text->str);
    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (desktop->opened, ==, "https://github.com/login/device");
    g_assert_true (g_str_has_suffix (r.out, "Signed in to GitHub Copilot, for this session only: no keyring is "
                                            "available to keep the login, so cc-proxyd holds it in memory until it "
                                            "stops. To keep it, start or unlock a keyring (gnome-keyring-daemon "
                                            "--unlock) and sign in again.\n"));
  }

  {
    g_auto(CcTestRan) after = cc_test_ctl (NULL, "status", NULL);

    g_assert_nonnull (strstr (after.out, "\n  copilot: signed in\n"));
  }
  /* Right after the login, before any request: the account's models
   * already (the list is asked for), so that the first claude gets them. */
  {
    g_auto(CcTestRan) env = ctl_env (NULL);

    g_assert_cmpint (env.status, ==, 0);
    g_assert_nonnull (strstr (env.out, "export ANTHROPIC_MODEL='claude-sonnet-4.5'\n"));
  }

  /* A request is served with that login. */
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  got = cc_test_send (fixture->client, message, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  seen = cc_test_upstream_find_request (fixture->upstream, "/copilot_internal/v2/token", 0);
  g_assert_nonnull (seen);
  g_assert_cmpstr (soup_message_headers_get_one (seen->headers, "authorization"), ==, "token gho_memory_only_123456");
  g_assert_null (strstr (fixture->daemon->err_text->str, "gho_memory_only_123456"));

  /* The account's plan and quotas, as GitHub reports them. */
  cc_test_upstream_respond (fixture->upstream, "/copilot_internal/user", 200, "application/json",
                            "{\"copilot_plan\":\"individual\",\"quota_reset_date\":\"2026-12-31\","
                            "\"quota_snapshots\":{\"premium_interactions\":{\"entitlement\":300,\"remaining\":250,"
                            "\"unlimited\":false},\"chat\":{\"unlimited\":true},\"completions\":\"odd\"}}", -1);
  {
    g_auto(CcTestRan) usage = cc_test_ctl (NULL, "usage", NULL);

    g_assert_cmpint (usage.status, ==, 0);
    g_assert_cmpstr (usage.out, ==, "copilot_plan: individual\n"
                                    "quota_reset_date: 2026-12-31\n"
                                    "quota_snapshots:\n"
                                    "  premium_interactions:\n"
                                    "    entitlement: 300\n"
                                    "    remaining: 250\n"
                                    "    unlimited: false\n"
                                    "  chat:\n"
                                    "    unlimited: true\n"
                                    "  completions: odd\n");
  }

  /* The status line shows the quota, read in the background. */
  for (guint i = 0; ; i++)
    {
      g_auto(CcTestRan) r = cc_test_ctl ("{\"session_id\":\"none\"}", "statusline", NULL);

      g_assert_cmpint (r.status, ==, 0);
      if (strstr (r.out, "left") != NULL)
        {
          g_assert_nonnull (strstr (r.out, " · 250 of 300 premium left until 2026-12-31\n"));
          break;
        }
      g_assert_cmpuint (i, <, 200);
      cc_test_drain (20);
    }

  /* A client needs no key of its own, and gets the account's models. */
  {
    g_auto(CcTestRan) env = ctl_env (NULL);
    g_autofree char *quoted = NULL;

    g_assert_cmpint (env.status, ==, 0);
    /* g_shell_quote() quotes every value. */
    quoted = g_strdup_printf ("export ANTHROPIC_AUTH_TOKEN='cc-proxy'\n"
                              "export ANTHROPIC_BASE_URL='%s'\n"
                              "export ANTHROPIC_DEFAULT_HAIKU_MODEL='claude-sonnet-4.5'\n"
                              "export ANTHROPIC_DEFAULT_OPUS_MODEL='claude-opus-4.1'\n"
                              "export ANTHROPIC_DEFAULT_SONNET_MODEL='claude-sonnet-4.5'\n"
                              "export ANTHROPIC_MODEL='claude-sonnet-4.5'\n"
                              "export ANTHROPIC_SMALL_FAST_MODEL='claude-sonnet-4.5'\n"
                              "export CLAUDE_CODE_AUTO_COMPACT_WINDOW='128000'\n"
                              "export NO_PROXY='127.0.0.1,localhost,::1'\n"
                              "export no_proxy='127.0.0.1,localhost,::1'\n", fixture->daemon->url);
    g_assert_cmpstr (env.out, ==, quoted);
  }
}

/* What the README tells people to type. */
static void
test_busctl (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autofree char *address = g_strconcat ("--address=", g_test_dbus_get_bus_address (fixture->bus), NULL);
  const char *introspect[] = { "busctl", address, "introspect", NAME, PATH, NULL };
  const char *set[] = { "busctl", address, "set-property", NAME, PATH, MAIN_IFACE, "ActiveProvider", "s", "healthy", NULL };
  const char *bad[] = { "busctl", address, "call", NAME, HEALTHY_PATH, PROVIDER_IFACE, "SetValue", "sv", "mode", "s", "gamma", NULL };
  const char *get[] = { "busctl", address, "get-property", NAME, PATH, MAIN_IFACE, "ActiveProvider", NULL };
  g_autofree char *listing = run (introspect, 0);
  g_autofree char *set_out = run (set, 0);
  g_autofree char *bad_out = run (bad, 1);
  g_autofree char *get_out = run (get, 0);

  g_assert_nonnull (strstr (listing, ".ActiveProvider"));
  g_assert_nonnull (strstr (listing, "writable"));
  g_assert_nonnull (strstr (listing, ".Reload"));
  g_assert_cmpstr (bad_out, ==, "Call failed: “gamma” is not a valid value for mode: use one of alpha, beta\n");
  g_assert_cmpstr (get_out, ==, "s \"healthy\"\n");
}

/* Routes from the bus and from cc-proxyctl: each malformed route is
 * refused with its reason and changes nothing; good ones are listed,
 * moved, explained and removed. */
static void
test_routes (Fixture       *fixture,
             gconstpointer  user_data)
{
  static const struct { const char *args[8]; const char *error; } refused[] = {
    { { "route", "add", "x", "--to", "nosuch", NULL },
      "cc-proxyctl: Route “x”: No provider is called “nosuch” (the providers are " },
    { { "route", "add", "x", "--model", "", "--to", "healthy", NULL },
      "cc-proxyctl: Route “x”: The model glob must be a glob of 1 to 256 characters (* and ? are wildcards)\n" },
    { { "route", "add", "x", "--role", "boss", "--to", "healthy", NULL },
      "cc-proxyctl: Route “x”: The role must be main, subagent or background\n" },
    { { "route", "add", "bad name", "--to", "healthy", NULL },
      "cc-proxyctl: “bad name” is not a route name: use 1 to 64 letters, digits, “-”, “_” or “.”\n" },
    { { "route", "add", "x", "--to", "healthy", "--fallback", "healthy", NULL },
      "cc-proxyctl: Route “x”: The target “healthy” is listed twice\n" },
    { { "route", "add", "x", "--to", "healthy:", NULL },
      "cc-proxyctl: Route “x”: “healthy:” is not a target: write PROVIDER or PROVIDER:MODEL\n" },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) routes = NULL;
  g_autofree char *body = NULL;
  g_autofree char *remote = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      const char * const *a = refused[i].args;
      g_auto(CcTestRan) r = cc_test_ctl (NULL, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], NULL);

      g_assert_cmpint (r.status, ==, 1);
      g_assert_true (g_str_has_prefix (r.err, refused[i].error));
    }
  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "route", "add", "x", NULL);

    g_assert_cmpint (r.status, ==, 2);
    g_assert_true (g_str_has_prefix (r.err, "cc-proxyctl: route add needs --to PROVIDER[:MODEL]\n"));
  }

  /* The bus refuses the same, with a named error, and a table whole. */
  reply = g_dbus_connection_call_sync (fixture->connection, NAME, PATH, MAIN_IFACE, "AddRoute",
                                       g_variant_new_parsed ("('x', @a{sv} {}, 'nosuch', @as [], -1)"), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_null (reply);
  remote = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (remote, ==, "org.ccproxy.Proxy1.Error.UnknownProvider");
  g_clear_pointer (&remote, g_free);
  g_clear_error (&error);
  reply = g_dbus_connection_call_sync (fixture->connection, NAME, PATH, MAIN_IFACE, "SetRoutes",
                                       g_variant_new_parsed ("([('a', @a{sv} {}, 'healthy', @as []),"
                                                             " ('b', {'images': <'yes'>}, 'healthy', @as [])],)"),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_null (reply);
  remote = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (remote, ==, "org.ccproxy.Proxy1.Error.InvalidValue");
  g_assert_nonnull (strstr (error->message, "Route “b”: The match key “images” takes a boolean, not s"));
  g_clear_error (&error);
  routes = cc_test_get_property (fixture->connection, PATH, MAIN_IFACE, "Routes");
  g_assert_cmpuint (g_variant_n_children (routes), ==, 0);

  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "route", "list", NULL);

    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "No routes: the active provider (anthropic) serves every request.\n");
  }
  {
    g_auto(CcTestRan) a = cc_test_ctl (NULL, "route", "add", "bg", "--role", "background", "--to", "healthy:small", NULL);
    g_auto(CcTestRan) b = cc_test_ctl (NULL, "route", "add", "long", "--min-tokens", "50000", "--to", "healthy",
                         "--fallback", "anthropic", NULL);
    g_auto(CcTestRan) m = cc_test_ctl (NULL, "route", "move", "long", "1", NULL);
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "route", "list", NULL);

    g_assert_cmpint (a.status, ==, 0);
    g_assert_cmpint (b.status, ==, 0);
    g_assert_cmpint (m.status, ==, 0);
    g_assert_cmpstr (r.out, ==,
                     "1. long: min-tokens=50000 → healthy, then anthropic (0 requests, 0 by a fallback)\n"
                     "2. bg: role=background → healthy:small (0 requests, 0 by a fallback)\n"
                     "Anything else: the active provider (anthropic).\n");
  }
  g_clear_pointer (&routes, g_variant_unref);
  routes = cc_test_get_property (fixture->connection, PATH, MAIN_IFACE, "Routes");
  g_assert_cmpuint (g_variant_n_children (routes), ==, 2);

  /* explain: a haiku request is background; a subagent's is not. */
  body = g_strdup ("{\"model\":\"claude-haiku-4-5\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  {
    g_auto(CcTestRan) r = cc_test_ctl (body, "route", "explain", "-", NULL);

    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "request: role=background class=background model=claude-haiku-4-5 tokens≈22\n"
                                "route: bg\n"
                                "target: healthy:small\n");
  }
  {
    g_auto(CcTestRan) r = cc_test_ctl (body, "route", "explain", "-H", "x-claude-code-agent-id: a1", "-", NULL);

    g_assert_cmpstr (r.out, ==, "request: role=subagent class=subagent model=claude-haiku-4-5 tokens≈22\n"
                                "route: none (the active provider serves it)\n"
                                "target: anthropic\n");
  }
  {
    g_auto(CcTestRan) gone = cc_test_ctl (NULL, "route", "remove", "bg", NULL);
    g_auto(CcTestRan) again = cc_test_ctl (NULL, "route", "remove", "bg", NULL);

    g_assert_cmpint (gone.status, ==, 0);
    g_assert_cmpint (again.status, ==, 1);
    g_assert_cmpstr (again.err, ==, "cc-proxyctl: No route is called “bg”\n");
  }
}

/* ----- traffic: signals, capture, monitor ----- */



static const char json_answer[] =
  "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-x\","
  "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
  "\"usage\":{\"input_tokens\":11,\"output_tokens\":3,\"cache_read_input_tokens\":5}}";

static guint
post_to (Fixture    *fixture,
         const char *path,
         const char *body,
         const char *header,
         const char *value)
{
  g_autofree char *url = g_strconcat (fixture->daemon->url, path, NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) request = body ? g_bytes_new (body, strlen (body)) : cc_test_load_fixture ("anthropic-request-agent.json");
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  if (header != NULL)
    soup_message_headers_append (soup_message_get_request_headers (message), header, value);
  soup_message_set_request_body_from_bytes (message, "application/json", request);
  answer = cc_test_send (fixture->client, message, &error);
  g_assert_no_error (error);
  return soup_message_get_status (message);
}

typedef struct
{
  Fixture *fixture;
  guint    count;
} Count;

static gboolean
has_traffic (gpointer user_data)
{
  Count *count = user_data;

  return count->fixture->traffic->len >= count->count;
}

static void
wait_for_traffic (Fixture *fixture,
                  guint    count)
{
  Count wait = { fixture, count };

  cc_test_wait_for (has_traffic, &wait);
}

/* Each Claude Code session's requests are counted, by class, with
 * their tokens and last error, and cc-proxyctl statusline prints them
 * from Claude Code's JSON; with no cc-proxyd it says so, and starts
 * none. */
static void
test_statusline (Fixture       *fixture,
                 gconstpointer  user_data)
{
  static const char typed[] = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  static const char tool_turn[] = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\","
    "\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"Read\","
    "\"input\":{}}]},{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t\",\"content\":\"x\"}]}]}";
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) session = NULL;
  g_autoptr(GVariant) today = NULL;
  g_autoptr(GVariant) classes = NULL;
  guint64 count = 0;

  cc_test_upstream_respond (fixture->upstream, "/v1/messages", 200, "application/json", json_answer, -1);
  /* What a provider says a request costs (copilot does), relayed. */
  cc_test_upstream_add_header (fixture->upstream, "/v1/messages", "x-cc-proxy-premium-requests", "0.5");
  g_assert_cmpuint (post_to (fixture, "/v1/messages", typed, "X-Claude-Code-Session-Id", "s-1"), ==, 200);
  g_assert_cmpuint (post_to (fixture, "/v1/messages", tool_turn, "X-Claude-Code-Session-Id", "s-1"), ==, 200);
  g_assert_cmpuint (post_to (fixture, "/v1/messages", typed, "X-Claude-Code-Session-Id", "s-2"), ==, 200);
  cc_test_upstream_respond (fixture->upstream, "/v1/messages", 500, "application/json",
                            "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"boom\"}}", -1);
  g_assert_cmpuint (post_to (fixture, "/v1/messages", tool_turn, "X-Claude-Code-Session-Id", "s-1"), ==, 500);

  reply = g_dbus_connection_call_sync (fixture->connection, NAME, PATH, MAIN_IFACE, "GetSession",
                                       g_variant_new ("(s)", "s-1"), G_VARIANT_TYPE ("(a{sv}a{sv})"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  g_assert_nonnull (reply);
  g_variant_get (reply, "(@a{sv}@a{sv})", &session, &today);
  g_assert_true (g_variant_lookup (session, "requests", "t", &count));
  g_assert_cmpuint (count, ==, 3);
  g_assert_true (g_variant_lookup (session, "input-tokens", "t", &count));
  g_assert_cmpuint (count, ==, 22);
  g_assert_true (g_variant_lookup (session, "errors", "t", &count));
  g_assert_cmpuint (count, ==, 1);
  classes = g_variant_lookup_value (session, "classes", G_VARIANT_TYPE ("a{st}"));
  g_assert_true (g_variant_lookup (classes, "user", "t", &count));
  g_assert_cmpuint (count, ==, 1);
  g_assert_true (g_variant_lookup (classes, "agent", "t", &count));
  g_assert_cmpuint (count, ==, 2);
  g_assert_true (g_variant_lookup (today, "requests", "t", &count));
  g_assert_cmpuint (count, ==, 4);

  {
    g_auto(CcTestRan) r = cc_test_ctl ("{\"session_id\":\"s-1\",\"model\":{\"id\":\"claude-sonnet-4-5\"}}", "statusline", NULL);

    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "cc-proxy · anthropic/claude-sonnet-4-5 · 3 requests, 1 premium (today 4, 1.5 premium)"
                                " · last error: boom\n");
  }
  {
    g_auto(CcTestRan) r = cc_test_ctl ("{\"session_id\":\"s-2\"}", "statusline", NULL);

    g_assert_cmpstr (r.out, ==, "cc-proxy · anthropic/claude-sonnet-4-5 · 1 requests, 0.5 premium (today 4, 1.5 premium)\n");
  }
  daemon_stop (fixture->daemon);
  fixture->daemon = NULL;
  {
    g_auto(CcTestRan) r = cc_test_ctl ("{\"session_id\":\"s-2\"}", "statusline", NULL);

    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "cc-proxy: not running\n");
  }
}

/* The request id is random: the rest of each signal is exact. */
static char *
traffic_without_id (Fixture  *fixture,
                    guint     index,
                    char    **id)
{
  const char *text = g_ptr_array_index (fixture->traffic, index);
  const char *start = strstr (text, "('") + 2;
  const char *end = strchr (start, '\'');

  GString *clean = g_string_new_len (text, start - text);

  g_assert_cmpuint (end - start, ==, 32);
  if (*id == NULL)
    *id = g_strndup (start, end - start);
  else
    g_assert_cmpint (strncmp (start, *id, 32), ==, 0);
  g_string_append_printf (clean, "ID%s", end);
  return g_string_free (clean, FALSE);
}

static void
test_traffic_signals (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GBytes) sse = cc_test_load_fixture ("anthropic-stream-text.sse");
  g_autofree char *sse_text = g_strndup (g_bytes_get_data (sse, NULL), g_bytes_get_size (sse));
  const char *chunks[] = { sse_text, NULL };
  g_autofree char *json_id = NULL, *stream_id = NULL;
  static const char * const expected[] = {
    "RequestStarted ('ID', 'POST', '/v1/messages?beta=true', 'anthropic', 'claude-sonnet-4-5-20250929', 'agent')",
    "ResponseStarted ('ID', 200)",
    /* One line, in two literals. */
    ("RequestFinished ('ID', 200, DURATION, {'input_tokens': 11, 'output_tokens': 3, "
     "'cache_read_input_tokens': 5}, 'end_turn', '', '')"),
    "RequestStarted ('ID', 'POST', '/v1/stream', 'anthropic', 'claude-sonnet-4-5-20250929', '')",
    "ResponseStarted ('ID', 200)",
    "RequestFinished ('ID', 200, DURATION, {'input_tokens': 25, 'output_tokens': 3}, 'end_turn', '', '')",
  };

  cc_test_upstream_respond (fixture->upstream, "/v1/messages", 200, "application/json", json_answer, -1);
  cc_test_upstream_stream (fixture->upstream, "/v1/stream", chunks, G_MAXUINT, FALSE);

  g_assert_cmpuint (post_to (fixture, "/v1/messages?beta=true", NULL, NULL, NULL), ==, 200);
  wait_for_traffic (fixture, 3);
  g_assert_cmpuint (post_to (fixture, "/v1/stream", NULL, NULL, NULL), ==, 200);
  wait_for_traffic (fixture, 6);
  cc_test_drain (50);
  g_assert_cmpuint (fixture->traffic->len, ==, 6);

  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *got = traffic_without_id (fixture, i, i < 3 ? &json_id : &stream_id);
      /* The duration is the third value of RequestFinished. */
      g_autoptr(GRegex) duration = g_regex_new ("^(RequestFinished \\('ID', 200, )[1-9][0-9]*", 0, 0, NULL);
      g_autofree char *clean = g_regex_replace (duration, got, -1, 0, "\\1DURATION", G_REGEX_MATCH_DEFAULT, NULL);

      g_assert_cmpstr (clean, ==, expected[i]);
    }
  g_assert_cmpstr (json_id, !=, stream_id);
}

static void
on_heard (GDBusConnection *connection,
          const char      *sender,
          const char      *path,
          const char      *interface,
          const char      *signal,
          GVariant        *parameters,
          gpointer         user_data)
{
  (*(guint *) user_data)++;
}

/* Sends a request and waits until the fixture's connection, which
 * watches, has its three signals; then a round trip on @others, so that
 * whatever was sent to them has arrived too. */
static void
request_heard (Fixture          *fixture,
               GDBusConnection **others,
               guint             n_others)
{
  guint before = fixture->traffic->len;

  g_assert_cmpuint (post_to (fixture, "/v1/messages", NULL, NULL, NULL), ==, 200);
  wait_for_traffic (fixture, before + 3);
  for (guint i = 0; i < n_others; i++)
    {
      g_autoptr(GVariant) reply = g_dbus_connection_call_sync (others[i], NAME, PATH, "org.freedesktop.DBus.Peer",
                                                               "Ping", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                                               NULL);

      g_assert_nonnull (reply);
    }
  cc_test_drain (20);
}

/* The traffic goes to the callers of WatchTraffic, each once, until they
 * unwatch or leave; a client that only listens hears nothing. */
static void
test_traffic_to_watchers (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GDBusConnection) listener = second_connection (fixture);
  g_autoptr(GDBusConnection) watcher = second_connection (fixture);
  GDBusConnection *others[] = { listener, watcher };
  guint by_listener = 0, by_watcher = 0;
  g_autoptr(GError) error = NULL;

  cc_test_upstream_respond (fixture->upstream, "/v1/messages", 200, "application/json", json_answer, -1);
  g_dbus_connection_signal_subscribe (listener, NULL, MAIN_IFACE, NULL, PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                      on_heard, &by_listener, NULL);
  g_dbus_connection_signal_subscribe (watcher, NULL, MAIN_IFACE, NULL, PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                      on_heard, &by_watcher, NULL);

  /* Watching twice is watching once. */
  g_assert_null (call_on (watcher, PATH, MAIN_IFACE, "WatchTraffic", NULL, NULL));
  g_assert_null (call_on (watcher, PATH, MAIN_IFACE, "WatchTraffic", NULL, NULL));
  request_heard (fixture, others, G_N_ELEMENTS (others));
  g_assert_cmpuint (by_watcher, ==, 3);
  g_assert_cmpuint (by_listener, ==, 0);

  /* Unwatched: no more; unwatching again changes nothing. */
  g_assert_null (call_on (watcher, PATH, MAIN_IFACE, "UnwatchTraffic", NULL, NULL));
  g_assert_null (call_on (watcher, PATH, MAIN_IFACE, "UnwatchTraffic", NULL, NULL));
  g_assert_null (call_on (listener, PATH, MAIN_IFACE, "UnwatchTraffic", NULL, NULL));
  request_heard (fixture, others, G_N_ELEMENTS (others));
  g_assert_cmpuint (by_watcher, ==, 3);
  g_assert_cmpuint (by_listener, ==, 0);

  /* A watcher that leaves is forgotten; the others go on hearing. */
  g_assert_null (call_on (watcher, PATH, MAIN_IFACE, "WatchTraffic", NULL, NULL));
  g_dbus_connection_close_sync (watcher, NULL, &error);
  g_assert_no_error (error);
  request_heard (fixture, others, 1);
  g_assert_cmpuint (fixture->traffic->len, ==, 9);
}

/* A secret from the keyring and one from the environment, sent by the
 * client in every place it can put them: none reaches the capture log,
 * the bus or the daemon's log. */
static void
test_traffic_never_shows_secrets (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  static const char keyring_secret[] = "sk-keyring-secret-987654321";
  g_autofree char *body = g_strdup_printf ("{\"model\":\"claude-x\",\"max_tokens\":5,\"messages\":"
                                           "[{\"role\":\"user\",\"content\":\"my keys are %s and %s\"}]}",
                                           keyring_secret, ENV_SECRET);
  g_autofree char *path = g_strconcat ("/v1/messages?key=", ENV_SECRET, NULL);
  g_autofree char *answer = g_strdup_printf ("{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"%s\"}],"
                                             "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}",
                                             keyring_secret);
  g_autofree char *captured = NULL;

  g_assert_null (call (fixture, HEALTHY_PATH, PROVIDER_IFACE, "SetValue", g_variant_new ("(sv)", "token", g_variant_new_string (keyring_secret)), NULL));
  cc_test_upstream_respond (fixture->upstream, "/v1/messages", 200, "application/json", answer, -1);

  g_assert_cmpuint (post_to (fixture, path, body, "x-note", keyring_secret), ==, 200);
  wait_for_traffic (fixture, 3);
  daemon_halt (fixture->daemon);

  captured = daemon_read_captures (fixture->daemon);
  /* The request and its answer are there, with the values blanked. */
  g_assert_nonnull (strstr (captured, "\"kind\":\"request-body\""));
  g_assert_nonnull (strstr (captured, "my keys are [redacted] and [redacted]"));
  g_assert_nonnull (strstr (captured, "\"query\":\"key=[redacted]\""));
  g_assert_nonnull (strstr (captured, "\"x-note\":\"[redacted]\""));
  g_assert_nonnull (strstr (captured, "\"text\":\"[redacted]\""));
  g_assert_null (strstr (captured, keyring_secret));
  g_assert_null (strstr (captured, ENV_SECRET));

  for (guint i = 0; i < fixture->traffic->len; i++)
    {
      g_assert_null (strstr (g_ptr_array_index (fixture->traffic, i), keyring_secret));
      g_assert_null (strstr (g_ptr_array_index (fixture->traffic, i), ENV_SECRET));
    }
  g_assert_nonnull (strstr (g_ptr_array_index (fixture->traffic, 0), "'/v1/messages?key=[redacted]'"));
  g_assert_null (strstr (fixture->daemon->err_text->str, keyring_secret));
  g_assert_null (strstr (fixture->daemon->err_text->str, ENV_SECRET));

  /* Tear-down stops it; here it only needs freeing. */
  daemon_free (g_steal_pointer (&fixture->daemon));
}

/* `stop` ends the running daemon cleanly; `restart` says so when it
 * cannot be started again (this bus has no service files for it). */
static void
test_ctl_stop_restart (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *stopped = g_strdup_printf ("Stopped cc-proxyd (pid %s)\n",
                                              g_subprocess_get_identifier (fixture->daemon->process));

  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "stop", NULL);

    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, stopped);
  }
  g_subprocess_wait (fixture->daemon->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (fixture->daemon->process));
  g_assert_cmpint (g_subprocess_get_exit_status (fixture->daemon->process), ==, 0);

  {
    g_auto(CcTestRan) again = cc_test_ctl (NULL, "stop", NULL);

    g_assert_cmpint (again.status, ==, 0);
    g_assert_cmpstr (again.out, ==, "cc-proxyd is not running\n");
  }
  {
    g_auto(CcTestRan) restart = cc_test_ctl (NULL, "restart", NULL);

    g_assert_cmpint (restart.status, ==, 1);
    g_assert_true (g_str_has_prefix (restart.err, "cc-proxyctl: cc-proxyd could not be started again: "));
    g_assert_true (g_str_has_suffix (restart.err, "(systemctl --user start cc-proxyd, or build-aux/dev run)\n"));
  }
  /* It has exited already: this only collects its last words. */
  daemon_stop (g_steal_pointer (&fixture->daemon));
}

/* `cc-proxyctl claude` runs claude (here a stub on PATH that writes down
 * its arguments and environment) with the proxy's address. */
static void
test_ctl_claude (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autofree char *dir = g_dir_make_tmp ("cc-proxy-claude-XXXXXX", NULL);
  g_autofree char *stub = g_build_filename (dir, "claude", NULL);
  g_autofree char *record = g_build_filename (dir, "record", NULL);
  g_autofree char *script = g_strdup_printf ("#!/bin/sh\n"
                                             "{ printf '%%s\\n' \"$@\"; echo \"URL=$ANTHROPIC_BASE_URL\";"
                                             " echo \"TOKEN=${ANTHROPIC_AUTH_TOKEN-unset}\"; } > '%s'\n"
                                             "exit 7\n", record);
  g_autofree char *path = g_strconcat (dir, ":", g_getenv ("PATH"), NULL);
  g_autofree char *settings = g_build_filename (dir, "settings.json", NULL);
  /* The statusline, the first time: the user has none of their own. */
  g_autofree char *expected = g_strdup_printf ("--settings\n{\"statusLine\":{\"type\":\"command\",\"command\":"
                                               "\"%s statusline\"}}\n-p\nsay hi\nURL=%s\nTOKEN=unset\n",
                                               g_getenv ("CC_PROXYCTL"), fixture->daemon->url);
  g_autofree char *own = g_strdup_printf ("-p\nsay hi\nURL=%s\nTOKEN=unset\n", fixture->daemon->url);

  g_assert_true (g_file_set_contents (stub, script, -1, NULL));
  g_assert_cmpint (g_chmod (stub, 0755), ==, 0);
  for (guint run = 0; run < 2; run++)
    {
      g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
      g_autoptr(GSubprocess) process = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *got = NULL;
      GAsyncResult *result = NULL;

      /* Then with a statusline of the user's own in Claude Code's settings. */
      if (run == 1)
        g_assert_true (g_file_set_contents (settings, "{\"statusLine\":{\"type\":\"command\",\"command\":\"mine\"}}",
                                            -1, NULL));
      g_subprocess_launcher_setenv (launcher, "PATH", path, TRUE);
      g_subprocess_launcher_setenv (launcher, "CLAUDE_CONFIG_DIR", dir, TRUE);
      process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("CC_PROXYCTL"), "claude", "-p", "say hi", NULL);
      g_assert_no_error (error);
      g_subprocess_wait_async (process, NULL, cc_test_keep_async_result, &result);
      cc_test_wait_for (cc_test_has_async_result, &result);
      g_subprocess_wait_finish (process, result, &error);
      g_clear_object (&result);
      g_assert_no_error (error);
      /* claude's own exit status is cc-proxyctl's: it became claude. */
      g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 7);

      g_assert_true (g_file_get_contents (record, &got, NULL, NULL));
      /* The anthropic passthrough forwards the client's own key: no placeholder. */
      g_assert_cmpstr (got, ==, run == 0 ? expected : own);
      g_unlink (record);
    }
  g_unlink (settings);
  g_unlink (stub);
  g_rmdir (dir);
}

/* `cc-proxyctl log` shows the service's own messages: here the one about
 * the missing keyring, which a daemon started by D-Bus alone would have
 * written to nowhere. */
static void
test_ctl_log (Fixture       *fixture,
              gconstpointer  user_data)
{
  for (guint attempt = 0; ; attempt++)
    {
      g_auto(CcTestRan) r = cc_test_ctl (NULL, "log", NULL);

      g_assert_cmpint (r.status, ==, 0);
      if (strstr (r.out, "cc-proxy-settings: The keyring is not available") != NULL)
        {
          /* One line per message, each starting with the date. */
          g_assert_true (g_ascii_isdigit (r.out[0]));
          g_assert_true (g_str_has_suffix (r.out, "\n"));
          break;
        }
      g_assert_cmpuint (attempt, <, 100);
      cc_test_drain (50);
    }
}

/* status tells the last request that failed, and why. */
static void
test_ctl_status_last_error (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autofree char *url = g_strconcat (fixture->daemon->url, "/v1/messages", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  {
    g_auto(CcTestRan) before = cc_test_ctl (NULL, "status", NULL);

    g_assert_null (strstr (before.out, "Last error:"));
  }
  soup_message_headers_append (soup_message_get_request_headers (message), "Origin", "https://example.com");
  answer = cc_test_send (fixture->client, message, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 403);
  {
    g_auto(CcTestRan) after = cc_test_ctl (NULL, "status", NULL);
    const char *line = strstr (after.out, "Last error: ");

    g_assert_nonnull (line);
    g_assert_nonnull (strstr (line, " POST /v1/messages (anthropic): Requests from web pages are not allowed\n"));
  }
}

/* A daemon the bus started by itself (no systemd, no terminal) that
 * cannot listen stays on the bus to say why, instead of dying silently. */
static void
test_start_error_is_told (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GSocketListener) busy = g_socket_listener_new ();
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *listen = NULL;
  guint16 port;

  /* The fixture's daemon leaves; a port is taken. */
  daemon_stop (g_steal_pointer (&fixture->daemon));
  port = g_socket_listener_add_any_inet_port (busy, NULL, &error);
  g_assert_no_error (error);
  listen = g_strdup_printf ("127.0.0.1:%u", port);

  g_subprocess_launcher_setenv (launcher, "DBUS_STARTER_BUS_TYPE", "session", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "INVOCATION_ID");
  g_subprocess_launcher_setenv (launcher, "CC_PROXY_PROVIDER_DIR", cc_test_module_dir (), TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("CC_PROXYD"), "--listen", listen, NULL);
  g_assert_no_error (error);
  wait_for_name (fixture);

  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "status", NULL);

    g_assert_cmpint (r.status, ==, 1);
    g_assert_true (g_str_has_prefix (r.err, "cc-proxyd " PACKAGE_VERSION " is running but serves nothing: cannot listen: "));
  }
  /* What would point a client at it refuses, with the reason and the fix,
   * instead of an empty ANTHROPIC_BASE_URL (and Claude Code going to
   * api.anthropic.com). */
  {
    g_auto(CcTestRan) env = cc_test_ctl (NULL, "env", NULL);
    g_auto(CcTestRan) claude = cc_test_ctl (NULL, "claude", "--version", NULL);

    g_assert_cmpint (env.status, ==, 1);
    g_assert_cmpstr (env.out, ==, "");
    g_assert_nonnull (strstr (env.err, "cc-proxyd is running but serves nothing: cannot listen: "));
    g_assert_nonnull (strstr (env.err, "change the listen-address setting"));
    g_assert_cmpint (claude.status, ==, 1);
    g_assert_nonnull (strstr (claude.err, "serves nothing"));
  }
  {
    g_auto(CcTestRan) stop = cc_test_ctl (NULL, "stop", NULL);

    g_assert_cmpint (stop.status, ==, 0);
  }
  g_subprocess_wait (process, NULL, NULL);
}

/* GitHub refuses the login: the provider says it needs attention (bus,
 * status, a notification with "Sign in"); the button starts the login,
 * whose code comes as a notification; signing in clears it all. */
static void
test_attention_needed (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *request = cc_test_load_fixture_text ("anthropic-request-minimal.json");
  g_autofree char *url = g_strconcat (fixture->daemon->url, "/v1/messages", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) body = g_bytes_new (request, strlen (request));
  g_autoptr(GBytes) got = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) attention = NULL;
  g_autoptr(CcTestDesktop) desktop = cc_test_desktop_start (fixture->connection);

  /* Signed in; then GitHub revokes the login. */
  cc_test_upstream_mock_github_login (fixture->upstream, "gho_attention_123456");
  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "auth", "copilot", NULL);

    g_assert_cmpint (r.status, ==, 0);
  }
  cc_test_upstream_mock_copilot_exchange (fixture->upstream, 401);
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  got = cc_test_send (fixture->client, message, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 401);
  /* Through the provider host too: Claude Code does not retry it. */
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (message), "x-should-retry"), ==,
                   "false");

  cc_test_desktop_wait_shown (desktop, 1);
  g_assert_cmpstr (g_ptr_array_index (desktop->shown, 0), ==,
                   "GitHub Copilot needs you to sign in again|"
                   "GitHub refused the Copilot login (revoked or expired): sign in again|default,Sign in,sign-in,Sign in");
  attention = get_property (fixture, PATH "/providers/copilot", PROVIDER_IFACE, "Attention");
  g_assert_cmpstr (g_variant_get_string (attention, NULL), ==,
                   "GitHub refused the Copilot login (revoked or expired): sign in again");
  {
    g_auto(CcTestRan) status = cc_test_ctl (NULL, "status", NULL);

    g_assert_nonnull (strstr (status.out, "  copilot: needs you to sign in again: GitHub refused the Copilot login "
                                          "(revoked or expired): sign in again (cc-proxyctl auth copilot --force)\n"));
  }

  /* "Sign in", with no cc-proxy-panel to open on this bus: the login
   * starts in cc-proxyd, its code is shown, the browser opens. */
  cc_test_upstream_mock_copilot_exchange (fixture->upstream, 200);
  cc_test_desktop_press (desktop, "sign-in");
  cc_test_desktop_wait_shown (desktop, 3);
  g_assert_cmpstr (g_ptr_array_index (desktop->shown, 1), ==,
                   "Enter the code WDJB-MJHT|at https://github.com/login/device (opened in your browser)|");
  g_assert_cmpstr (desktop->opened, ==, "https://github.com/login/device");
  g_assert_true (g_str_has_prefix (g_ptr_array_index (desktop->shown, 2), "Signed in to GitHub Copilot"));
  g_clear_pointer (&attention, g_variant_unref);
  attention = get_property (fixture, PATH "/providers/copilot", PROVIDER_IFACE, "Attention");
  g_assert_cmpstr (g_variant_get_string (attention, NULL), ==, "");
}

/* The README's OpenRouter block, word for word but for the server's
 * address (the mock's): the key goes to the keyring by stdin, and
 * Claude Code's requests reach the server with it and the model set. */
static void
test_readme_openai (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autofree char *base = g_strconcat (cc_test_upstream_get_url (fixture->upstream), "/v1", NULL);
  g_autofree char *answer = cc_test_load_fixture_text ("openai-response-tools.json");
  g_autofree char *request = cc_test_load_fixture_text ("anthropic-request-minimal.json");
  g_autofree char *url = g_strconcat (fixture->daemon->url, "/v1/messages", NULL);
  g_autofree char *got = NULL;
  CcTestRecordedRequest *seen;
  guint status;

  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "set", "openai", "base-url", base, NULL);

    g_assert_cmpint (r.status, ==, 0);
  }
  {
    g_auto(CcTestRan) r = cc_test_ctl ("sk-or-readme-0123456789\n", "set", "openai", "api-key", NULL);

    g_assert_cmpint (r.status, ==, 0);
  }
  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "set", "openai", "model", "anthropic/claude-sonnet-4.5", NULL);

    g_assert_cmpint (r.status, ==, 0);
  }
  {
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "use", "openai", NULL);

    g_assert_cmpint (r.status, ==, 0);
  }
  {
    /* What `cc-proxyctl get -v openai` tells people about each setting. */
    g_auto(CcTestRan) r = cc_test_ctl (NULL, "get", "-v", "openai", NULL);

    g_assert_cmpint (r.status, ==, 0);
    g_assert_nonnull (strstr (r.out, "http://localhost:11434/v1 for Ollama"));
    g_assert_null (strstr (r.out, "sk-or-readme-0123456789"));
  }

  cc_test_upstream_respond (fixture->upstream, "/v1/chat/completions", 200, "application/json", answer, -1);
  got = cc_test_post_json (fixture->client, url, request, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (got, "\"type\":\"tool_use\""));
  seen = cc_test_upstream_find_request (fixture->upstream, "/v1/chat/completions", 0);
  g_assert_nonnull (seen);
  g_assert_cmpstr (soup_message_headers_get_one (seen->headers, "authorization"), ==, "Bearer sk-or-readme-0123456789");
  {
    g_autofree char *sent = g_strndup (g_bytes_get_data (seen->body, NULL), g_bytes_get_size (seen->body));

    g_assert_nonnull (strstr (sent, "\"model\":\"anthropic/claude-sonnet-4.5\""));
  }
  g_assert_null (strstr (fixture->daemon->err_text->str, "sk-or-readme-0123456789"));

  /* Right after the recipe, Claude Code needs a key to send (else it
   * stops at "Not logged in"), and loopback past the user's proxy: one
   * the user's NO_PROXY already lists is kept, not repeated. */
  {
    g_auto(CcTestRan) env = ctl_env ("intranet.example,localhost");

    g_assert_cmpint (env.status, ==, 0);
    g_assert_nonnull (strstr (env.out, "export ANTHROPIC_AUTH_TOKEN='cc-proxy'\n"));
    g_assert_nonnull (strstr (env.out, "export NO_PROXY='intranet.example,localhost,127.0.0.1,::1'\n"));
  }
}

/* `reload` loads provider modules that appeared since the start, and
 * puts them on the bus. */
static void
test_reload_rescans (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autofree char *source = g_build_filename (g_getenv ("CC_PROXY_TEST_COPILOT_DIR"), "copilot.so", NULL);
  g_autofree char *target = g_build_filename (fixture->extra_modules, "copilot.so", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GVariant) name = NULL;
  gsize length;
  gboolean announced = FALSE;

  {
    g_auto(CcTestRan) before = cc_test_ctl (NULL, "providers", NULL);

    g_assert_null (strstr (before.out, "copilot"));
  }
  g_assert_true (g_file_get_contents (source, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (target, contents, length, NULL));
  g_clear_pointer (&contents, g_free);
  /* A module is installed with its descriptor file. */
  {
    g_autofree char *info_source = g_build_filename (g_getenv ("CC_PROXY_TEST_COPILOT_DIR"), "copilot.descriptor", NULL);
    g_autofree char *info_target = g_build_filename (fixture->extra_modules, "copilot.descriptor", NULL);

    g_assert_true (g_file_get_contents (info_source, &contents, &length, NULL));
    g_assert_true (g_file_set_contents (info_target, contents, length, NULL));
  }
  {
    g_auto(CcTestRan) reload = cc_test_ctl (NULL, "reload", NULL);
    g_auto(CcTestRan) after = cc_test_ctl (NULL, "providers", NULL);

    g_assert_cmpint (reload.status, ==, 0);
    g_assert_nonnull (strstr (after.out, "  copilot          GitHub Copilot\n"));
  }
  name = get_property (fixture, PATH "/providers/copilot", PROVIDER_IFACE, "DisplayName");
  g_assert_cmpstr (g_variant_get_string (name, NULL), ==, "GitHub Copilot");
  cc_test_drain (50);
  for (guint i = 0; i < fixture->changes->len; i++)
    announced |= strstr (g_ptr_array_index (fixture->changes, i), "'Providers'") != NULL &&
                 strstr (g_ptr_array_index (fixture->changes, i), "'copilot'") != NULL;
  g_assert_true (announced);

  /* A second reload finds nothing new, and changes nothing. */
  {
    g_auto(CcTestRan) again = cc_test_ctl (NULL, "reload", NULL);

    g_assert_cmpint (again.status, ==, 0);
  }
}

static gboolean
monitor_is_ready (gpointer user_data)
{
  return strstr (((GString *) user_data)->str, "Following requests to cc-proxyd at ") != NULL;
}

static gboolean
monitor_has_line (gpointer user_data)
{
  const char *last = strrchr (((GString *) user_data)->str, '\n');

  return strstr (((GString *) user_data)->str, "/v1/messages") != NULL && last != NULL && last[1] == '\0';
}

/* cc-proxyctl monitor, running, and what it printed so far. */
typedef struct
{
  GSubprocess      *process;
  GDataInputStream *out, *err;
  GString          *out_text, *err_text;
} Monitor;

static void
monitor_start (Monitor    *monitor,
               const char *option)
{
  const char *argv[] = { g_getenv ("CC_PROXYCTL"), "monitor", option, NULL };
  g_autoptr(GError) error = NULL;

  monitor->process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  monitor->out_text = g_string_new (NULL);
  monitor->err_text = g_string_new (NULL);
  monitor->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (monitor->process));
  monitor->err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (monitor->process));
  g_data_input_stream_read_line_async (monitor->out, G_PRIORITY_DEFAULT, NULL, on_ctl_line, monitor->out_text);
  g_data_input_stream_read_line_async (monitor->err, G_PRIORITY_DEFAULT, NULL, on_ctl_line, monitor->err_text);
  cc_test_wait_for (monitor_is_ready, monitor->err_text);
}

/* Ctrl-C, a clean exit; returns what it printed on its standard output. */
static char *
monitor_stop (Monitor *monitor)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (monitor->process, SIGINT);
  g_subprocess_wait (monitor->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (monitor->process));
  g_assert_cmpint (g_subprocess_get_exit_status (monitor->process), ==, 0);
  g_clear_object (&monitor->out);
  g_clear_object (&monitor->err);
  g_clear_object (&monitor->process);
  g_string_free (monitor->err_text, TRUE);
  return g_string_free (monitor->out_text, FALSE);
}

/* Runs cc-proxyctl monitor, sends one request, and returns what it
 * printed for it. */
static char *
monitor_one_request (Fixture    *fixture,
                     const char *option)
{
  Monitor monitor = { NULL, };

  monitor_start (&monitor, option);
  g_assert_cmpuint (post_to (fixture, "/v1/messages?beta=true", NULL, NULL, NULL), ==, 200);
  cc_test_wait_for (monitor_has_line, monitor.out_text);
  return monitor_stop (&monitor);
}

/* cc-proxyctl monitor asks a restarted daemon for the traffic again. */
static void
test_ctl_monitor_follows_restart (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  const char *env[] = { "TEST_HEALTHY_URL", cc_test_upstream_get_url (fixture->upstream), NULL };
  Monitor monitor = { NULL, };
  g_autofree char *out = NULL;

  cc_test_upstream_respond (fixture->upstream, "/v1/messages", 200, "application/json", json_answer, -1);
  monitor_start (&monitor, NULL);
  daemon_stop (fixture->daemon);
  fixture->daemon = daemon_start (env, cc_test_upstream_get_url (fixture->upstream));
  wait_for_name (fixture);

  /* Its call to the new daemon may still be on its way: requests until
   * one is printed. */
  for (guint i = 0; i < 100 && !monitor_has_line (monitor.out_text); i++)
    {
      g_assert_cmpuint (post_to (fixture, "/v1/messages?beta=true", NULL, NULL, NULL), ==, 200);
      cc_test_drain (50);
    }
  out = monitor_stop (&monitor);
  g_assert_nonnull (strstr (out, " anthropic claude-sonnet-4-5-20250929 POST /v1/messages?beta=true 200 "));
}

static void
test_ctl_monitor (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autofree char *line = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *object;

  cc_test_upstream_respond (fixture->upstream, "/v1/messages", 200, "application/json", json_answer, -1);

  line = monitor_one_request (fixture, NULL);
  if (!g_regex_match_simple ("^[0-2][0-9]:[0-5][0-9]:[0-5][0-9] anthropic claude-sonnet-4-5-20250929 POST "
                             "/v1/messages\\?beta=true 200 [0-9]+ms in=11 out=3 cache-read=5 agent end_turn\n$", line, 0, 0))
    g_error ("unexpected monitor line: %s", line);

  json = monitor_one_request (fixture, "--json");
  node = json_from_string (json, NULL);
  g_assert_nonnull (node);
  object = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (object, "provider"), ==, "anthropic");
  g_assert_cmpstr (json_object_get_string_member (object, "model"), ==, "claude-sonnet-4-5-20250929");
  g_assert_cmpstr (json_object_get_string_member (object, "method"), ==, "POST");
  g_assert_cmpstr (json_object_get_string_member (object, "path"), ==, "/v1/messages?beta=true");
  g_assert_cmpint (json_object_get_int_member (object, "status"), ==, 200);
  g_assert_cmpint (json_object_get_int_member (object, "duration_us"), >, 0);
  g_assert_cmpstr (json_object_get_string_member (object, "stop_reason"), ==, "end_turn");
  g_assert_cmpstr (json_object_get_string_member (object, "error"), ==, "");
  g_assert_cmpuint (json_object_get_int_member (json_object_get_object_member (object, "usage"), "output_tokens"), ==, 3);
  g_assert_true (g_str_has_suffix (json, "}\n"));
}

/* The first call starts the daemon through the D-Bus service file. */
static void
test_activation (void)
{
  g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) version = NULL;
  g_autoptr(GError) error = NULL;

  g_test_dbus_add_service_dir (bus, g_getenv ("CC_PROXY_TEST_ACTIVATION_DIR"));
  cc_test_dbus_up (bus);
  connection = cc_test_bus_connection (bus);

  reply = g_dbus_connection_call_sync (connection, NAME, PATH, "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", MAIN_IFACE, "Version"), G_VARIANT_TYPE ("(v)"),
                                       G_DBUS_CALL_FLAGS_NONE, 20000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &version);
  g_assert_cmpstr (g_variant_get_string (version, NULL), ==, PACKAGE_VERSION);

  /* The daemon leaves with its bus. */
  g_dbus_connection_close_sync (connection, NULL, NULL);
  g_test_dbus_down (bus);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_summary ("org.ccproxy.Proxy1 on a private session bus, served by the real cc-proxyd");

#define ADD(path, func) g_test_add ("/dbus/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
#define ADD_WITH(path, keyring, func) g_test_add ("/dbus/" path, Fixture, &keyring, fixture_set_up, func, fixture_tear_down)
  ADD ("main-object", test_main_object);
  ADD ("switch-provider", test_switch_provider);
  ADD ("provider-settings", test_provider_settings);
  ADD ("provider-translated-labels", test_translated_labels);
  ADD ("typed-settings", test_typed_settings);
  ADD_WITH ("secret-in-keyring-never-returned", keyring_unlocked, test_secret_never_returned);
  ADD_WITH ("keyring-absent", keyring_none, test_keyring_unavailable);
  ADD_WITH ("cc-proxyctl-log", keyring_none, test_ctl_log);
  ADD_WITH ("keyring-locked", keyring_locked, test_keyring_unavailable);
  ADD ("counters", test_counters);
  ADD ("settings-reach-next-request", test_settings_reach_next_request);
  ADD ("busctl", test_busctl);
  ADD ("routes", test_routes);
  ADD ("statusline", test_statusline);
  ADD_WITH ("cc-proxyctl", keyring_unlocked, test_cc_proxyctl);
  ADD_WITH ("auth-flow", keyring_unlocked, test_auth_flow);
  ADD ("auth-flow/owned-by-caller", test_auth_flow_owned);
  ADD ("auth-flow/caller-leaves", test_auth_flow_caller_leaves);
  ADD ("introspection-documented", test_introspection_documented);
  ADD ("object-manager", test_object_manager);
  ADD ("generated-client", test_generated_client);
  ADD_WITH ("cc-proxyctl-auth", keyring_unlocked, test_ctl_auth);
  ADD_WITH ("cc-proxyctl-auth-copilot", keyring_unlocked_copilot, test_ctl_auth_copilot);
  ADD_WITH ("readme-openai", keyring_unlocked_openai, test_readme_openai);
  ADD_WITH ("cc-proxyctl-auth-without-keyring", keyring_none_copilot, test_ctl_auth_without_keyring);
  ADD ("cc-proxyctl-stop-restart", test_ctl_stop_restart);
  ADD ("cc-proxyctl-claude", test_ctl_claude);
  ADD ("cc-proxyctl-status-last-error", test_ctl_status_last_error);
  ADD ("start-error-is-told", test_start_error_is_told);
  ADD_WITH ("attention-needed", keyring_none_copilot, test_attention_needed);
  ADD_WITH ("reload-rescans", keyring_none_rescan, test_reload_rescans);
  ADD ("traffic/signals", test_traffic_signals);
  ADD ("traffic/to-watchers-only", test_traffic_to_watchers);
  ADD_WITH ("traffic/never-shows-secrets", keyring_unlocked, test_traffic_never_shows_secrets);
  ADD ("traffic/monitor", test_ctl_monitor);
  ADD ("traffic/monitor-follows-restart", test_ctl_monitor_follows_restart);
#undef ADD_WITH
#undef ADD
  g_test_add_func ("/dbus/activation", test_activation);

  return g_test_run ();
}
