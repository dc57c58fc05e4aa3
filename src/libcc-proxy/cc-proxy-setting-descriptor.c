/* cc-proxy-setting-descriptor.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cc-proxy.h"

struct _CcProxySettingDescriptor
{
  char               *key;
  char               *label;
  char               *description;
  CcProxySettingKind  kind;
  char               *default_value;
  GStrv               options;
  gboolean            secret;
  GStrv               env_vars;
  gint                minimum;   /* CC_PROXY_SETTING_KIND_INT only */
  gint                maximum;
  char               *unit;
};

G_DEFINE_BOXED_TYPE (CcProxySettingDescriptor, cc_proxy_setting_descriptor,
                     cc_proxy_setting_descriptor_ref, cc_proxy_setting_descriptor_unref)

static const char * const empty_strv[] = { NULL };

/**
 * cc_proxy_setting_descriptor_new:
 * @key: the setting's key, lower-case words joined by dashes ("base-url")
 * @label: a short, translatable name
 * @description: one sentence saying what it does
 * @kind: the value type
 * @default_value: (nullable): the default, as text ("" when %NULL)
 * @options: (nullable) (array zero-terminated=1): the allowed values of a
 *   %CC_PROXY_SETTING_KIND_SELECT setting
 * @secret: whether the value is a credential: kept in the keyring and
 *   never shown
 * @env_vars: (nullable) (array zero-terminated=1): environment variables
 *   that override the stored value, the first one set wins
 *
 * Declares one setting of a provider. Validation happens when the
 * provider descriptor holding it is validated, as the module loads.
 *
 * Returns: (transfer full): a new descriptor
 */
CcProxySettingDescriptor *
cc_proxy_setting_descriptor_new (const char         *key,
                                 const char         *label,
                                 const char         *description,
                                 CcProxySettingKind  kind,
                                 const char         *default_value,
                                 const char * const *options,
                                 gboolean            secret,
                                 const char * const *env_vars)
{
  CcProxySettingDescriptor *self = g_atomic_rc_box_new0 (CcProxySettingDescriptor);

  self->key = g_strdup (key ? key : "");
  self->label = g_strdup (label ? label : "");
  self->description = g_strdup (description ? description : "");
  self->kind = kind;
  self->default_value = g_strdup (default_value ? default_value : "");
  self->options = g_strdupv ((char **) (options ? options : empty_strv));
  self->secret = !!secret;
  self->env_vars = g_strdupv ((char **) (env_vars ? env_vars : empty_strv));
  /* An integer declared without a range takes what GSettings' "i" holds
   * that is not negative. */
  self->minimum = 0;
  self->maximum = G_MAXINT32;

  return self;
}

/**
 * cc_proxy_setting_descriptor_new_int:
 * @key: the setting's key, lower-case words joined by dashes
 * @label: a short, translatable name
 * @description: one sentence saying what it does
 * @default_value: the default, within the range
 * @minimum: the smallest value allowed
 * @maximum: the largest value allowed
 * @unit: (nullable): what the number counts ("seconds"), for people
 * @env_vars: (nullable) (array zero-terminated=1): environment variables
 *   that override the stored value, the first one set wins
 *
 * Declares a %CC_PROXY_SETTING_KIND_INT setting: a GSettings `i` key with
 * this range, refused when set outside it (by GSettings itself too).
 * Providers read it with cc_proxy_snapshot_get_uint() or as text.
 *
 * Returns: (transfer full): a new descriptor
 */
CcProxySettingDescriptor *
cc_proxy_setting_descriptor_new_int (const char         *key,
                                     const char         *label,
                                     const char         *description,
                                     gint                default_value,
                                     gint                minimum,
                                     gint                maximum,
                                     const char         *unit,
                                     const char * const *env_vars)
{
  g_autofree char *text = g_strdup_printf ("%d", default_value);
  CcProxySettingDescriptor *self = cc_proxy_setting_descriptor_new (key, label, description,
                                                                    CC_PROXY_SETTING_KIND_INT, text,
                                                                    NULL, FALSE, env_vars);

  self->minimum = minimum;
  self->maximum = maximum;
  self->unit = g_strdup (unit);
  return self;
}

/**
 * cc_proxy_setting_descriptor_ref:
 * @self: a setting descriptor
 *
 * Takes a reference on @self.
 *
 * Returns: (transfer full): @self
 */
CcProxySettingDescriptor *
cc_proxy_setting_descriptor_ref (CcProxySettingDescriptor *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_atomic_rc_box_acquire (self);
}

