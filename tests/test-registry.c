/* test-registry.c: load-time containment of broken provider modules
 *
 * One registry per process: GType registrations cannot be undone, so the
 * test module directory is loaded once in main() and each case checks
 * its module's recorded error. GTest makes warnings fatal here, which is
 * the point: a broken plugin must not abort the service.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "cc-proxy-registry.h"
#include "cc-test-util.h"

static CcProxyRegistry *registry;

static void
assert_load_error (const char *module,
                   const char *expected)
{
  const char *message = g_hash_table_lookup (cc_proxy_registry_get_load_errors (registry), module);

  g_assert_cmpstr (message, ==, expected);
}

static void
test_healthy_providers (void)
{
  static const char * const expected[] = { "anthropic", "healthy", "nothandled", "failing", "hanging", NULL };
  GPtrArray *providers = cc_proxy_registry_get_providers (registry);
  g_autofree char *ids = cc_proxy_registry_dup_known_ids (registry);

  g_assert_cmpuint (providers->len, ==, g_strv_length ((char **) expected));
  for (guint i = 0; expected[i] != NULL; i++)
    g_assert_nonnull (cc_proxy_registry_lookup (registry, expected[i]));
  g_assert_cmpstr (ids, ==, "anthropic, healthy, nothandled, failing, hanging");
  /* Ten broken modules, ten errors: none is silently skipped. */
  g_assert_cmpuint (g_hash_table_size (cc_proxy_registry_get_load_errors (registry)), ==, 12);
}

static void
test_duplicate_id_first_wins (void)
{
  CcProxyProvider *healthy = cc_proxy_registry_lookup (registry, "healthy");

  assert_load_error ("51-dupid.so", "duplicate provider id “healthy”: the first provider with this id is kept");
  g_assert_cmpstr (cc_proxy_provider_descriptor_get_display_name (cc_proxy_provider_get_descriptor (healthy)),
                   ==, "Healthy");
}

static void
test_empty_id (void)
{
  assert_load_error ("50-emptyid.so", "the provider id is empty");
}

static void
test_invalid_descriptors (void)
{
  assert_load_error ("52-emptykey.so", "invalid descriptor: a setting has an empty key");
  assert_load_error ("53-dupkey.so", "invalid descriptor: setting key “url” is declared twice");
  assert_load_error ("54-selectnoopts.so", "invalid descriptor: select setting “choice” has no options");
  assert_load_error ("55-baddefault.so", "invalid descriptor: default “gamma” of setting “mode” is not among its options");
}

static void
test_registered_nothing (void)
{
  assert_load_error ("56-nothing.so", "the module registered no provider on the “cc-proxy-provider” extension point");
}

static void
test_factory_failed (void)
{
  assert_load_error ("57-factory.so", "the provider could not be created: its configuration file is missing");
}

static void
test_no_load_function (void)
{
  assert_load_error ("58-noload.so", "not a provider module: it has no g_io_module_load()/g_io_module_unload() function");
}

static void
test_future_api_version (void)
{
  g_autofree char *expected = g_strdup_printf ("built for provider API %d; this cc-proxyd speaks provider API %d",
                                               CC_PROXY_API_VERSION + 1, CC_PROXY_API_VERSION);

  /* The module aborts if its load function runs: refused before that. */
  assert_load_error ("60-future.so", expected);
}

static void
test_no_api_version (void)
{
  g_autofree char *expected = g_strdup_printf ("no provider API version: the module does not say "
                                               "CC_PROXY_PROVIDER_MODULE; rebuild it against cc-proxy-%d",
                                               CC_PROXY_API_VERSION);

  assert_load_error ("61-noversion.so", expected);
}

static void
test_not_a_shared_object (void)
{
  const char *message = g_hash_table_lookup (cc_proxy_registry_get_load_errors (registry), "59-notelf.so");

  g_assert_nonnull (message);
  g_assert_true (g_str_has_prefix (message, "could not be opened: "));
  g_assert_nonnull (strstr (message, "59-notelf.so"));
}

/* Descriptor files (what cc-proxyd reads for a module that runs in a
 * host) that are stale or broken: each refused with its reason, the
 * good one beside them loaded. Nothing is opened: hosted modules never
 * are in the daemon. */
