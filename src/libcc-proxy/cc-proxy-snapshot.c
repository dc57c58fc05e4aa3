/* cc-proxy-snapshot.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cc-proxy.h"

typedef struct
{
  char     *value;
  gboolean  from_environment;
  gboolean  secret;
} Entry;

struct _CcProxySnapshot
{
  char            *active_provider;
  GHashTable      *entries;        /* "provider/key" → Entry */
  GPtrArray       *secret_values;  /* NULL-terminated, for redaction */
};

G_DEFINE_BOXED_TYPE (CcProxySnapshot, cc_proxy_snapshot, cc_proxy_snapshot_ref, cc_proxy_snapshot_unref)

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->value);
  g_free (entry);
}

/**
 * cc_proxy_snapshot_new:
 * @active_provider: the id of the provider serving requests
 *
 * Starts a snapshot, for whoever runs providers (cc-proxyd, its provider
 * hosts, a provider's own tests): cc_proxy_snapshot_insert() fills it,
 * before it is given to anyone.
 *
 * Returns: (transfer full): an empty snapshot
 */
CcProxySnapshot *
cc_proxy_snapshot_new (const char *active_provider)
{
  CcProxySnapshot *self;

  g_return_val_if_fail (active_provider != NULL, NULL);

  self = g_atomic_rc_box_new0 (CcProxySnapshot);

  self->active_provider = g_strdup (active_provider);
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, entry_free);
  self->secret_values = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->secret_values, NULL);

  return self;
}

/**
 * cc_proxy_snapshot_insert:
 * @self: a snapshot being built
 * @provider_id: the provider the setting belongs to
 * @key: the setting's key
 * @value: its value, as text
 * @from_environment: whether an environment variable set it
 * @secret: whether it is a secret (then reports hide its value)
 *
 * Sets one value, while the snapshot is being built and nobody else
 * holds it: snapshots are immutable once shared.
 */
void
cc_proxy_snapshot_insert (CcProxySnapshot *self,
                          const char      *provider_id,
                          const char      *key,
                          const char      *value,
                          gboolean         from_environment,
                          gboolean         secret)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->value = g_strdup (value);
  entry->from_environment = from_environment;
  entry->secret = secret;
  g_hash_table_replace (self->entries, g_strconcat (provider_id, "/", key, NULL), entry);

  if (secret && value[0] != '\0')
    g_ptr_array_insert (self->secret_values, self->secret_values->len - 1, g_strdup (value));
}

/**
 * cc_proxy_snapshot_ref:
 * @self: a snapshot
 *
 * Takes a reference on @self; a snapshot is immutable, so any thread may
 * hold one.
 *
 * Returns: (transfer full): @self
 */
CcProxySnapshot *
cc_proxy_snapshot_ref (CcProxySnapshot *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_atomic_rc_box_acquire (self);
}

/* Frees what the box holds; g_atomic_rc_box_release_full() frees the box. */
static void
cc_proxy_snapshot_clear (CcProxySnapshot *self)
{
  g_free (self->active_provider);
  g_hash_table_unref (self->entries);
  g_ptr_array_unref (self->secret_values);
}

/**
 * cc_proxy_snapshot_unref:
 * @self: (transfer full): a snapshot
 *
 * Drops a reference; the last one frees @self.
 */
void
cc_proxy_snapshot_unref (CcProxySnapshot *self)
{
  g_return_if_fail (self != NULL);

  g_atomic_rc_box_release_full (self, (GDestroyNotify) cc_proxy_snapshot_clear);
}

/**
 * cc_proxy_snapshot_get_active_provider:
 * @self: a snapshot
 *
 * Gets which provider serves requests.
 *
 * Returns: the active provider's id
 */
const char *
cc_proxy_snapshot_get_active_provider (CcProxySnapshot *self)
{
  return self->active_provider;
}

static Entry *
lookup (CcProxySnapshot *self,
        const char      *provider_id,
        const char      *key)
{
  g_autofree char *full = g_strconcat (provider_id, "/", key, NULL);

  return g_hash_table_lookup (self->entries, full);
}

/**
 * cc_proxy_snapshot_get_value:
 * @self: a snapshot
 * @provider_id: a provider id
 * @key: a setting key of that provider
 *
 * Reads a setting: its environment override, else its stored value,
 * else its default, normalised (a URL without its trailing slash).
 *
 * Returns: (nullable): the normalised value, or %NULL when the provider
 *   declares no such setting
 */
const char *
cc_proxy_snapshot_get_value (CcProxySnapshot *self,
                             const char      *provider_id,
                             const char      *key)
{
  Entry *entry = lookup (self, provider_id, key);

  return entry ? entry->value : NULL;
}

/**
 * cc_proxy_snapshot_get_boolean:
 * @self: a snapshot
 * @provider_id: a provider id
 * @key: one of its setting keys
 *
 * Reads a %CC_PROXY_SETTING_KIND_BOOL setting.
 *
 * Returns: whether the setting is "true"
 */
gboolean
cc_proxy_snapshot_get_boolean (CcProxySnapshot *self,
                               const char      *provider_id,
                               const char      *key)
{
  return g_strcmp0 (cc_proxy_snapshot_get_value (self, provider_id, key), "true") == 0;
}

