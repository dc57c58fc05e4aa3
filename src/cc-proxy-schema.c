/* cc-proxy-schema.c: GSettings schemas derived from provider descriptors
 *
 * The descriptor is the one source of truth: the build runs
 * cc-proxy-schema-gen on every provider to write its schema, and a test
 * compares the compiled schema with the descriptor. Secret settings get
 * no key: they live in the keyring, never in GSettings.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cc-proxy-schema.h"

char *
cc_proxy_schema_id_for_provider (const char *provider_id)
{
  return g_strconcat (CC_PROXY_PROVIDER_SCHEMA_PREFIX, provider_id, NULL);
}

/* The relocatable twin of a kind's schema: one path per instance, as
 * gnome-terminal keeps its profiles. */
char *
cc_proxy_schema_id_for_instance (const char *kind)
{
  return g_strconcat (CC_PROXY_PROVIDER_SCHEMA_PREFIX, kind, ".instance", NULL);
}

char *
cc_proxy_schema_path_for_provider (const char *provider_id)
{
  return g_strconcat (CC_PROXY_PROVIDER_SCHEMA_PATH_PREFIX, provider_id, "/", NULL);
}

/**
 * cc_proxy_schema_value_to_variant:
 * @setting: a setting
 * @normalized: a value cc_proxy_setting_descriptor_normalize() gave
 *
 * Returns: (transfer floating): the value as its GSettings key holds it
 */
GVariant *
cc_proxy_schema_value_to_variant (const CcProxySettingDescriptor *setting,
                                  const char                     *normalized)
{
  const GVariantType *type = cc_proxy_setting_descriptor_get_value_type (setting);

  if (g_variant_type_equal (type, G_VARIANT_TYPE_BOOLEAN))
    return g_variant_new_boolean (g_str_equal (normalized, "true"));
  if (g_variant_type_equal (type, G_VARIANT_TYPE_INT32))
    return g_variant_new_int32 ((gint32) g_ascii_strtoll (normalized, NULL, 10));
  return g_variant_new_string (normalized);
}

/**
 * cc_proxy_schema_value_from_variant:
 * @setting: a setting
 * @value: its value in its own type, or as text (what a person types)
 * @error: return location for a %CC_PROXY_PROVIDER_ERROR_INVALID_VALUE
 *
 * Checks a value that comes typed (from the bus or GSettings) against
 * its setting.
 *
 * Returns: (transfer full) (nullable): the normalised text, or %NULL
 */
char *
cc_proxy_schema_value_from_variant (const CcProxySettingDescriptor  *setting,
                                    GVariant                        *value,
                                    GError                         **error)
{
  const GVariantType *type = cc_proxy_setting_descriptor_get_value_type (setting);
  g_autofree char *text = NULL;

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    text = g_variant_dup_string (value, NULL);
  else if (!g_variant_is_of_type (value, type))
    {
      g_autofree char *wanted = g_variant_type_dup_string (type);

      g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_VALUE,
                   _("%s takes a value of type %s (or its text), not %s"),
                   cc_proxy_setting_descriptor_get_key (setting), wanted, g_variant_get_type_string (value));
      return NULL;
    }
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    text = g_strdup (g_variant_get_boolean (value) ? "true" : "false");
  else
    text = g_strdup_printf ("%d", g_variant_get_int32 (value));

  return cc_proxy_setting_descriptor_normalize (setting, text, error);
}

static void
append_escaped (GString    *out,
                const char *before,
                const char *text,
                const char *after)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  g_string_append (out, before);
  g_string_append (out, escaped);
  g_string_append (out, after);
}

