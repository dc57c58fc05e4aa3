/* cc-proxy-module-info.c: provider descriptors as data
 *
 * A module that runs in a provider host must be known before its host
 * has loaded it: cc-proxyd lists it, builds its settings and takes its
 * requests while the host starts, and a module that crashes or hangs as
 * it loads must not take the daemon with it. So the build writes each
 * module's descriptor into a file beside it (cc-proxy-schema-gen
 * --descriptor), the way libpeas plugins carry a .plugin file; the host
 * checks the file against the module when it loads.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "cc-proxy-module-info.h"
#include "cc-proxy-registry.h"

/* 2: routes */
#define FORMAT_VERSION 2
#define SETTING_TYPE "(sssusasbasiis)"
/* path, methods ("" for any), JSON body */
#define ROUTE_TYPE "(ssb)"

static GVariant *
describe_setting (CcProxySettingDescriptor *setting)
{
  gint minimum = 0, maximum = 0;
  const char *unit = cc_proxy_setting_descriptor_get_unit (setting);

  cc_proxy_setting_descriptor_get_range (setting, &minimum, &maximum);
  return g_variant_new ("(sssus^asb^asiis)",
                        cc_proxy_setting_descriptor_get_key (setting),
                        cc_proxy_setting_descriptor_get_label (setting),
                        cc_proxy_setting_descriptor_get_description (setting),
                        (guint32) cc_proxy_setting_descriptor_get_kind (setting),
                        cc_proxy_setting_descriptor_get_default (setting),
                        cc_proxy_setting_descriptor_get_options (setting),
                        cc_proxy_setting_descriptor_is_secret (setting),
                        cc_proxy_setting_descriptor_get_env_vars (setting),
                        minimum, maximum, unit ? unit : "");
}

/**
 * cc_proxy_module_info_describe:
 * @provider: a loaded provider
 *
 * Returns: (transfer floating): @provider's descriptor, and whether it
 *   can sign in, as an `a{sv}`
 */
GVariant *
cc_proxy_module_info_describe (CcProxyProvider *provider)
{
  CcProxyProviderDescriptor *descriptor = cc_proxy_provider_get_descriptor (provider);
  g_auto(GVariantBuilder) info = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_auto(GVariantBuilder) settings = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a" SETTING_TYPE));
  g_auto(GVariantBuilder) routes = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a" ROUTE_TYPE));

  for (guint i = 0; i < cc_proxy_provider_descriptor_get_n_settings (descriptor); i++)
    g_variant_builder_add_value (&settings, describe_setting (cc_proxy_provider_descriptor_get_setting (descriptor, i)));

  g_variant_builder_add (&info, "{sv}", "format", g_variant_new_uint32 (FORMAT_VERSION));
  g_variant_builder_add (&info, "{sv}", "id", g_variant_new_string (cc_proxy_provider_descriptor_get_id (descriptor)));
  g_variant_builder_add (&info, "{sv}", "display-name",
                         g_variant_new_string (cc_proxy_provider_descriptor_get_display_name (descriptor)));
  g_variant_builder_add (&info, "{sv}", "auth-capable", g_variant_new_boolean (CC_PROXY_IS_AUTH_CAPABLE (provider)));
  g_variant_builder_add (&info, "{sv}", "settings", g_variant_builder_end (&settings));
  for (guint i = 0; i < cc_proxy_provider_descriptor_get_n_routes (descriptor); i++)
    {
      const char *methods = NULL;
      gboolean json_body = FALSE;
      const char *path = cc_proxy_provider_descriptor_get_route (descriptor, i, &methods, &json_body);

      g_variant_builder_add (&routes, "(ssb)", path, methods ? methods : "", json_body);
    }
  g_variant_builder_add (&info, "{sv}", "routes", g_variant_builder_end (&routes));
  return g_variant_builder_end (&info);
}

static CcProxySettingDescriptor *
parse_setting (GVariant *tuple)
{
  const char *key, *label, *description, *default_value, *unit;
  g_autoptr(GVariant) options_variant = NULL;
  g_autoptr(GVariant) env_variant = NULL;
  g_autofree const char **options = NULL;
  g_autofree const char **env_vars = NULL;
  guint32 kind;
  gboolean secret;
  gint32 minimum, maximum;
  gint64 number = 0;

  g_variant_get (tuple, "(&s&s&su&s@asb@asii&s)", &key, &label, &description, &kind, &default_value,
                 &options_variant, &secret, &env_variant, &minimum, &maximum, &unit);
  options = g_variant_get_strv (options_variant, NULL);
  env_vars = g_variant_get_strv (env_variant, NULL);
  if (kind != CC_PROXY_SETTING_KIND_INT)
    return cc_proxy_setting_descriptor_new (key, label, description, kind, default_value,
                                            options, secret, env_vars);

  g_ascii_string_to_signed (default_value, 10, G_MININT32, G_MAXINT32, &number, NULL);
  return cc_proxy_setting_descriptor_new_int (key, label, description, (gint) number, minimum, maximum,
                                              unit[0] != '\0' ? unit : NULL, env_vars);
}

/**
 * cc_proxy_module_info_parse:
 * @info: what cc_proxy_module_info_describe() made
 * @auth_capable: (out): whether the provider can sign in
 *
 * Returns: (transfer full): the descriptor, validated
 */
