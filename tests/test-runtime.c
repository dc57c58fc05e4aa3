/* test-runtime.c: settings precedence, normalisation, snapshots
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include "cc-proxy-runtime.h"
#include "cc-test-util.h"

static CcProxyRegistry *registry;

/* Each runtime gets settings of its own, so that tests do not see each
 * other's values. */
static CcProxyRuntime *
runtime_with_backend (GStrv             env,
                      GSettingsBackend *backend)
{
  g_autoptr(GSettingsBackend) fresh = backend ? g_object_ref (backend) : g_memory_settings_backend_new ();

  return cc_proxy_runtime_new_full (registry, (const char * const *) env, fresh);
}

static CcProxyRuntime *
runtime_with_env (const char *first, ...)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) env = NULL;
  va_list args;

  va_start (args, first);
  for (const char *entry = first; entry != NULL; entry = va_arg (args, const char *))
    g_strv_builder_add (builder, entry);
  va_end (args);

  env = g_strv_builder_end (builder);
  return runtime_with_backend (env, NULL);
}

static void
test_defaults (void)
{
  g_autoptr(CcProxyRuntime) runtime = runtime_with_env (NULL);
  CcProxySnapshot *snapshot = cc_proxy_runtime_get_snapshot (runtime);

  g_assert_cmpstr (cc_proxy_snapshot_get_active_provider (snapshot), ==, "anthropic");
  g_assert_cmpstr (cc_proxy_snapshot_get_value (snapshot, "anthropic", "base-url"), ==, "https://api.anthropic.com");
  g_assert_cmpstr (cc_proxy_snapshot_get_active_base_url (snapshot), ==, "https://api.anthropic.com");
  g_assert_cmpstr (cc_proxy_snapshot_get_value (snapshot, "healthy", "mode"), ==, "alpha");
  g_assert_false (cc_proxy_snapshot_get_boolean (snapshot, "healthy", "flag"));
  g_assert_false (cc_proxy_snapshot_is_from_environment (snapshot, "anthropic", "base-url"));
  g_assert_null (cc_proxy_snapshot_get_value (snapshot, "healthy", "no-such-key"));
  g_assert_null (cc_proxy_runtime_get_fallback_note (runtime));
}

static void
test_environment_wins (void)
{
  /* ANTHROPIC_BASE_URL is how clients reach us: never an upstream. */
  g_autoptr(CcProxyRuntime) runtime = runtime_with_env ("ANTHROPIC_BASE_URL=http://127.0.0.1:3344",
                                                        "ANTHROPIC_UPSTREAM_URL=  http://127.0.0.1:9/api// ",
                                                        "TEST_HEALTHY_FLAG=yes",
                                                        "TEST_HEALTHY_TOKEN=second",
                                                        "TEST_HEALTHY_TOKEN_PRIMARY=first",
                                                        NULL);
  CcProxySnapshot *snapshot = cc_proxy_runtime_get_snapshot (runtime);
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (cc_proxy_snapshot_get_value (snapshot, "anthropic", "base-url"), ==, "http://127.0.0.1:9/api");
  g_assert_true (cc_proxy_snapshot_is_from_environment (snapshot, "anthropic", "base-url"));
  g_assert_true (cc_proxy_snapshot_get_boolean (snapshot, "healthy", "flag"));
  g_assert_cmpstr (cc_proxy_snapshot_get_value (snapshot, "healthy", "token"), ==, "first");

  /* A stored value does not beat the environment... */
  g_assert_true (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (runtime), "healthy", "flag", "off", &error));
  g_assert_no_error (error);
  g_assert_true (cc_proxy_snapshot_get_boolean (cc_proxy_runtime_get_snapshot (runtime), "healthy", "flag"));
  /* ...but does beat the default. */
  g_assert_true (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (runtime), "healthy", "mode", "beta", &error));
  g_assert_cmpstr (cc_proxy_snapshot_get_value (cc_proxy_runtime_get_snapshot (runtime), "healthy", "mode"), ==, "beta");
  g_assert_true (cc_proxy_settings_reset_value (cc_proxy_runtime_get_settings (runtime), "healthy", "mode", &error));
  g_assert_cmpstr (cc_proxy_snapshot_get_value (cc_proxy_runtime_get_snapshot (runtime), "healthy", "mode"), ==, "alpha");
}

