/* cc-proxy-runtime.c: turns settings into immutable snapshots
 *
 * Every change of the settings (cc-proxy-settings.c) builds a whole new
 * snapshot and swaps it in; requests hold a reference to the one they
 * started with. All of this runs on the main context, so the swap needs
 * no lock. The runtime also decides which provider is active: the
 * environment's choice, else the stored one, as long as it names a
 * loaded provider.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-runtime"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cc-proxy-runtime.h"


struct _CcProxyRuntime
{
  GObject          parent_instance;

  CcProxyRegistry *registry;
  CcProxySettings *settings;
  char            *active_provider;  /* the last valid choice */
  CcProxySnapshot *snapshot;
  char            *fallback_note;
  GHashTable      *refusals;  /* provider id → why a stored value of it was refused */
};

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

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  g_clear_object (&self->registry);
  g_free (self->active_provider);
  g_clear_pointer (&self->snapshot, cc_proxy_snapshot_unref);
  g_free (self->fallback_note);
  g_clear_pointer (&self->refusals, g_hash_table_unref);

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
}

static const char *
resolve_active_provider (CcProxyRuntime *self)
{
  const char *from_env = cc_proxy_settings_get_provider_override (self->settings);

  g_clear_pointer (&self->fallback_note, g_free);

  if (from_env != NULL)
    {
      g_autofree char *known = NULL;

      if (cc_proxy_registry_lookup (self->registry, from_env) != NULL)
        return from_env;

      known = cc_proxy_registry_dup_known_ids (self->registry);
      self->fallback_note = g_strdup_printf (_("%s=%s names no known provider (known: %s); using %s"),
                                             CC_PROXY_PROVIDER_ENV, from_env, known, CC_PROXY_BUILTIN_PROVIDER_ID);
      return CC_PROXY_BUILTIN_PROVIDER_ID;
    }

  {
    g_autofree char *stored = cc_proxy_settings_dup_active_provider (self->settings);

    if (stored == NULL)
      ;
    else if (cc_proxy_registry_lookup (self->registry, stored) != NULL)
      {
        g_free (self->active_provider);
        self->active_provider = g_steal_pointer (&stored);
      }
    else if (g_strcmp0 (stored, self->active_provider) != 0)
      {
        g_autofree char *known = cc_proxy_registry_dup_known_ids (self->registry);

        /* Set behind our back (gsettings set): refuse it, keep serving,
         * and say so where people look (status, ActiveProviderNote). */
        self->fallback_note = g_strdup_printf (_("active-provider is “%s” in GSettings, which names no known "
                                                 "provider (known: %s); %s stays active"),
                                               stored, known,
                                               self->active_provider != NULL &&
                                               cc_proxy_registry_lookup (self->registry, self->active_provider)
                                                 ? self->active_provider : CC_PROXY_BUILTIN_PROVIDER_ID);
      }
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
  g_autoptr(GHashTable) refusals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; i < providers->len; i++)
    {
      CcProxyProviderDescriptor *descriptor = cc_proxy_provider_get_descriptor (g_ptr_array_index (providers, i));
      const char *id = cc_proxy_provider_descriptor_get_id (descriptor);

      for (guint j = 0; j < cc_proxy_provider_descriptor_get_n_settings (descriptor); j++)
        {
          CcProxySettingDescriptor *setting = cc_proxy_provider_descriptor_get_setting (descriptor, j);
          const char *key = cc_proxy_setting_descriptor_get_key (setting);
          gboolean from_env = FALSE;
          g_autofree char *refused = NULL;
          g_autofree char *value = cc_proxy_settings_dup_value (self->settings, id, setting, &from_env, &refused);

          cc_proxy_snapshot_insert (snapshot, id, key, value, from_env, cc_proxy_setting_descriptor_is_secret (setting));
          /* The default instead of a value the user stored would send
           * the provider's requests (and key) somewhere they did not
           * say: the provider serves nothing until it is fixed. */
          if (refused != NULL && !g_hash_table_contains (refusals, id))
            g_hash_table_insert (refusals, g_strdup (id),
                                 g_strdup_printf (_("The %s provider's stored %s is refused (%s): fix it with "
                                                    "“cc-proxyctl set %s %s VALUE” or “cc-proxyctl reset %s %s”"),
                                                  id, key, refused, id, key, id, key));
        }
    }
  g_clear_pointer (&self->refusals, g_hash_table_unref);
  self->refusals = g_steal_pointer (&refusals);

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
 * @settings: their settings
 *
 * Returns: (transfer full): a runtime with a snapshot of @settings, kept
 *   current as they change
 */
CcProxyRuntime *
cc_proxy_runtime_new (CcProxyRegistry *registry,
                      CcProxySettings *settings)
{
  CcProxyRuntime *self = g_object_new (CC_PROXY_TYPE_RUNTIME, NULL);

  self->registry = g_object_ref (registry);
  self->settings = g_object_ref (settings);
  g_signal_connect_swapped (settings, "changed", G_CALLBACK (rebuild), self);
  rebuild (self);
  return self;
}

/**
 * cc_proxy_runtime_new_detached:
 * @registry: the providers
 * @snapshot: the first snapshot
 *
 * A runtime without settings of its own, for a provider host: its
 * snapshots come from cc-proxyd through cc_proxy_runtime_set_snapshot().
 *
 * Returns: (transfer full): a runtime holding @snapshot
 */
CcProxyRuntime *
cc_proxy_runtime_new_detached (CcProxyRegistry *registry,
                               CcProxySnapshot *snapshot)
{
  CcProxyRuntime *self = g_object_new (CC_PROXY_TYPE_RUNTIME, NULL);

  self->registry = g_object_ref (registry);
  self->snapshot = cc_proxy_snapshot_ref (snapshot);
  return self;
}

/**
 * cc_proxy_runtime_set_snapshot:
 * @snapshot: the new snapshot
 *
 * Puts @snapshot in place in a runtime made with
 * cc_proxy_runtime_new_detached().
 */
void
cc_proxy_runtime_set_snapshot (CcProxyRuntime  *self,
                               CcProxySnapshot *snapshot)
{
  g_return_if_fail (self->settings == NULL);

  cc_proxy_snapshot_ref (snapshot);
  g_clear_pointer (&self->snapshot, cc_proxy_snapshot_unref);
  self->snapshot = snapshot;
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/**
 * cc_proxy_runtime_new_full:
 * @registry: the providers
 * @environment: (nullable) (array zero-terminated=1): the environment to
 *   read overrides from; %NULL for the process environment
 * @backend: (nullable): where settings are stored; %NULL for the default
 *
 * Returns: (transfer full): a runtime over settings of its own
 */
CcProxyRuntime *
cc_proxy_runtime_new_full (CcProxyRegistry    *registry,
                           const char * const *environment,
                           GSettingsBackend   *backend)
{
  g_autoptr(CcProxySettings) settings = cc_proxy_settings_new (registry, environment, backend);

  return cc_proxy_runtime_new (registry, settings);
}

/**
 * cc_proxy_runtime_get_settings:
 *
 * Returns: (transfer none): where the snapshots' values come from
 */
CcProxySettings *
cc_proxy_runtime_get_settings (CcProxyRuntime *self)
{
  return self->settings;
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
 * cc_proxy_runtime_get_refusal:
 * @provider_id: a provider
 *
 * Returns: (nullable): why @provider_id serves nothing: a value stored
 *   for it was refused (its default is not used in its place)
 */
const char *
cc_proxy_runtime_get_refusal (CcProxyRuntime *self,
                              const char     *provider_id)
{
  return self->refusals != NULL ? g_hash_table_lookup (self->refusals, provider_id) : NULL;
}

/**
 * cc_proxy_runtime_dup_refusals:
 *
 * Returns: (transfer full): provider id → why it serves nothing, a{ss}
 */
GVariant *
cc_proxy_runtime_dup_refusals (CcProxyRuntime *self)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{ss}"));
  GHashTableIter iter;
  gpointer id, why;

  if (self->refusals != NULL)
    {
      g_hash_table_iter_init (&iter, self->refusals);
      while (g_hash_table_iter_next (&iter, &id, &why))
        g_variant_builder_add (&builder, "{ss}", id, why);
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/**
 * cc_proxy_runtime_get_fallback_note:
 *
 * Returns: (nullable): why the active provider is not the one the
 *   environment or GSettings asked for
 */
const char *
cc_proxy_runtime_get_fallback_note (CcProxyRuntime *self)
{
  return self->fallback_note;
}

/**
 * cc_proxy_runtime_get_registry:
 *
 * Returns: (transfer none): the providers this runtime holds settings for
 */
CcProxyRegistry *
cc_proxy_runtime_get_registry (CcProxyRuntime *self)
{
  return self->registry;
}