/* Frees what the box holds; g_atomic_rc_box_release_full() frees the box. */
static void
cc_proxy_setting_descriptor_clear (CcProxySettingDescriptor *self)
{
  g_free (self->key);
  g_free (self->label);
  g_free (self->description);
  g_free (self->default_value);
  g_strfreev (self->options);
  g_strfreev (self->env_vars);
  g_free (self->unit);
}

/**
 * cc_proxy_setting_descriptor_unref:
 * @self: (transfer full): a setting descriptor
 *
 * Drops a reference; the last one frees @self.
 */
void
cc_proxy_setting_descriptor_unref (CcProxySettingDescriptor *self)
{
  g_return_if_fail (self != NULL);

  g_atomic_rc_box_release_full (self, (GDestroyNotify) cc_proxy_setting_descriptor_clear);
}

/**
 * cc_proxy_setting_descriptor_get_key:
 * @self: a setting descriptor
 *
 * Gets the key ("base-url").
 *
 * Returns: the key ("base-url")
 */
const char *
cc_proxy_setting_descriptor_get_key (const CcProxySettingDescriptor *self)
{
  return self->key;
}

/**
 * cc_proxy_setting_descriptor_get_label:
 * @self: a setting descriptor
 *
 * Gets the short name people see.
 *
 * Returns: the short name people see
 */
const char *
cc_proxy_setting_descriptor_get_label (const CcProxySettingDescriptor *self)
{
  return self->label;
}

/**
 * cc_proxy_setting_descriptor_get_description:
 * @self: a setting descriptor
 *
 * Gets the sentence saying what the setting does.
 *
 * Returns: the sentence saying what the setting does
 */
const char *
cc_proxy_setting_descriptor_get_description (const CcProxySettingDescriptor *self)
{
  return self->description;
}

/**
 * cc_proxy_setting_descriptor_get_kind:
 * @self: a setting descriptor
 *
 * Gets the setting's value type.
 *
 * Returns: the kind
 */
CcProxySettingKind
cc_proxy_setting_descriptor_get_kind (const CcProxySettingDescriptor *self)
{
  return self->kind;
}

/**
 * cc_proxy_setting_descriptor_get_default:
 * @self: a setting descriptor
 *
 * Gets the default value, as text.
 *
 * Returns: the default value, as text
 */
const char *
cc_proxy_setting_descriptor_get_default (const CcProxySettingDescriptor *self)
{
  return self->default_value;
}

/**
 * cc_proxy_setting_descriptor_get_options:
 * @self: a setting descriptor
 *
 * Gets the values a %CC_PROXY_SETTING_KIND_SELECT setting allows.
 *
 * Returns: (transfer none) (array zero-terminated=1): allowed values; empty
 *   unless the kind is %CC_PROXY_SETTING_KIND_SELECT
 */
const char * const *
cc_proxy_setting_descriptor_get_options (const CcProxySettingDescriptor *self)
{
  return (const char * const *) self->options;
}

/**
 * cc_proxy_setting_descriptor_is_secret:
 * @self: a setting descriptor
 *
 * Tells whether the value is a credential: kept in the keyring, never
 * sent over D-Bus, logged or put in events.
 *
 * Returns: whether the setting is secret
 */
gboolean
cc_proxy_setting_descriptor_is_secret (const CcProxySettingDescriptor *self)
{
  return self->secret;
}

/**
 * cc_proxy_setting_descriptor_get_range:
 * @self: a setting descriptor
 * @minimum: (out) (optional): the smallest value allowed
 * @maximum: (out) (optional): the largest value allowed
 *
 * Gets the range of a %CC_PROXY_SETTING_KIND_INT setting.
 *
 * Returns: %TRUE for an integer setting, which has a range
 */
gboolean
cc_proxy_setting_descriptor_get_range (const CcProxySettingDescriptor *self,
                                       gint                           *minimum,
                                       gint                           *maximum)
{
  if (minimum != NULL)
    *minimum = self->minimum;
  if (maximum != NULL)
    *maximum = self->maximum;
  return self->kind == CC_PROXY_SETTING_KIND_INT;
}

/**
 * cc_proxy_setting_descriptor_get_unit:
 * @self: a setting descriptor
 *
 * Gets what an integer setting counts, for people ("seconds").
 *
 * Returns: (nullable): the unit, or %NULL
 */
const char *
cc_proxy_setting_descriptor_get_unit (const CcProxySettingDescriptor *self)
{
  return self->unit;
}

/**
 * cc_proxy_setting_descriptor_get_value_type:
 * @self: a setting descriptor
 *
 * Gets the type the value has in GSettings and on the bus:
 * %G_VARIANT_TYPE_BOOLEAN, %G_VARIANT_TYPE_INT32 or %G_VARIANT_TYPE_STRING.
 *
 * Returns: (transfer none): the value's type
 */