static void
test_bad_environment_value_ignored (void)
{
  g_autoptr(CcProxyRuntime) runtime = runtime_with_env ("TEST_HEALTHY_FLAG=sometimes", NULL);

  g_assert_false (cc_proxy_snapshot_get_boolean (cc_proxy_runtime_get_snapshot (runtime), "healthy", "flag"));
  g_assert_false (cc_proxy_snapshot_is_from_environment (cc_proxy_runtime_get_snapshot (runtime), "healthy", "flag"));
}

static void
test_invalid_values (void)
{
  g_autoptr(CcProxyRuntime) runtime = runtime_with_env (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (runtime), "healthy", "flag", "maybe", &error));
  g_assert_error (error, CC_PROXY_SETTINGS_ERROR, CC_PROXY_SETTINGS_ERROR_INVALID_VALUE);
  g_assert_cmpstr (error->message, ==, "“maybe” is not a valid value for flag: use true or false");
  g_clear_error (&error);

  g_assert_false (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (runtime), "healthy", "mode", "gamma", &error));
  g_assert_error (error, CC_PROXY_SETTINGS_ERROR, CC_PROXY_SETTINGS_ERROR_INVALID_VALUE);
  g_assert_cmpstr (error->message, ==, "“gamma” is not a valid value for mode: use one of alpha, beta");
  g_clear_error (&error);

  g_assert_false (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (runtime), "healthy", "colour", "red", &error));
  g_assert_error (error, CC_PROXY_SETTINGS_ERROR, CC_PROXY_SETTINGS_ERROR_UNKNOWN_SETTING);
  g_assert_cmpstr (error->message, ==, "Provider “healthy” has no setting “colour”");
  g_clear_error (&error);

  g_assert_false (cc_proxy_settings_set_active_provider (cc_proxy_runtime_get_settings (runtime), "openai", &error));
  g_assert_error (error, CC_PROXY_SETTINGS_ERROR, CC_PROXY_SETTINGS_ERROR_UNKNOWN_PROVIDER);
  g_assert_cmpstr (error->message, ==,
                   "There is no provider “openai”; known providers: anthropic, healthy, nothandled, failing, hanging");

  /* Nothing changed on failure. */
  g_assert_cmpstr (cc_proxy_snapshot_get_value (cc_proxy_runtime_get_snapshot (runtime), "healthy", "mode"), ==, "alpha");
  g_assert_cmpstr (cc_proxy_snapshot_get_active_provider (cc_proxy_runtime_get_snapshot (runtime)), ==, "anthropic");
}

static void
test_provider_from_environment (void)
{
  g_autoptr(CcProxyRuntime) known = runtime_with_env ("CC_PROXY_PROVIDER=healthy", NULL);
  g_autoptr(CcProxyRuntime) unknown = runtime_with_env ("CC_PROXY_PROVIDER=bogus", NULL);

  g_assert_cmpstr (cc_proxy_snapshot_get_active_provider (cc_proxy_runtime_get_snapshot (known)), ==, "healthy");
  g_assert_cmpstr (cc_proxy_snapshot_get_active_provider (cc_proxy_runtime_get_snapshot (unknown)), ==, "anthropic");
  g_assert_cmpstr (cc_proxy_runtime_get_fallback_note (unknown), ==,
                   "CC_PROXY_PROVIDER=bogus names no known provider "
                   "(known: anthropic, healthy, nothandled, failing, hanging); using anthropic");
}

static void
test_active_base_url (void)
{
  g_autoptr(CcProxyRuntime) runtime = runtime_with_env ("ANTHROPIC_UPSTREAM_URL=http://127.0.0.1:1", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (cc_proxy_settings_set_active_provider (cc_proxy_runtime_get_settings (runtime), "healthy", &error));
  /* healthy's base-url is empty: the anthropic one stands in. */
  g_assert_cmpstr (cc_proxy_snapshot_get_active_base_url (cc_proxy_runtime_get_snapshot (runtime)), ==, "http://127.0.0.1:1");
  g_assert_true (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (runtime), "healthy", "base-url", "http://127.0.0.1:2/", &error));
  g_assert_cmpstr (cc_proxy_snapshot_get_active_base_url (cc_proxy_runtime_get_snapshot (runtime)), ==, "http://127.0.0.1:2");
}

