/* cc-proxy-provider-descriptor.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "cc-proxy.h"

typedef struct
{
  char     *path;
  char     *methods;     /* an Allow header value, or NULL for any */
  gboolean  json_body;
} Route;

struct _CcProxyProviderDescriptor
{
  char            *id;
  char            *display_name;
  GPtrArray       *settings;
  GArray          *routes;   /* Route */
};

G_DEFINE_BOXED_TYPE (CcProxyProviderDescriptor, cc_proxy_provider_descriptor,
                     cc_proxy_provider_descriptor_ref, cc_proxy_provider_descriptor_unref)

static void
route_clear (gpointer data)
{
  Route *route = data;

  g_free (route->path);
  g_free (route->methods);
}

/**
 * cc_proxy_provider_descriptor_new:
 * @id: the provider id: lower-case letters, digits and dashes
 * @display_name: the name people see
 * @settings: (nullable) (array zero-terminated=1) (transfer full): the
 *   settings, in the order they are shown; the descriptor takes each
 *   element's reference (the array itself stays the caller's)
 *
 * Describes a provider: what cc_proxy_provider_get_descriptor() returns.
 *
 * Returns: (transfer full): a new descriptor
 */
CcProxyProviderDescriptor *
cc_proxy_provider_descriptor_new (const char                *id,
                                  const char                *display_name,
                                  CcProxySettingDescriptor **settings)
{
  CcProxyProviderDescriptor *self = g_atomic_rc_box_new0 (CcProxyProviderDescriptor);

  self->id = g_strdup (id ? id : "");
  self->display_name = g_strdup (display_name ? display_name : "");
  self->settings = g_ptr_array_new_with_free_func ((GDestroyNotify) cc_proxy_setting_descriptor_unref);
  for (guint i = 0; settings != NULL && settings[i] != NULL; i++)
    g_ptr_array_add (self->settings, settings[i]);
  self->routes = g_array_new (FALSE, TRUE, sizeof (Route));
  g_array_set_clear_func (self->routes, route_clear);

  return self;
}

/**
 * cc_proxy_provider_descriptor_ref:
 * @self: a descriptor
 *
 * Takes a reference on @self.
 *
 * Returns: (transfer full): @self
 */
CcProxyProviderDescriptor *
cc_proxy_provider_descriptor_ref (CcProxyProviderDescriptor *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_atomic_rc_box_acquire (self);
}

/* Frees what the box holds; g_atomic_rc_box_release_full() frees the box. */
static void
cc_proxy_provider_descriptor_clear (CcProxyProviderDescriptor *self)
{
  g_free (self->id);
  g_free (self->display_name);
  g_ptr_array_unref (self->settings);
  g_array_unref (self->routes);
}

/**
 * cc_proxy_provider_descriptor_unref:
 * @self: (transfer full): a descriptor
 *
 * Drops a reference; the last one frees @self and its settings.
 */
void
cc_proxy_provider_descriptor_unref (CcProxyProviderDescriptor *self)
{
  g_return_if_fail (self != NULL);

  g_atomic_rc_box_release_full (self, (GDestroyNotify) cc_proxy_provider_descriptor_clear);
}

/**
 * cc_proxy_provider_descriptor_get_id:
 * @self: a descriptor
 *
 * Gets the provider id: lower-case letters, digits and dashes.
 *
 * Returns: the id
 */
const char *
cc_proxy_provider_descriptor_get_id (const CcProxyProviderDescriptor *self)
{
  return self->id;
}

/**
 * cc_proxy_provider_descriptor_get_display_name:
 * @self: a descriptor
 *
 * Gets the name people see.
 *
 * Returns: the display name
 */
const char *
cc_proxy_provider_descriptor_get_display_name (const CcProxyProviderDescriptor *self)
{
  return self->display_name;
}

/**
 * cc_proxy_provider_descriptor_get_n_settings:
 * @self: a descriptor
 *
 * Gets how many settings the provider declares.
 *
 * Returns: the number of settings
 */
guint
cc_proxy_provider_descriptor_get_n_settings (const CcProxyProviderDescriptor *self)
{
  return self->settings->len;
}

/**
 * cc_proxy_provider_descriptor_get_setting:
 * @self: a descriptor
 * @position: an index below cc_proxy_provider_descriptor_get_n_settings()
 *
 * Gets a setting, in the order they are shown.
 *
 * Returns: (transfer none): the setting at @position
 */
CcProxySettingDescriptor *
cc_proxy_provider_descriptor_get_setting (const CcProxyProviderDescriptor *self,
                                          guint                            position)
{
  g_return_val_if_fail (position < self->settings->len, NULL);

  return g_ptr_array_index (self->settings, position);
}