CcProxyProviderDescriptor *
cc_proxy_module_info_parse (GVariant  *info,
                            gboolean  *auth_capable,
                            GError   **error)
{
  g_autoptr(GVariant) settings = NULL;
  g_autoptr(GVariant) routes = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  g_autoptr(CcProxyProviderDescriptor) descriptor = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *id = NULL, *display_name = NULL;
  guint32 format = 0;

  if (!g_variant_is_of_type (info, G_VARIANT_TYPE_VARDICT) ||
      !g_variant_lookup (info, "format", "u", &format) || format != FORMAT_VERSION ||
      !g_variant_lookup (info, "id", "&s", &id) ||
      !g_variant_lookup (info, "display-name", "&s", &display_name) ||
      !g_variant_lookup (info, "auth-capable", "b", auth_capable) ||
      (settings = g_variant_lookup_value (info, "settings", G_VARIANT_TYPE ("a" SETTING_TYPE))) == NULL ||
      (routes = g_variant_lookup_value (info, "routes", G_VARIANT_TYPE ("a" ROUTE_TYPE))) == NULL)
    {
      g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_INVALID_DESCRIPTOR,
                   _("not a provider descriptor of format %u"), FORMAT_VERSION);
      return NULL;
    }

  for (gsize i = 0; i < g_variant_n_children (settings); i++)
    {
      g_autoptr(GVariant) tuple = g_variant_get_child_value (settings, i);

      g_ptr_array_add (items, parse_setting (tuple));
    }
  g_ptr_array_add (items, NULL);
  descriptor = cc_proxy_provider_descriptor_new (id, display_name, (CcProxySettingDescriptor **) items->pdata);
  for (gsize i = 0; i < g_variant_n_children (routes); i++)
    {
      const char *path, *methods;
      gboolean json_body;

      g_variant_get_child (routes, i, "(&s&sb)", &path, &methods, &json_body);
      cc_proxy_provider_descriptor_add_route (descriptor, path, methods[0] != '\0' ? methods : NULL, json_body);
    }
  if (!cc_proxy_provider_descriptor_validate (descriptor, &local_error))
    {
      g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_INVALID_DESCRIPTOR,
                   _("invalid descriptor: %s"), local_error->message);
      return NULL;
    }
  return g_steal_pointer (&descriptor);
}

/**
 * cc_proxy_module_info_load:
 * @path: a descriptor file, as cc-proxy-schema-gen --descriptor writes it
 * @auth_capable: (out): whether the provider can sign in
 *
 * Returns: (transfer full): the descriptor, validated
 */
CcProxyProviderDescriptor *
cc_proxy_module_info_load (const char  *path,
                           gboolean    *auth_capable,
                           GError     **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  info = g_variant_parse (G_VARIANT_TYPE_VARDICT, text, NULL, NULL, &local_error);
  if (info == NULL)
    {
      g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_INVALID_DESCRIPTOR,
                   _("%s is not a provider descriptor: %s"), path, local_error->message);
      return NULL;
    }
  return cc_proxy_module_info_parse (info, auth_capable, error);
}

/**
 * cc_proxy_module_info_signature:
 * @descriptor: a provider's descriptor
 * @auth_capable: whether it signs in
 *
 * What a module and its descriptor file must agree on: the id, whether
 * it signs in, each setting's key, kind and secrecy, each route. Labels
 * are left out: they are translated.
 *
 * Returns: (transfer full): the signature
 */
char *
cc_proxy_module_info_signature (CcProxyProviderDescriptor *descriptor,
                                gboolean                   auth_capable)
{
  GString *signature = g_string_new (cc_proxy_provider_descriptor_get_id (descriptor));

  g_string_append (signature, auth_capable ? " auth" : "");
  for (guint i = 0; i < cc_proxy_provider_descriptor_get_n_settings (descriptor); i++)
    {
      CcProxySettingDescriptor *setting = cc_proxy_provider_descriptor_get_setting (descriptor, i);

      g_string_append_printf (signature, " %s:%u%s", cc_proxy_setting_descriptor_get_key (setting),
                              (guint) cc_proxy_setting_descriptor_get_kind (setting),
                              cc_proxy_setting_descriptor_is_secret (setting) ? ":secret" : "");
    }
  for (guint i = 0; i < cc_proxy_provider_descriptor_get_n_routes (descriptor); i++)
    {
      const char *methods = NULL;
      gboolean json_body = FALSE;
      const char *path = cc_proxy_provider_descriptor_get_route (descriptor, i, &methods, &json_body);

      g_string_append_printf (signature, " route:%s:%s%s", path, methods ? methods : "*", json_body ? ":json" : "");
    }
  return g_string_free (signature, FALSE);
}

/**
 * cc_proxy_module_info_path_for:
 * @module_path: a provider module ("…/copilot.so")
 *
 * Returns: (transfer full): where its descriptor file is ("…/copilot.descriptor")
 */
char *
cc_proxy_module_info_path_for (const char *module_path)
{
  const char *dot = strrchr (module_path, '.');
  const char *slash = strrchr (module_path, G_DIR_SEPARATOR);
  gsize stem = (dot != NULL && (slash == NULL || dot > slash)) ? (gsize) (dot - module_path) : strlen (module_path);
  g_autofree char *base = g_strndup (module_path, stem);

  return g_strconcat (base, CC_PROXY_MODULE_INFO_SUFFIX, NULL);
}