static void
test_uint_values (void)
{
  g_autoptr(CcProxyRuntime) runtime = runtime_with_env (NULL);
  static const struct { const char *text; guint value; } cases[] = {
    { "15", 15 }, { "0", 0 }, { "-3", 0 }, { "abc", 0 }, { "", 0 }, { "99999999999", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (runtime), "healthy", "token", cases[i].text, &error));
      g_assert_cmpuint (cc_proxy_snapshot_get_uint (cc_proxy_runtime_get_snapshot (runtime), "healthy", "token"),
                        ==, cases[i].value);
    }
}

static void
on_changed (CcProxyRuntime *runtime,
            guint          *count)
{
  (*count)++;
}

/* A request holds the snapshot it started with. */
static void
test_snapshot_isolation (void)
{
  g_autoptr(CcProxyRuntime) runtime = runtime_with_env (NULL);
  g_autoptr(CcProxySnapshot) held = cc_proxy_snapshot_ref (cc_proxy_runtime_get_snapshot (runtime));
  g_autoptr(GError) error = NULL;
  guint changes = 0;

  g_signal_connect (runtime, "changed", G_CALLBACK (on_changed), &changes);
  g_assert_true (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (runtime), "healthy", "mode", "beta", &error));
  g_assert_true (cc_proxy_settings_set_active_provider (cc_proxy_runtime_get_settings (runtime), "healthy", &error));

  g_assert_cmpuint (changes, ==, 2);
  g_assert_true (held != cc_proxy_runtime_get_snapshot (runtime));
  g_assert_cmpstr (cc_proxy_snapshot_get_value (held, "healthy", "mode"), ==, "alpha");
  g_assert_cmpstr (cc_proxy_snapshot_get_active_provider (held), ==, "anthropic");
  g_assert_cmpstr (cc_proxy_snapshot_get_value (cc_proxy_runtime_get_snapshot (runtime), "healthy", "mode"), ==, "beta");
  g_assert_cmpstr (cc_proxy_snapshot_get_active_provider (cc_proxy_runtime_get_snapshot (runtime)), ==, "healthy");
}

/* Values are stored in GSettings, and what `gsettings set` changes
 * reaches the next snapshot. */
static void
test_gsettings_storage (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(CcProxyRuntime) runtime = runtime_with_backend (NULL, backend);
  g_autoptr(GSettings) healthy = g_settings_new_with_backend ("org.ccproxy.Proxy.providers.healthy", backend);
  g_autoptr(GSettings) core = g_settings_new_with_backend ("org.ccproxy.Proxy", backend);
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *mode = NULL;

  g_assert_true (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (runtime), "healthy", "mode", "beta", &error));
  g_assert_true (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (runtime), "healthy", "flag", "on", &error));
  g_assert_true (cc_proxy_settings_set_active_provider (cc_proxy_runtime_get_settings (runtime), "healthy", &error));
  g_assert_no_error (error);
  mode = g_settings_get_string (healthy, "mode");
  g_assert_cmpstr (mode, ==, "beta");
  g_assert_true (g_settings_get_boolean (healthy, "flag"));
  g_free (mode);
  mode = g_settings_get_string (core, "active-provider");
  g_assert_cmpstr (mode, ==, "healthy");

  /* The way `gsettings set` changes them. */
  g_settings_set_string (healthy, "mode", "alpha");
  g_settings_set_string (core, "active-provider", "failing");
  g_assert_cmpstr (cc_proxy_snapshot_get_value (cc_proxy_runtime_get_snapshot (runtime), "healthy", "mode"), ==, "alpha");
  g_assert_cmpstr (cc_proxy_snapshot_get_active_provider (cc_proxy_runtime_get_snapshot (runtime)), ==, "failing");

  /* An unknown provider set behind our back is refused; the current one
   * stays, and the note (status, ActiveProviderNote) says why. */
  g_settings_set_string (core, "active-provider", "nonexistent");
  g_assert_cmpstr (cc_proxy_snapshot_get_active_provider (cc_proxy_runtime_get_snapshot (runtime)), ==, "failing");
  g_assert_cmpstr (cc_proxy_runtime_get_fallback_note (runtime), ==,
                   "active-provider is “nonexistent” in GSettings, which names no known provider "
                   "(known: anthropic, healthy, nothandled, failing, hanging); failing stays active");

  /* Secrets have no GSettings key. */
  g_object_get (healthy, "settings-schema", &schema, NULL);
  g_assert_false (g_settings_schema_has_key (schema, "token"));
  g_assert_true (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (runtime), "healthy", "token", "sk-memory-only", &error));
  g_assert_cmpstr (cc_proxy_snapshot_get_value (cc_proxy_runtime_get_snapshot (runtime), "healthy", "token"), ==, "sk-memory-only");

  g_assert_true (cc_proxy_settings_reset_value (cc_proxy_runtime_get_settings (runtime), "healthy", "flag", &error));
  g_assert_null (g_settings_get_user_value (healthy, "flag"));
  g_assert_false (cc_proxy_snapshot_get_boolean (cc_proxy_runtime_get_snapshot (runtime), "healthy", "flag"));
}