/**
 * cc_proxy_provider_descriptor_lookup_setting:
 * @self: a descriptor
 * @key: a setting key
 *
 * Finds a setting by its key.
 *
 * Returns: (transfer none) (nullable): the setting named @key, or %NULL
 */
CcProxySettingDescriptor *
cc_proxy_provider_descriptor_lookup_setting (const CcProxyProviderDescriptor *self,
                                             const char                      *key)
{
  for (guint i = 0; i < self->settings->len; i++)
    {
      CcProxySettingDescriptor *setting = g_ptr_array_index (self->settings, i);

      if (g_strcmp0 (cc_proxy_setting_descriptor_get_key (setting), key) == 0)
        return setting;
    }
  return NULL;
}

/**
 * cc_proxy_provider_descriptor_add_route:
 * @self: a descriptor that is being made, not yet handed out
 * @path: a request path the provider serves, such as "/v1/messages"
 *   (the query is not part of it)
 * @methods: (nullable): the methods it accepts, as an `Allow` header
 *   value ("POST", "GET, HEAD"), or %NULL for any
 * @json_body: whether the core must parse the body as a JSON object
 *   before the provider is called
 *
 * Declares a path the provider serves. The routes are what the
 * interface's default handles_path(), expects_json_body() and
 * get_allowed_methods() answer from, and what cc-proxyd routes by
 * before the module is loaded: a path no route names never reaches the
 * provider's process (it goes to the `anthropic` upstream).
 *
 * Only while the descriptor is being made: it is immutable once
 * cc_proxy_provider_get_descriptor() has returned it.
 */
void
cc_proxy_provider_descriptor_add_route (CcProxyProviderDescriptor *self,
                                        const char                *path,
                                        const char                *methods,
                                        gboolean                   json_body)
{
  Route route = { g_strdup (path), g_strdup (methods), json_body };

  g_return_if_fail (self != NULL);
  g_return_if_fail (path != NULL);

  g_array_append_val (self->routes, route);
}

/**
 * cc_proxy_provider_descriptor_get_n_routes:
 * @self: a descriptor
 *
 * Gets how many paths the provider declares.
 *
 * Returns: the number of routes
 */
guint
cc_proxy_provider_descriptor_get_n_routes (const CcProxyProviderDescriptor *self)
{
  return self->routes->len;
}

/**
 * cc_proxy_provider_descriptor_get_route:
 * @self: a descriptor
 * @position: an index below cc_proxy_provider_descriptor_get_n_routes()
 * @methods: (out) (optional) (nullable) (transfer none): the methods
 *   the path accepts, or %NULL for any
 * @json_body: (out) (optional): whether its body is parsed first
 *
 * Gets a route, in the order they were added.
 *
 * Returns: (transfer none): the route's path
 */
const char *
cc_proxy_provider_descriptor_get_route (const CcProxyProviderDescriptor  *self,
                                        guint                             position,
                                        const char                      **methods,
                                        gboolean                         *json_body)
{
  const Route *route;

  g_return_val_if_fail (position < self->routes->len, NULL);

  route = &g_array_index (self->routes, Route, position);
  if (methods != NULL)
    *methods = route->methods;
  if (json_body != NULL)
    *json_body = route->json_body;
  return route->path;
}

/**
 * cc_proxy_provider_descriptor_find_route:
 * @self: a descriptor
 * @path: a request path, without the query
 * @methods: (out) (optional) (nullable) (transfer none): the methods
 *   @path accepts, or %NULL for any
 * @json_body: (out) (optional): whether its body is parsed first
 *
 * Finds the route declared for @path.
 *
 * Returns: whether the provider declares @path
 */
gboolean
cc_proxy_provider_descriptor_find_route (const CcProxyProviderDescriptor  *self,
                                         const char                       *path,
                                         const char                      **methods,
                                         gboolean                         *json_body)
{
  g_return_val_if_fail (path != NULL, FALSE);

  for (guint i = 0; i < self->routes->len; i++)
    if (g_str_equal (g_array_index (self->routes, Route, i).path, path))
      {
        cc_proxy_provider_descriptor_get_route (self, i, methods, json_body);
        return TRUE;
      }
  if (methods != NULL)
    *methods = NULL;
  if (json_body != NULL)
    *json_body = FALSE;
  return FALSE;
}

