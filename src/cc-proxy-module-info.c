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
 * The file is a key file, as a .plugin or .desktop file is:
 *
 *   [Provider]
 *   Format=3
 *   Id=copilot
 *   Name=GitHub Copilot
 *   AuthCapable=true
 *
 *   [Setting base-url]          one group per setting, in their order
 *   Label=Copilot API URL
 *   Description=Where Copilot's API is…
 *   Kind=url                    text, bool, select, integer or url
 *   Default=
 *   Secret=false
 *   EnvironmentVariables=CC_PROXY_COPILOT_BASE_URL;
 *   Options=…;  Minimum=…  Maximum=…  Unit=…   (select, integer)
 *
 *   [Route /v1/messages]        one group per path the provider serves
 *   Methods=POST                absent: any
 *   JsonBody=true
 *
 * Name, Label and Description are localestrings: translations merged in
 * by msgfmt --desktop (Name[de]=…) are read for the user's languages.
 * A host says Hello with the same text, made from the loaded module
 * (cc_proxy_module_info_to_key_file()), and cc-proxyd reads it with the
 * same reader (cc_proxy_module_info_load_data()): one format, one reader.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "cc-proxy-module-info.h"
#include "cc-proxy-registry.h"

#define PROVIDER_GROUP "Provider"
#define SETTING_PREFIX "Setting "
#define ROUTE_PREFIX "Route "
/* 3: a key file (2 had routes, 1 was an a{sv} GVariant text) */
#define FILE_FORMAT 3

static const char * const kind_names[] = { "text", "bool", "select", "integer", "url" };

/**
 * cc_proxy_module_info_kind_name:
 *
 * Returns: the name of @kind in descriptor files and on the bus
 */
const char *
cc_proxy_module_info_kind_name (CcProxySettingKind kind)
{
  return (guint) kind < G_N_ELEMENTS (kind_names) ? kind_names[kind] : "text";
}

static gboolean
kind_from_name (const char         *name,
                CcProxySettingKind *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (kind_names); i++)
    if (g_strcmp0 (name, kind_names[i]) == 0)
      {
        *kind = (CcProxySettingKind) i;
        return TRUE;
      }
  return FALSE;
}

/**
 * cc_proxy_module_info_to_key_file:
 * @provider: a loaded provider
 *
 * Returns: (transfer full): its descriptor file's text
 */
char *
cc_proxy_module_info_to_key_file (CcProxyProvider *provider)
{
  CcProxyProviderDescriptor *descriptor = cc_proxy_provider_get_descriptor (provider);
  g_autoptr(GKeyFile) file = g_key_file_new ();

  g_key_file_set_integer (file, PROVIDER_GROUP, "Format", FILE_FORMAT);
  g_key_file_set_string (file, PROVIDER_GROUP, "Id", cc_proxy_provider_descriptor_get_id (descriptor));
  g_key_file_set_string (file, PROVIDER_GROUP, "Name", cc_proxy_provider_descriptor_get_display_name (descriptor));
  g_key_file_set_boolean (file, PROVIDER_GROUP, "AuthCapable", CC_PROXY_IS_AUTH_CAPABLE (provider));

  for (guint i = 0; i < cc_proxy_provider_descriptor_get_n_settings (descriptor); i++)
    {
      CcProxySettingDescriptor *setting = cc_proxy_provider_descriptor_get_setting (descriptor, i);
      g_autofree char *group = g_strconcat (SETTING_PREFIX, cc_proxy_setting_descriptor_get_key (setting), NULL);
      CcProxySettingKind kind = cc_proxy_setting_descriptor_get_kind (setting);
      const char * const *env_vars = cc_proxy_setting_descriptor_get_env_vars (setting);
      const char *unit = cc_proxy_setting_descriptor_get_unit (setting);

      g_key_file_set_string (file, group, "Label", cc_proxy_setting_descriptor_get_label (setting));
      g_key_file_set_string (file, group, "Description", cc_proxy_setting_descriptor_get_description (setting));
      g_key_file_set_string (file, group, "Kind", cc_proxy_module_info_kind_name (kind));
      g_key_file_set_string (file, group, "Default", cc_proxy_setting_descriptor_get_default (setting));
      g_key_file_set_boolean (file, group, "Secret", cc_proxy_setting_descriptor_is_secret (setting));
      if (env_vars != NULL && env_vars[0] != NULL)
        g_key_file_set_string_list (file, group, "EnvironmentVariables", env_vars, g_strv_length ((char **) env_vars));
      if (kind == CC_PROXY_SETTING_KIND_SELECT)
        {
          const char * const *options = cc_proxy_setting_descriptor_get_options (setting);

          g_key_file_set_string_list (file, group, "Options", options, g_strv_length ((char **) options));
        }
      if (kind == CC_PROXY_SETTING_KIND_INT)
        {
          gint minimum = 0, maximum = 0;

          cc_proxy_setting_descriptor_get_range (setting, &minimum, &maximum);
          g_key_file_set_integer (file, group, "Minimum", minimum);
          g_key_file_set_integer (file, group, "Maximum", maximum);
          if (unit != NULL)
            g_key_file_set_string (file, group, "Unit", unit);
        }
    }

  for (guint i = 0; i < cc_proxy_provider_descriptor_get_n_routes (descriptor); i++)
    {
      const char *methods = NULL;
      gboolean json_body = FALSE;
      const char *path = cc_proxy_provider_descriptor_get_route (descriptor, i, &methods, &json_body);
      g_autofree char *group = g_strconcat (ROUTE_PREFIX, path, NULL);

      if (methods != NULL)
        g_key_file_set_string (file, group, "Methods", methods);
      g_key_file_set_boolean (file, group, "JsonBody", json_body);
    }

  return g_key_file_to_data (file, NULL, NULL);
}