static char *
run_gsettings (const char * const *argv,
               int                 expected_status)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (expected_status == 0)
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  else
    g_assert_false (g_spawn_check_wait_status (status, NULL));
  return g_strconcat (out, err, NULL);
}

/* Typed keys: GSettings itself refuses an integer out of its range (the
 * gsettings tool included), and a stored value the setting refuses (a
 * URL GSettings cannot judge) is not used. */
static void
test_typed_storage (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(CcProxyRuntime) runtime = runtime_with_backend (NULL, backend);
  g_autoptr(GSettings) healthy = g_settings_new_with_backend ("org.ccproxy.Proxy.providers.healthy", backend);
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsSchemaKey) key = NULL;
  g_autoptr(GVariant) too_big = g_variant_ref_sink (g_variant_new_int32 (601));
  g_autoptr(GError) error = NULL;
  const char *range[] = { "gsettings", "range", "org.ccproxy.Proxy.providers.healthy", "patience-seconds", NULL };
  const char *set[] = { "gsettings", "set", "org.ccproxy.Proxy.providers.healthy", "patience-seconds", "601", NULL };
  const char *wrong[] = { "gsettings", "set", "org.ccproxy.Proxy.providers.healthy", "patience-seconds", "'soon'", NULL };
  g_autofree char *range_out = run_gsettings (range, 0);
  g_autofree char *set_out = run_gsettings (set, 1);
  g_autofree char *wrong_out = run_gsettings (wrong, 1);

  g_assert_cmpstr (range_out, ==, "range i 0 600\n");
  g_assert_cmpstr (set_out, ==, "The provided value is outside of the valid range\n");
  g_assert_nonnull (strstr (wrong_out, "type"));

  g_object_get (healthy, "settings-schema", &schema, NULL);
  key = g_settings_schema_get_key (schema, "patience-seconds");
  g_assert_false (g_settings_schema_key_range_check (key, too_big));

  /* Stored as an integer, read as its text. */
  g_assert_true (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (runtime), "healthy", "patience-seconds", "90", &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_settings_get_int (healthy, "patience-seconds"), ==, 90);
  g_settings_set_int (healthy, "patience-seconds", 120);
  g_assert_cmpstr (cc_proxy_snapshot_get_value (cc_proxy_runtime_get_snapshot (runtime), "healthy", "patience-seconds"),
                   ==, "120");
  g_assert_cmpuint (cc_proxy_snapshot_get_uint (cc_proxy_runtime_get_snapshot (runtime), "healthy", "patience-seconds"),
                    ==, 120);

  /* A URL GSettings took but the setting refuses: the default is used. */
  g_assert_true (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (runtime), "healthy", "base-url", "http://127.0.0.1:8/", &error));
  g_assert_cmpstr (cc_proxy_snapshot_get_value (cc_proxy_runtime_get_snapshot (runtime), "healthy", "base-url"),
                   ==, "http://127.0.0.1:8");
  g_settings_set_string (healthy, "base-url", "file:///etc/passwd");
  g_assert_cmpstr (cc_proxy_snapshot_get_value (cc_proxy_runtime_get_snapshot (runtime), "healthy", "base-url"), ==, "");
  g_assert_false (cc_proxy_settings_set_value (cc_proxy_runtime_get_settings (runtime), "healthy", "base-url", "file:///etc/passwd", &error));
  g_assert_error (error, CC_PROXY_SETTINGS_ERROR, CC_PROXY_SETTINGS_ERROR_INVALID_VALUE);
}