static gboolean
is_valid_route (const Route  *route,
                GHashTable   *seen,
                GError      **error)
{
  if (route->path[0] != '/' || strpbrk (route->path, "?# \t\r\n") != NULL)
    {
      g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR,
                   _("route “%s” is not a request path (one that starts with “/”, without a query)"), route->path);
      return FALSE;
    }
  if (!g_hash_table_add (seen, route->path))
    {
      g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR,
                   _("route “%s” is declared twice"), route->path);
      return FALSE;
    }
  if (route->methods != NULL && (route->methods[0] == '\0' || strpbrk (route->methods, "\r\n") != NULL))
    {
      g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR,
                   _("route “%s” has an empty or broken method list"), route->path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
is_valid_name (const char *name)
{
  if (name[0] == '\0' || !g_ascii_islower (name[0]))
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '-')
      return FALSE;
  return TRUE;
}

static gboolean
validate_setting (const CcProxySettingDescriptor  *setting,
                  GHashTable                      *seen,
                  GError                         **error)
{
  const char *key = cc_proxy_setting_descriptor_get_key (setting);
  const char *def = cc_proxy_setting_descriptor_get_default (setting);
  const char * const *options = cc_proxy_setting_descriptor_get_options (setting);
  g_autofree char *normalized = NULL;

  if (key[0] == '\0')
    {
      g_set_error_literal (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR,
                           _("a setting has an empty key"));
      return FALSE;
    }
  /* Keys become GSettings keys and D-Bus dictionary keys. */
  if (!is_valid_name (key))
    {
      g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR,
                   _("setting key “%s” must be lower-case letters, digits and dashes"), key);
      return FALSE;
    }
  if (!g_hash_table_add (seen, (gpointer) key))
    {
      g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR,
                   _("setting key “%s” is declared twice"), key);
      return FALSE;
    }

  switch (cc_proxy_setting_descriptor_get_kind (setting))
    {
    case CC_PROXY_SETTING_KIND_SELECT:
      if (options[0] == NULL)
        {
          g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR,
                       _("select setting “%s” has no options"), key);
          return FALSE;
        }
      if (!g_strv_contains (options, def))
        {
          g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR,
                       _("default “%s” of setting “%s” is not among its options"), def, key);
          return FALSE;
        }
      break;

    case CC_PROXY_SETTING_KIND_INT:
      {
        gint minimum, maximum;

        cc_proxy_setting_descriptor_get_range (setting, &minimum, &maximum);
        if (minimum > maximum)
          {
            g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR,
                         _("integer setting “%s” has a range from %d to %d"), key, minimum, maximum);
            return FALSE;
          }
      }
      G_GNUC_FALLTHROUGH;
    case CC_PROXY_SETTING_KIND_BOOL:
    case CC_PROXY_SETTING_KIND_URL:
      normalized = cc_proxy_setting_descriptor_normalize (setting, def, NULL);
      if (normalized == NULL)
        {
          g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR,
                       _("default “%s” of setting “%s” is not a valid value for it"), def, key);
          return FALSE;
        }
      break;

    case CC_PROXY_SETTING_KIND_TEXT:
      break;

    default:
      g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR,
                   _("setting “%s” has an unknown kind"), key);
      return FALSE;
    }

  return TRUE;
}

/**
 * cc_proxy_provider_descriptor_validate:
 * @self: a descriptor
 * @error: return location for a %CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR
 *
 * Checks the rules the core relies on: a non-empty lower-case id, a
 * display name, non-empty unique keys, select settings with options and a
 * default among them, routes that are request paths, each declared once.
 *
 * Returns: %TRUE when the descriptor is sane
 */
gboolean
cc_proxy_provider_descriptor_validate (const CcProxyProviderDescriptor  *self,
                                       GError                          **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (self->id[0] == '\0')
    {
      g_set_error_literal (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR,
                           _("the provider id is empty"));
      return FALSE;
    }
  if (!is_valid_name (self->id))
    {
      g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR,
                   _("provider id “%s” must be lower-case letters, digits and dashes"), self->id);
      return FALSE;
    }
  if (self->display_name[0] == '\0')
    {
      g_set_error (error, CC_PROXY_PROVIDER_ERROR, CC_PROXY_PROVIDER_ERROR_INVALID_DESCRIPTOR,
                   _("provider “%s” has no display name"), self->id);
      return FALSE;
    }

  for (guint i = 0; i < self->settings->len; i++)
    if (!validate_setting (g_ptr_array_index (self->settings, i), seen, error))
      return FALSE;

  g_hash_table_remove_all (seen);
  for (guint i = 0; i < self->routes->len; i++)
    if (!is_valid_route (&g_array_index (self->routes, Route, i), seen, error))
      return FALSE;

  return TRUE;
}
