/* test-registry.c: load-time containment of broken provider modules
 *
 * One registry per process: GType registrations cannot be undone, so the
 * test module directory is loaded once in main() and each case checks
 * its module's recorded error. GTest makes warnings fatal here, which is
 * the point: a broken plugin must not abort the service.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
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
  /* The module aborts if its load function runs: refused before that. */
  assert_load_error ("60-future.so", "built for provider API 2; this cc-proxyd speaks provider API 1");
}

static void
test_no_api_version (void)
{
  assert_load_error ("61-noversion.so",
                     "no provider API version: the module does not say CC_PROXY_PROVIDER_MODULE; rebuild it against cc-proxy-1");
}

static void
test_not_a_shared_object (void)
{
  const char *message = g_hash_table_lookup (cc_proxy_registry_get_load_errors (registry), "59-notelf.so");

  g_assert_nonnull (message);
  g_assert_true (g_str_has_prefix (message, "could not be opened: "));
  g_assert_nonnull (strstr (message, "59-notelf.so"));
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

  status = g_test_run ();
  g_object_unref (registry);
  return status;
}