const GVariantType *
cc_proxy_setting_descriptor_get_value_type (const CcProxySettingDescriptor *self)
{
  switch (self->kind)
    {
    case CC_PROXY_SETTING_KIND_BOOL:
      return G_VARIANT_TYPE_BOOLEAN;
    case CC_PROXY_SETTING_KIND_INT:
      return G_VARIANT_TYPE_INT32;
    case CC_PROXY_SETTING_KIND_TEXT:
    case CC_PROXY_SETTING_KIND_SELECT:
    case CC_PROXY_SETTING_KIND_URL:
    default:
      return G_VARIANT_TYPE_STRING;
    }
}

/**
 * cc_proxy_setting_descriptor_get_env_vars:
 * @self: a setting descriptor
 *
 * Gets the environment variables that override the stored value.
 *
 * Returns: (transfer none) (array zero-terminated=1): the overriding
 *   environment variables, in order of precedence
 */
const char * const *
cc_proxy_setting_descriptor_get_env_vars (const CcProxySettingDescriptor *self)
{
  return (const char * const *) self->env_vars;
}

static gboolean
parse_boolean (const char *text,
               gboolean   *out)
{
  static const char * const truthy[] = { "1", "true", "yes", "on", NULL };
  static const char * const falsy[] = { "0", "false", "no", "off", NULL };
  g_autofree char *folded = g_ascii_strdown (text, -1);

  g_strstrip (folded);
  if (g_strv_contains (truthy, folded))
    *out = TRUE;
  else if (g_strv_contains (falsy, folded))
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

/**
 * cc_proxy_setting_descriptor_normalize:
 * @self: a descriptor
 * @value: a value as a person or the environment wrote it
 * @error: return location for a %CC_PROXY_PROVIDER_ERROR_INVALID_VALUE
 *
 * Brings @value to its canonical text, or refuses it: booleans become
 * "true" or "false" (from 1/0, true/false, yes/no, on/off); select values
 * must be one of the options; integers must be whole numbers within
 * their range; URLs must be http or https addresses (or empty), and lose
 * surrounding space and trailing slashes.
 *
 * Returns: (transfer full) (nullable): the normalised value, or %NULL
 */
char *
cc_proxy_setting_descriptor_normalize (const CcProxySettingDescriptor  *self,
                                       const char                      *value,
                                       GError                         **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (value != NULL, NULL);

  switch (self->kind)
    {
    case CC_PROXY_SETTING_KIND_BOOL:
      {
        gboolean b;

        if (!parse_boolean (value, &b))
          {
            g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_VALUE,
                         _("“%s” is not a valid value for %s: use true or false"),
                         value, self->key);
            return NULL;
          }
        return g_strdup (b ? "true" : "false");
      }

    case CC_PROXY_SETTING_KIND_SELECT:
      if (!g_strv_contains ((const char * const *) self->options, value))
        {
          g_autofree char *allowed = g_strjoinv (", ", self->options);

          g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_VALUE,
                       _("“%s” is not a valid value for %s: use one of %s"),
                       value, self->key, allowed);
          return NULL;
        }
      return g_strdup (value);

    case CC_PROXY_SETTING_KIND_INT:
      {
        g_autofree char *number = g_strstrip (g_strdup (value));
        gint64 parsed;

        if (!g_ascii_string_to_signed (number, 10, self->minimum, self->maximum, &parsed, NULL))
          {
            if (self->unit != NULL)
              g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_VALUE,
                           _("“%s” is not a valid value for %s: use a whole number from %d to %d (%s)"),
                           value, self->key, self->minimum, self->maximum, self->unit);
            else
              g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_VALUE,
                           _("“%s” is not a valid value for %s: use a whole number from %d to %d"),
                           value, self->key, self->minimum, self->maximum);
            return NULL;
          }
        return g_strdup_printf ("%" G_GINT64_FORMAT, parsed);
      }

    case CC_PROXY_SETTING_KIND_URL:
      {
        char *url = g_strstrip (g_strdup (value));
        gsize len = strlen (url);
        g_autoptr(GUri) uri = NULL;

        while (len > 0 && url[len - 1] == '/')
          url[--len] = '\0';
        /* Empty: not set (the provider's own default applies). */
        if (len == 0)
          return url;
        uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
        if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0' ||
            (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0 &&
             g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") != 0))
          {
            g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_VALUE,
                         _("“%s” is not a valid value for %s: use an http:// or https:// address"),
                         value, self->key);
            g_free (url);
            return NULL;
          }
        return url;
      }

    case CC_PROXY_SETTING_KIND_TEXT:
    default:
      return g_strdup (value);
    }
}