/**
 * cc_proxy_snapshot_get_uint:
 * @self: a snapshot
 * @provider_id: a provider id
 * @key: one of its setting keys
 *
 * Reads a text setting that holds a non-negative integer (a number of
 * seconds, say). Anything else reads as 0, the "off" value.
 *
 * Returns: the value, or 0
 */
guint
cc_proxy_snapshot_get_uint (CcProxySnapshot *self,
                            const char      *provider_id,
                            const char      *key)
{
  const char *value = cc_proxy_snapshot_get_value (self, provider_id, key);
  guint64 number;

  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT, &number, NULL))
    return 0;
  return (guint) number;
}

/**
 * cc_proxy_snapshot_is_from_environment:
 * @self: a snapshot
 * @provider_id: a provider id
 * @key: one of its setting keys
 *
 * Tells whether an environment variable decided this value, over the
 * stored one.
 *
 * Returns: whether the value comes from the environment
 */
gboolean
cc_proxy_snapshot_is_from_environment (CcProxySnapshot *self,
                                       const char      *provider_id,
                                       const char      *key)
{
  Entry *entry = lookup (self, provider_id, key);

  return entry ? entry->from_environment : FALSE;
}

/**
 * cc_proxy_snapshot_get_active_base_url:
 * @self: a snapshot
 *
 * Gets where requests the active provider does not serve itself go.
 *
 * Returns: the active provider's `base-url` when it is set, else the
 *   built-in provider's; "" when neither is
 */
const char *
cc_proxy_snapshot_get_active_base_url (CcProxySnapshot *self)
{
  const char *url = cc_proxy_snapshot_get_value (self, self->active_provider, "base-url");

  if (url == NULL || url[0] == '\0')
    url = cc_proxy_snapshot_get_value (self, CC_PROXY_BUILTIN_PROVIDER_ID, "base-url");
  return url ? url : "";
}

/**
 * cc_proxy_snapshot_get_secret_values:
 * @self: a snapshot
 *
 * Gets the values of its secret settings: what reports about a request
 * must never show.
 *
 * Returns: (transfer none) (array zero-terminated=1): the values
 */
const char * const *
cc_proxy_snapshot_get_secret_values (CcProxySnapshot *self)
{
  return (const char * const *) self->secret_values->pdata;
}

static int
compare_strings (const void *a,
                 const void *b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Whether a provider host of @provider_id may see @full ("provider/key"):
 * its own provider's settings, and the built-in provider's base URL,
 * where a request its provider hands back (CC_PROXY_NOT_HANDLED) goes.
 * No other provider's setting or secret. */
static gboolean
in_scope (const char *full,
          const char *provider_id)
{
  gsize len = strlen (provider_id);

  return (strncmp (full, provider_id, len) == 0 && full[len] == '/') ||
         g_str_equal (full, CC_PROXY_BUILTIN_PROVIDER_ID "/base-url");
}

/**
 * cc_proxy_snapshot_serialize:
 * @self: a snapshot
 * @provider_id: the provider whose part to keep
 *
 * Writes @provider_id's part of the snapshot (and the built-in
 * provider's base URL) as a GVariant of type `(sa(sssbb))`, with
 * @provider_id as the active provider: what cc-proxyd sends a provider
 * host, secrets included (it has no keyring and no GSettings of its
 * own). A switch of the daemon's active provider, or another provider's
 * settings, are none of the host's business. Entries are sorted, so that
 * equal scopes serialize equal.
 *
 * Returns: (transfer floating): the serialized part
 */
GVariant *
cc_proxy_snapshot_serialize (CcProxySnapshot *self,
                             const char      *provider_id)
{
  g_auto(GVariantBuilder) entries = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(sssbb)"));
  g_autofree const char **keys = (const char **) g_hash_table_get_keys_as_array (self->entries, NULL);

  qsort (keys, g_strv_length ((char **) keys), sizeof (char *), compare_strings);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      const char *slash = strchr (keys[i], '/');
      g_autofree char *entry_provider = g_strndup (keys[i], slash - keys[i]);
      Entry *entry = g_hash_table_lookup (self->entries, keys[i]);

      if (!in_scope (keys[i], provider_id))
        continue;
      g_variant_builder_add (&entries, "(sssbb)", entry_provider, slash + 1, entry->value,
                             entry->from_environment, entry->secret);
    }
  return g_variant_new ("(sa(sssbb))", provider_id, &entries);
}

/**
 * cc_proxy_snapshot_deserialize:
 * @variant: what cc_proxy_snapshot_serialize() wrote
 *
 * Reads a snapshot back.
 *
 * Returns: (transfer full): the snapshot
 */
CcProxySnapshot *
cc_proxy_snapshot_deserialize (GVariant *variant)
{
  g_autoptr(GVariantIter) entries = NULL;
  const char *active, *provider_id, *key, *value;
  gboolean from_environment, secret;
  CcProxySnapshot *self;

  g_return_val_if_fail (g_variant_is_of_type (variant, G_VARIANT_TYPE ("(sa(sssbb))")), NULL);

  g_variant_get (variant, "(&sa(sssbb))", &active, &entries);
  self = cc_proxy_snapshot_new (active);
  while (g_variant_iter_next (entries, "(&s&s&sbb)", &provider_id, &key, &value, &from_environment, &secret))
    cc_proxy_snapshot_insert (self, provider_id, key, value, from_environment, secret);
  return self;
}
