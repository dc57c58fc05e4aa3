/* cc-proxy-runtime.c: turns settings into immutable snapshots
 *
 * Precedence, highest first: the environment variables a descriptor
 * names (first one set wins), the stored value, the descriptor default.
 * Environment values live in memory only; they are never stored.
 *
 * Every change builds a whole new snapshot and swaps it in; requests
 * hold a reference to the one they started with. All of this runs on
 * the main context, so the swap needs no lock.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-runtime"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cc-proxy-runtime.h"
#include "cc-proxy-snapshot-private.h"

#define PROVIDER_ENV "CC_PROXY_PROVIDER"

struct _CcProxyRuntime
{
  GObject          parent_instance;

  CcProxyRegistry *registry;
  GStrv            environment;
  char            *active_provider;  /* stored choice, NULL = default */
  GHashTable      *stored;           /* "provider/key" → normalised value */
  CcProxySnapshot *snapshot;
  char            *fallback_note;
};

G_DEFINE_QUARK (cc-proxy-runtime-error-quark, cc_proxy_runtime_error)

G_DEFINE_FINAL_TYPE (CcProxyRuntime, cc_proxy_runtime, G_TYPE_OBJECT)

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
cc_proxy_runtime_finalize (GObject *object)
{
  CcProxyRuntime *self = (CcProxyRuntime *) object;

  g_clear_object (&self->registry);
  g_strfreev (self->environment);
  g_free (self->active_provider);
  g_hash_table_unref (self->stored);
  g_clear_pointer (&self->snapshot, cc_proxy_snapshot_unref);
  g_free (self->fallback_note);

  G_OBJECT_CLASS (cc_proxy_runtime_parent_class)->finalize (object);
}