/* gsettings list-recursively org.ccproxy.Proxy shows the built-in
 * providers' settings too, with their native types. */
static void
test_provider_schemas_under_core (void)
{
  const char *list[] = { "gsettings", "list-recursively", "org.ccproxy.Proxy", NULL };
  g_autofree char *out = run_gsettings (list, 0);

  g_assert_nonnull (strstr (out, "org.ccproxy.Proxy active-provider "));
  g_assert_nonnull (strstr (out, "\norg.ccproxy.Proxy.providers.anthropic base-url 'https://api.anthropic.com'\n"));
  g_assert_nonnull (strstr (out, "\norg.ccproxy.Proxy.providers.copilot rate-limit-seconds 0\n"));
}

/* The environment wins, and is never written anywhere. */
static void
test_environment_not_stored (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  char *env[] = { (char *) "TEST_HEALTHY_URL=http://127.0.0.1:7/", (char *) "CC_PROXY_PROVIDER=healthy", NULL };
  g_autoptr(CcProxyRuntime) runtime = runtime_with_backend (env, backend);
  g_autoptr(GSettings) healthy = g_settings_new_with_backend ("org.ccproxy.Proxy.providers.healthy", backend);
  g_autoptr(GSettings) core = g_settings_new_with_backend ("org.ccproxy.Proxy", backend);

  g_assert_cmpstr (cc_proxy_snapshot_get_value (cc_proxy_runtime_get_snapshot (runtime), "healthy", "base-url"), ==,
                   "http://127.0.0.1:7");
  g_assert_cmpstr (cc_proxy_snapshot_get_active_provider (cc_proxy_runtime_get_snapshot (runtime)), ==, "healthy");
  g_assert_null (g_settings_get_user_value (healthy, "base-url"));
  g_assert_null (g_settings_get_user_value (core, "active-provider"));
}