static CcProxySettingDescriptor *
read_setting (GKeyFile    *file,
              const char  *group,
              GError     **error)
{
  const char *key = group + strlen (SETTING_PREFIX);
  g_autofree char *label = g_key_file_get_locale_string (file, group, "Label", NULL, NULL);
  g_autofree char *description = g_key_file_get_locale_string (file, group, "Description", NULL, NULL);
  g_autofree char *kind_name = g_key_file_get_string (file, group, "Kind", NULL);
  g_autofree char *default_value = g_key_file_get_string (file, group, "Default", NULL);
  g_auto(GStrv) env_vars = g_key_file_get_string_list (file, group, "EnvironmentVariables", NULL, NULL);
  g_auto(GStrv) options = g_key_file_get_string_list (file, group, "Options", NULL, NULL);
  g_autofree char *unit = g_key_file_get_string (file, group, "Unit", NULL);
  g_autoptr(GError) local_error = NULL;
  CcProxySettingKind kind;
  gboolean secret;
  gint minimum = 0, maximum = 0;
  gint64 number = 0;

  if (!kind_from_name (kind_name, &kind))
    {
      g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_INVALID_DESCRIPTOR,
                   _("[%s] has no known Kind (text, bool, select, integer or url)"), group);
      return NULL;
    }
  secret = g_key_file_get_boolean (file, group, "Secret", &local_error);
  if (local_error == NULL && kind == CC_PROXY_SETTING_KIND_INT)
    minimum = g_key_file_get_integer (file, group, "Minimum", &local_error);
  if (local_error == NULL && kind == CC_PROXY_SETTING_KIND_INT)
    maximum = g_key_file_get_integer (file, group, "Maximum", &local_error);
  if (local_error != NULL || label == NULL || description == NULL || default_value == NULL)
    {
      g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_INVALID_DESCRIPTOR,
                   _("[%s] is incomplete: %s"), group,
                   local_error != NULL ? local_error->message : _("Label, Description and Default are required"));
      return NULL;
    }

  if (kind != CC_PROXY_SETTING_KIND_INT)
    return cc_proxy_setting_descriptor_new (key, label, description, kind, default_value,
                                            (const char * const *) options, secret, (const char * const *) env_vars);
  g_ascii_string_to_signed (default_value, 10, G_MININT32, G_MAXINT32, &number, NULL);
  return cc_proxy_setting_descriptor_new_int (key, label, description, (gint) number, minimum, maximum,
                                              unit, (const char * const *) env_vars);
}

static CcProxyProviderDescriptor *
read_key_file (GKeyFile  *file,
               gboolean  *auth_capable,
               GError   **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups (file, NULL);
  g_autoptr(GPtrArray) settings = g_ptr_array_new_with_free_func ((GDestroyNotify) cc_proxy_setting_descriptor_unref);
  g_autoptr(CcProxyProviderDescriptor) descriptor = NULL;
  g_autofree char *id = g_key_file_get_string (file, PROVIDER_GROUP, "Id", NULL);
  g_autofree char *name = g_key_file_get_locale_string (file, PROVIDER_GROUP, "Name", NULL, NULL);
  g_autoptr(GError) local_error = NULL;
  gint format = g_key_file_get_integer (file, PROVIDER_GROUP, "Format", NULL);

  if (format != FILE_FORMAT)
    {
      g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_INVALID_DESCRIPTOR,
                   _("not a provider descriptor of format %d: write it again with cc-proxy-schema-gen --descriptor"),
                   FILE_FORMAT);
      return NULL;
    }
  *auth_capable = g_key_file_get_boolean (file, PROVIDER_GROUP, "AuthCapable", &local_error);
  if (id == NULL || name == NULL || local_error != NULL)
    {
      g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_INVALID_DESCRIPTOR,
                   _("[%s] needs Id, Name and AuthCapable"), PROVIDER_GROUP);
      return NULL;
    }

  for (guint i = 0; groups[i] != NULL; i++)
    if (g_str_has_prefix (groups[i], SETTING_PREFIX))
      {
        CcProxySettingDescriptor *setting = read_setting (file, groups[i], error);

        if (setting == NULL)
          return NULL;
        g_ptr_array_add (settings, setting);
      }
  g_ptr_array_add (settings, NULL);
  /* The descriptor takes the settings' references. */
  descriptor = cc_proxy_provider_descriptor_new (id, name, (CcProxySettingDescriptor **) settings->pdata);
  g_ptr_array_set_free_func (settings, NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    if (g_str_has_prefix (groups[i], ROUTE_PREFIX))
      {
        g_autofree char *methods = g_key_file_get_string (file, groups[i], "Methods", NULL);
        gboolean json_body = g_key_file_get_boolean (file, groups[i], "JsonBody", NULL);

        cc_proxy_provider_descriptor_add_route (descriptor, groups[i] + strlen (ROUTE_PREFIX), methods, json_body);
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
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  CcProxyProviderDescriptor *descriptor;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_KEEP_TRANSLATIONS, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_INVALID_DESCRIPTOR,
                     _("%s is not a provider descriptor: %s"), path, local_error->message);
      return NULL;
    }
  descriptor = read_key_file (file, auth_capable, &local_error);
  if (descriptor == NULL)
    g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_INVALID_DESCRIPTOR,
                 "%s: %s", path, local_error->message);
  return descriptor;
}