static void
cc_proxy_runtime_class_init (CcProxyRuntimeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cc_proxy_runtime_finalize;

  /**
   * CcProxyRuntime::changed:
   *
   * A new snapshot is in place.
   */
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
cc_proxy_runtime_init (CcProxyRuntime *self)
{
  self->stored = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static const char *
getenv_nonempty (CcProxyRuntime *self,
                 const char     *name)
{
  const char *value = g_environ_getenv (self->environment, name);

  return (value != NULL && value[0] != '\0') ? value : NULL;
}

/* Returns the value an environment variable gives the setting, if any. */
static char *
value_from_environment (CcProxyRuntime           *self,
                        const char               *provider_id,
                        CcProxySettingDescriptor *setting)
{
  const char * const *vars = cc_proxy_setting_descriptor_get_env_vars (setting);

  for (guint i = 0; vars[i] != NULL; i++)
    {
      const char *raw = getenv_nonempty (self, vars[i]);
      g_autoptr(GError) error = NULL;
      char *value;

      if (raw == NULL)
        continue;

      value = cc_proxy_setting_descriptor_normalize (setting, raw, &error);
      if (value != NULL)
        return value;
      g_message (_("Ignoring %s for %s: %s"), vars[i], provider_id, error->message);
    }
  return NULL;
}

static const char *
resolve_active_provider (CcProxyRuntime *self)
{
  const char *from_env = getenv_nonempty (self, PROVIDER_ENV);

  g_clear_pointer (&self->fallback_note, g_free);

  if (from_env != NULL)
    {
      g_autofree char *known = NULL;

      if (cc_proxy_registry_lookup (self->registry, from_env) != NULL)
        return from_env;

      known = cc_proxy_registry_dup_known_ids (self->registry);
      self->fallback_note = g_strdup_printf (_("%s=%s names no known provider (known: %s); using %s"),
                                             PROVIDER_ENV, from_env, known, CC_PROXY_BUILTIN_PROVIDER_ID);
      return CC_PROXY_BUILTIN_PROVIDER_ID;
    }

  if (self->active_provider != NULL && cc_proxy_registry_lookup (self->registry, self->active_provider))
    return self->active_provider;

  return CC_PROXY_BUILTIN_PROVIDER_ID;
}

static void
rebuild (CcProxyRuntime *self)
{
  g_autofree char *old_note = g_strdup (self->fallback_note);
  GPtrArray *providers = cc_proxy_registry_get_providers (self->registry);
  CcProxySnapshot *snapshot = cc_proxy_snapshot_new (resolve_active_provider (self));

  for (guint i = 0; i < providers->len; i++)
    {
      CcProxyProviderDescriptor *descriptor = cc_proxy_provider_get_descriptor (g_ptr_array_index (providers, i));
      const char *id = cc_proxy_provider_descriptor_get_id (descriptor);

      for (guint j = 0; j < cc_proxy_provider_descriptor_get_n_settings (descriptor); j++)
        {
          CcProxySettingDescriptor *setting = cc_proxy_provider_descriptor_get_setting (descriptor, j);
          const char *key = cc_proxy_setting_descriptor_get_key (setting);
          g_autofree char *full = g_strconcat (id, "/", key, NULL);
          g_autofree char *from_env = value_from_environment (self, id, setting);
          const char *value = from_env;

          if (value == NULL)
            value = g_hash_table_lookup (self->stored, full);
          if (value == NULL)
            value = cc_proxy_setting_descriptor_get_default (setting);

          cc_proxy_snapshot_insert (snapshot, id, key, value, from_env != NULL,
                                    cc_proxy_setting_descriptor_is_secret (setting));
        }
    }

  /* Say it once, not on every rebuild. */
  if (self->fallback_note != NULL && g_strcmp0 (old_note, self->fallback_note) != 0)
    g_message ("%s", self->fallback_note);

  g_clear_pointer (&self->snapshot, cc_proxy_snapshot_unref);
  self->snapshot = snapshot;
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/**
 * cc_proxy_runtime_new:
 * @registry: the providers
 * @environment: (nullable) (array zero-terminated=1): the environment to
 *   read overrides from; %NULL for the process environment
 */
CcProxyRuntime *
cc_proxy_runtime_new (CcProxyRegistry    *registry,
                      const char * const *environment)
{
  CcProxyRuntime *self = g_object_new (CC_PROXY_TYPE_RUNTIME, NULL);

  self->registry = g_object_ref (registry);
  self->environment = environment ? g_strdupv ((char **) environment) : g_get_environ ();
  rebuild (self);
  return self;
}

/**
 * cc_proxy_runtime_get_snapshot:
 *
 * Returns: (transfer none): the current snapshot; take a reference to
 *   keep it across a change
 */
CcProxySnapshot *
cc_proxy_runtime_get_snapshot (CcProxyRuntime *self)
{
  return self->snapshot;
}

/**
 * cc_proxy_runtime_get_fallback_note:
 *
 * Returns: (nullable): why the active provider is not the one the
 *   environment asked for
 */
const char *
cc_proxy_runtime_get_fallback_note (CcProxyRuntime *self)
{
  return self->fallback_note;
}

static CcProxyProvider *
lookup_provider (CcProxyRuntime  *self,
                 const char      *id,
                 GError         **error)
{
  CcProxyProvider *provider = cc_proxy_registry_lookup (self->registry, id);

  if (provider == NULL)
    {
      g_autofree char *known = cc_proxy_registry_dup_known_ids (self->registry);

      g_set_error (error, CC_PROXY_RUNTIME_ERROR, CC_PROXY_RUNTIME_ERROR_UNKNOWN_PROVIDER,
                   _("There is no provider “%s”; known providers: %s"), id, known);
    }
  return provider;
}

gboolean
cc_proxy_runtime_set_active_provider (CcProxyRuntime  *self,
                                      const char      *id,
                                      GError         **error)
{
  if (lookup_provider (self, id, error) == NULL)
    return FALSE;

  g_free (self->active_provider);
  self->active_provider = g_strdup (id);
  rebuild (self);
  return TRUE;
}

static CcProxySettingDescriptor *
lookup_setting (CcProxyRuntime  *self,
                const char      *provider_id,
                const char      *key,
                GError         **error)
{
  CcProxyProvider *provider = lookup_provider (self, provider_id, error);
  CcProxySettingDescriptor *setting;

  if (provider == NULL)
    return NULL;

  setting = cc_proxy_provider_descriptor_lookup_setting (cc_proxy_provider_get_descriptor (provider), key);
  if (setting == NULL)
    g_set_error (error, CC_PROXY_RUNTIME_ERROR, CC_PROXY_RUNTIME_ERROR_UNKNOWN_SETTING,
                 _("Provider “%s” has no setting “%s”"), provider_id, key);
  return setting;
}

/**
 * cc_proxy_runtime_set_value:
 *
 * Stores a value (checked and normalised against its descriptor) and
 * builds a new snapshot. An environment variable for the same setting
 * still wins until it is unset.
 */
gboolean
cc_proxy_runtime_set_value (CcProxyRuntime  *self,
                            const char      *provider_id,
                            const char      *key,
                            const char      *value,
                            GError         **error)
{
  CcProxySettingDescriptor *setting = lookup_setting (self, provider_id, key, error);
  g_autoptr(GError) local_error = NULL;
  char *normalized;

  if (setting == NULL)
    return FALSE;

  normalized = cc_proxy_setting_descriptor_normalize (setting, value, &local_error);
  if (normalized == NULL)
    {
      g_set_error_literal (error, CC_PROXY_RUNTIME_ERROR, CC_PROXY_RUNTIME_ERROR_INVALID_VALUE,
                           local_error->message);
      return FALSE;
    }

  g_hash_table_replace (self->stored, g_strconcat (provider_id, "/", key, NULL), normalized);
  rebuild (self);
  return TRUE;
}

gboolean
cc_proxy_runtime_reset_value (CcProxyRuntime  *self,
                              const char      *provider_id,
                              const char      *key,
                              GError         **error)
{
  g_autofree char *full = NULL;

  if (lookup_setting (self, provider_id, key, error) == NULL)
    return FALSE;

  full = g_strconcat (provider_id, "/", key, NULL);
  if (g_hash_table_remove (self->stored, full))
    rebuild (self);
  return TRUE;
}