static void
append_keys (GString                         *out,
             const CcProxyProviderDescriptor *descriptor)
{
  for (guint i = 0; i < cc_proxy_provider_descriptor_get_n_settings (descriptor); i++)
    {
      CcProxySettingDescriptor *setting = cc_proxy_provider_descriptor_get_setting (descriptor, i);
      const char *key = cc_proxy_setting_descriptor_get_key (setting);
      const char *def = cc_proxy_setting_descriptor_get_default (setting);
      CcProxySettingKind kind = cc_proxy_setting_descriptor_get_kind (setting);
      const char * const *options = cc_proxy_setting_descriptor_get_options (setting);

      if (cc_proxy_setting_descriptor_is_secret (setting))
        continue;

      if (kind == CC_PROXY_SETTING_KIND_BOOL)
        {
          g_autofree char *normalized = cc_proxy_setting_descriptor_normalize (setting, def, NULL);

          g_string_append_printf (out, "    <key name=\"%s\" type=\"b\">\n      <default>%s</default>\n",
                                  key, normalized ? normalized : "false");
        }
      else if (kind == CC_PROXY_SETTING_KIND_INT)
        {
          g_autofree char *normalized = cc_proxy_setting_descriptor_normalize (setting, def, NULL);
          gint minimum, maximum;

          /* GSettings refuses a value outside the range, whoever sets it. */
          cc_proxy_setting_descriptor_get_range (setting, &minimum, &maximum);
          g_string_append_printf (out, "    <key name=\"%s\" type=\"i\">\n"
                                       "      <range min=\"%d\" max=\"%d\"/>\n"
                                       "      <default>%s</default>\n",
                                  key, minimum, maximum, normalized ? normalized : "0");
        }
      else
        {
          g_autofree char *quoted = g_variant_print (g_variant_new_string (def), FALSE);

          g_string_append_printf (out, "    <key name=\"%s\" type=\"s\">\n", key);
          if (kind == CC_PROXY_SETTING_KIND_SELECT)
            {
              g_string_append (out, "      <choices>\n");
              for (guint j = 0; options[j] != NULL; j++)
                append_escaped (out, "        <choice value=\"", options[j], "\"/>\n");
              g_string_append (out, "      </choices>\n");
            }
          append_escaped (out, "      <default>", quoted, "</default>\n");
        }
      append_escaped (out, "      <summary>", cc_proxy_setting_descriptor_get_label (setting), "</summary>\n");
      append_escaped (out, "      <description>", cc_proxy_setting_descriptor_get_description (setting), "</description>\n");
      g_string_append (out, "    </key>\n");
    }

}

/**
 * cc_proxy_schema_from_descriptor:
 * @gettext_domain: (nullable): the domain of the provider's strings
 * @descriptor: a valid provider descriptor
 * @instances: whether to add the relocatable schema of its instances,
 *   `org.ccproxy.Proxy.providers.<id>.instance`
 *
 * Returns: (transfer full): a gschema XML document with one schema, id
 *   `org.ccproxy.Proxy.providers.<id>`, one key per non-secret setting:
 *   text → `s`, bool → `b`, select → `s` restricted to its options
 */
char *
cc_proxy_schema_from_descriptor (const CcProxyProviderDescriptor *descriptor,
                                 const char                      *gettext_domain,
                                 gboolean                         instances)
{
  const char *id = cc_proxy_provider_descriptor_get_id (descriptor);
  g_autofree char *schema_id = cc_proxy_schema_id_for_provider (id);
  GString *out = g_string_new (NULL);

  g_string_append (out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<!-- Generated by cc-proxy-schema-gen from the provider's descriptor: do not edit. -->\n");
  /* The domain the provider's own strings are translated in: its
   * author's, never cc-proxy's unless it is ours. */
  if (gettext_domain != NULL)
    {
      g_autofree char *escaped = g_markup_escape_text (gettext_domain, -1);

      g_string_append_printf (out, "<schemalist gettext-domain=\"%s\">\n", escaped);
    }
  else
    g_string_append (out, "<schemalist>\n");
  g_string_append_printf (out, "  <schema id=\"%s\" path=\"" CC_PROXY_PROVIDER_SCHEMA_PATH_PREFIX "%s/\">\n",
                          schema_id, id);

  append_keys (out, descriptor);
  g_string_append (out, "  </schema>\n");
  /* Instances of a module's provider (docs/instances.md) each have a
   * path of their own under the same prefix. */
  if (instances)
    {
      g_autofree char *instance_id = cc_proxy_schema_id_for_instance (id);

      g_string_append_printf (out, "  <schema id=\"%s\">\n", instance_id);
      append_keys (out, descriptor);
      g_string_append (out, "  </schema>\n");
    }
  g_string_append (out, "</schemalist>\n");
  return g_string_free (out, FALSE);
}