/**
 * cc_proxy_module_info_load_data:
 * @text: a descriptor, as cc_proxy_module_info_to_key_file() writes it
 * @auth_capable: (out): whether the provider can sign in
 *
 * Reads what a provider host said in its Hello answer.
 *
 * Returns: (transfer full): the descriptor, validated
 */
CcProxyProviderDescriptor *
cc_proxy_module_info_load_data (const char  *text,
                                gboolean    *auth_capable,
                                GError     **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();

  if (!g_key_file_load_from_data (file, text, -1, G_KEY_FILE_KEEP_TRANSLATIONS, error))
    return NULL;
  return read_key_file (file, auth_capable, error);
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

static CcProxySettingDescriptor *
setting_without_environment (CcProxySettingDescriptor *setting)
{
  const char *key = cc_proxy_setting_descriptor_get_key (setting);
  const char *label = cc_proxy_setting_descriptor_get_label (setting);
  const char *description = cc_proxy_setting_descriptor_get_description (setting);
  CcProxySettingKind kind = cc_proxy_setting_descriptor_get_kind (setting);
  const char *default_value = cc_proxy_setting_descriptor_get_default (setting);
  gint minimum = 0, maximum = 0;

  if (kind != CC_PROXY_SETTING_KIND_INT)
    return cc_proxy_setting_descriptor_new (key, label, description, kind, default_value,
                                            cc_proxy_setting_descriptor_get_options (setting),
                                            cc_proxy_setting_descriptor_is_secret (setting), NULL);
  cc_proxy_setting_descriptor_get_range (setting, &minimum, &maximum);
  return cc_proxy_setting_descriptor_new_int (key, label, description, (gint) g_ascii_strtoll (default_value, NULL, 10),
                                              minimum, maximum, cc_proxy_setting_descriptor_get_unit (setting), NULL);
}

/**
 * cc_proxy_module_info_instance_descriptor:
 * @kind: a module's descriptor
 * @name: an instance's name
 *
 * The descriptor of an instance of @kind: its settings and routes, under
 * the id @name. Its settings read no environment variable: the
 * variables name the kind, and would give every instance one value.
 *
 * Returns: (transfer full): the instance's descriptor
 */
CcProxyProviderDescriptor *
cc_proxy_module_info_instance_descriptor (CcProxyProviderDescriptor *kind,
                                          const char                *name)
{
  guint n_settings = cc_proxy_provider_descriptor_get_n_settings (kind);
  g_autofree CcProxySettingDescriptor **settings = g_new0 (CcProxySettingDescriptor *, n_settings + 1);
  /* TRANSLATORS: an instance's name, then its kind's ("work (GitHub Copilot)") */
  g_autofree char *display_name = g_strdup_printf (_("%s (%s)"), name,
                                                   cc_proxy_provider_descriptor_get_display_name (kind));
  CcProxyProviderDescriptor *descriptor;

  for (guint i = 0; i < n_settings; i++)
    settings[i] = setting_without_environment (cc_proxy_provider_descriptor_get_setting (kind, i));
  /* It takes the settings' references. */
  descriptor = cc_proxy_provider_descriptor_new (name, display_name, settings);

  for (guint i = 0; i < cc_proxy_provider_descriptor_get_n_routes (kind); i++)
    {
      const char *methods = NULL;
      gboolean json_body = FALSE;
      const char *path = cc_proxy_provider_descriptor_get_route (kind, i, &methods, &json_body);

      cc_proxy_provider_descriptor_add_route (descriptor, path, methods, json_body);
    }
  return descriptor;
}