/* The compiled schema of every provider agrees with its descriptor. */
static void
test_schemas_match_descriptors (void)
{
  GPtrArray *providers = cc_proxy_registry_get_providers (registry);
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  guint checked = 0;

  g_assert_nonnull (source);
  for (guint i = 0; i < providers->len; i++)
    {
      CcProxyProviderDescriptor *descriptor = cc_proxy_provider_get_descriptor (g_ptr_array_index (providers, i));
      g_autofree char *schema_id = g_strconcat ("org.ccproxy.Proxy.providers.",
                                                cc_proxy_provider_descriptor_get_id (descriptor), NULL);
      g_autoptr(GSettingsSchema) schema = g_settings_schema_source_lookup (source, schema_id, TRUE);
      g_auto(GStrv) keys = NULL;
      guint expected_keys = 0;

      if (cc_proxy_provider_descriptor_get_n_settings (descriptor) == 0)
        continue;
      g_assert_nonnull (schema);
      checked++;

      for (guint j = 0; j < cc_proxy_provider_descriptor_get_n_settings (descriptor); j++)
        {
          CcProxySettingDescriptor *setting = cc_proxy_provider_descriptor_get_setting (descriptor, j);
          const char *key = cc_proxy_setting_descriptor_get_key (setting);
          g_autoptr(GSettingsSchemaKey) schema_key = NULL;
          g_autoptr(GVariant) def = NULL;
          g_autoptr(GVariant) range = NULL;

          if (cc_proxy_setting_descriptor_is_secret (setting))
            {
              g_assert_false (g_settings_schema_has_key (schema, key));
              continue;
            }
          expected_keys++;
          g_assert_true (g_settings_schema_has_key (schema, key));
          schema_key = g_settings_schema_get_key (schema, key);
          def = g_settings_schema_key_get_default_value (schema_key);
          switch (cc_proxy_setting_descriptor_get_kind (setting))
            {
            case CC_PROXY_SETTING_KIND_BOOL:
              g_assert_true (g_variant_is_of_type (def, G_VARIANT_TYPE_BOOLEAN));
              g_assert_cmpstr (g_variant_get_boolean (def) ? "true" : "false", ==, cc_proxy_setting_descriptor_get_default (setting));
              break;
            case CC_PROXY_SETTING_KIND_INT:
              {
                g_autoptr(GVariant) bounds = NULL;
                g_autofree char *range_type = NULL;
                g_autofree char *text = NULL;
                gint minimum, maximum, low, high;

                /* A native integer key whose range is the descriptor's. */
                g_assert_true (g_variant_is_of_type (def, G_VARIANT_TYPE_INT32));
                text = g_strdup_printf ("%d", g_variant_get_int32 (def));
                g_assert_cmpstr (text, ==, cc_proxy_setting_descriptor_get_default (setting));
                g_assert_true (cc_proxy_setting_descriptor_get_range (setting, &minimum, &maximum));
                range = g_settings_schema_key_get_range (schema_key);
                g_variant_get (range, "(sv)", &range_type, &bounds);
                g_assert_cmpstr (range_type, ==, "range");
                g_variant_get (bounds, "(ii)", &low, &high);
                g_assert_cmpint (low, ==, minimum);
                g_assert_cmpint (high, ==, maximum);
              }
              break;
            case CC_PROXY_SETTING_KIND_SELECT:
              {
                const char * const *options = cc_proxy_setting_descriptor_get_options (setting);
                g_autoptr(GVariant) choices = NULL;
                g_autofree char *range_type = NULL;

                range = g_settings_schema_key_get_range (schema_key);
                g_variant_get (range, "(sv)", &range_type, &choices);
                g_assert_cmpstr (range_type, ==, "enum");
                g_assert_cmpuint (g_variant_n_children (choices), ==, g_strv_length ((char **) options));
                for (guint k = 0; options[k] != NULL; k++)
                  {
                    g_autofree char *choice = NULL;

                    g_variant_get_child (choices, k, "s", &choice);
                    g_assert_cmpstr (choice, ==, options[k]);
                  }
              }
              G_GNUC_FALLTHROUGH;
            case CC_PROXY_SETTING_KIND_TEXT:
            case CC_PROXY_SETTING_KIND_URL:
            default:
              g_assert_true (g_variant_is_of_type (def, G_VARIANT_TYPE_STRING));
              g_assert_cmpstr (g_variant_get_string (def, NULL), ==, cc_proxy_setting_descriptor_get_default (setting));
              break;
            }
        }

      keys = g_settings_schema_list_keys (schema);
      g_assert_cmpuint (g_strv_length (keys), ==, expected_keys);
    }
  /* anthropic, healthy, nothandled */
  g_assert_cmpuint (checked, ==, 3);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Settings: environment over stored over default, normalised, in immutable snapshots");

  registry = cc_proxy_registry_new ();
  cc_proxy_registry_load_modules (registry, cc_test_module_dir ());

  g_test_add_func ("/runtime/defaults", test_defaults);
  g_test_add_func ("/runtime/environment-wins", test_environment_wins);
  g_test_add_func ("/runtime/bad-environment-value-ignored", test_bad_environment_value_ignored);
  g_test_add_func ("/runtime/invalid-values", test_invalid_values);
  g_test_add_func ("/runtime/provider-from-environment", test_provider_from_environment);
  g_test_add_func ("/runtime/active-base-url", test_active_base_url);
  g_test_add_func ("/runtime/uint-values", test_uint_values);
  g_test_add_func ("/runtime/snapshot-isolation", test_snapshot_isolation);
  g_test_add_func ("/runtime/gsettings-storage", test_gsettings_storage);
  g_test_add_func ("/runtime/environment-not-stored", test_environment_not_stored);
  g_test_add_func ("/runtime/schemas-match-descriptors", test_schemas_match_descriptors);
  g_test_add_func ("/runtime/typed-storage", test_typed_storage);
  g_test_add_func ("/runtime/provider-schemas-under-core", test_provider_schemas_under_core);

  status = g_test_run ();
  g_object_unref (registry);
  return status;
}