static void
test_descriptor_files (void)
{
  static const struct { const char *name, *text, *error; } files[] = {
    { "stale", "{'format': <uint32 2>, 'id': <'stale'>}\n", "stale.descriptor is not a provider descriptor: " },
    { "old", "[Provider]\nFormat=2\nId=old\nName=Old\nAuthCapable=false\n",
      "not a provider descriptor of format 3: write it again with cc-proxy-schema-gen --descriptor" },
    { "kind", "[Provider]\nFormat=3\nId=kind\nName=Kind\nAuthCapable=false\n"
              "[Setting colour]\nLabel=Colour\nDescription=\nKind=colour\nDefault=\nSecret=false\n",
      "[Setting colour] has no known Kind (text, bool, select, integer or url)" },
    { "route", "[Provider]\nFormat=3\nId=route\nName=Route\nAuthCapable=false\n[Route v1/messages]\nJsonBody=true\n",
      "invalid descriptor: route “v1/messages” is not a request path (one that starts with “/”, without a query)" },
    { "good", "[Provider]\nFormat=3\nId=good\nName=Good\nAuthCapable=false\n"
              "[Setting level]\nLabel=Level\nDescription=How much.\nKind=integer\nDefault=3\nSecret=false\n"
              "Minimum=0\nMaximum=9\nUnit=steps\n[Route /v1/messages]\nMethods=POST\nJsonBody=true\n", NULL },
  };
  g_autoptr(CcProxyRegistry) hosted = cc_proxy_registry_new ();
  g_autofree char *dir = g_dir_make_tmp ("cc-proxy-descriptors-XXXXXX", NULL);
  CcProxyProvider *good;
  CcProxySettingDescriptor *level;
  const char *methods = NULL;
  gint minimum = 0, maximum = 0;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *module = g_strdup_printf ("%s/%s.so", dir, files[i].name);
      g_autofree char *descriptor = g_strdup_printf ("%s/%s.descriptor", dir, files[i].name);

      g_assert_true (g_file_set_contents (module, "", 0, NULL));
      g_assert_true (g_file_set_contents (descriptor, files[i].text, -1, NULL));
    }
  cc_proxy_registry_set_host_program (hosted, "/nonexistent/cc-proxy-provider-host");
  cc_proxy_registry_load_modules (hosted, dir);

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *module = g_strdup_printf ("%s.so", files[i].name);
      const char *message = g_hash_table_lookup (cc_proxy_registry_get_load_errors (hosted), module);

      if (files[i].error == NULL)
        {
          g_assert_null (message);
          continue;
        }
      g_assert_nonnull (message);
      g_assert_nonnull (strstr (message, files[i].error));
    }

  good = cc_proxy_registry_lookup (hosted, "good");
  g_assert_nonnull (good);
  level = cc_proxy_provider_descriptor_lookup_setting (cc_proxy_provider_get_descriptor (good), "level");
  g_assert_nonnull (level);
  g_assert_cmpint (cc_proxy_setting_descriptor_get_kind (level), ==, CC_PROXY_SETTING_KIND_INT);
  g_assert_true (cc_proxy_setting_descriptor_get_range (level, &minimum, &maximum));
  g_assert_cmpint (minimum, ==, 0);
  g_assert_cmpint (maximum, ==, 9);
  g_assert_cmpstr (cc_proxy_setting_descriptor_get_unit (level), ==, "steps");
  g_assert_true (cc_proxy_provider_handles_path (good, "/v1/messages"));
  g_assert_false (cc_proxy_provider_handles_path (good, "/v1/models"));
  g_assert_true (cc_proxy_provider_descriptor_find_route (cc_proxy_provider_get_descriptor (good), "/v1/messages",
                                                          &methods, NULL));
  g_assert_cmpstr (methods, ==, "POST");
  cc_test_remove_tree (dir);
}

static void
test_missing_directory (void)
{
  g_autoptr(CcProxyRegistry) empty = cc_proxy_registry_new ();

  cc_proxy_registry_load_modules (empty, "/nonexistent/cc-proxy/providers");
  g_assert_cmpuint (cc_proxy_registry_get_providers (empty)->len, ==, 1);
  g_assert_cmpuint (g_hash_table_size (cc_proxy_registry_get_load_errors (empty)), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_summary ("Broken provider modules are recorded, one error each, and the healthy ones serve");

  registry = cc_proxy_registry_new ();
  cc_proxy_registry_load_modules (registry, cc_test_module_dir ());

  g_test_add_func ("/registry/healthy-providers", test_healthy_providers);
  g_test_add_func ("/registry/duplicate-id-first-wins", test_duplicate_id_first_wins);
  g_test_add_func ("/registry/empty-id", test_empty_id);
  g_test_add_func ("/registry/invalid-descriptors", test_invalid_descriptors);
  g_test_add_func ("/registry/registered-nothing", test_registered_nothing);
  g_test_add_func ("/registry/factory-failed", test_factory_failed);
  g_test_add_func ("/registry/no-load-function", test_no_load_function);
  g_test_add_func ("/registry/future-api-version", test_future_api_version);
  g_test_add_func ("/registry/no-api-version", test_no_api_version);
  g_test_add_func ("/registry/not-a-shared-object", test_not_a_shared_object);
  g_test_add_func ("/registry/missing-directory", test_missing_directory);
  g_test_add_func ("/registry/descriptor-files", test_descriptor_files);

  status = g_test_run ();
  g_object_unref (registry);
  return status;
}
