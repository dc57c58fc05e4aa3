/* cc-proxy-settings.c: where setting values come from and go to
 *
 * Precedence, highest first: the environment variables a descriptor
 * names (first one set wins), the stored value, the descriptor default.
 * Environment values live in memory only; they are never stored.
 *
 * Stored values live in GSettings, in their native types:
 * org.ccproxy.Proxy for the active provider, one schema per provider
 * (generated from its descriptor) for its settings. Secret settings have
 * no GSettings key: with a keyring (cc_proxy_settings_use_keyring())
 * they are loaded from and saved to it, and held in memory; values are
 * kept in memory only when no schema is installed. Any change, from a
 * setter or behind our back (`gsettings set`), is one "changed" signal;
 * the runtime turns that into a new snapshot.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-settings"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cc-proxy-schema.h"
#include "cc-proxy-settings.h"


struct _CcProxySettings
{
  GObject          parent_instance;

  CcProxyRegistry *registry;
  GStrv            environment;
  GSettings       *core;             /* NULL without installed schemas */
  GHashTable      *provider_settings; /* provider id → GSettings */
  char            *active_provider;  /* the stored choice, without GSettings */
  GHashTable      *stored;           /* "provider/key" → normalised value,
                                        for what GSettings does not hold */
  CcProxySecretStore *secrets;       /* NULL: secrets in memory only */
  gboolean         keyring_warned;
  GSettingsBackend *backend;         /* NULL: the default */
};

G_DEFINE_QUARK (cc-proxy-settings-error-quark, cc_proxy_settings_error)

G_DEFINE_FINAL_TYPE (CcProxySettings, cc_proxy_settings, G_TYPE_OBJECT)

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
cc_proxy_settings_finalize (GObject *object)
{
  CcProxySettings *self = (CcProxySettings *) object;

  if (self->core != NULL)
    g_signal_handlers_disconnect_by_data (self->core, self);
  g_clear_object (&self->core);
  g_clear_pointer (&self->provider_settings, g_hash_table_unref);
  g_clear_object (&self->backend);
  g_clear_object (&self->registry);
  g_clear_object (&self->secrets);
  g_strfreev (self->environment);
  g_free (self->active_provider);
  g_hash_table_unref (self->stored);

  G_OBJECT_CLASS (cc_proxy_settings_parent_class)->finalize (object);
}

static void
cc_proxy_settings_class_init (CcProxySettingsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cc_proxy_settings_finalize;

  /**
   * CcProxySettings::changed:
   *
   * A value, stored or in the keyring, changed (or may have: reload).
   */
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
disconnect_and_unref (gpointer data)
{
  g_signal_handlers_disconnect_matched (data, G_SIGNAL_MATCH_ID, g_signal_lookup ("changed", G_TYPE_SETTINGS),
                                        0, NULL, NULL, NULL);
  g_object_unref (data);
}

static void
cc_proxy_settings_init (CcProxySettings *self)
{
  self->stored = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->provider_settings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, disconnect_and_unref);
}

static void
emit_changed (CcProxySettings *self)
{
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/* The GSettings key behind a setting, if there is one. */
static GSettings *
settings_for (CcProxySettings          *self,
              const char               *provider_id,
              CcProxySettingDescriptor *setting)
{
  GSettings *settings;
  g_autoptr(GSettingsSchema) schema = NULL;

  if (cc_proxy_setting_descriptor_is_secret (setting))
    return NULL;
  settings = g_hash_table_lookup (self->provider_settings, provider_id);
  if (settings == NULL)
    return NULL;
  g_object_get (settings, "settings-schema", &schema, NULL);
  return g_settings_schema_has_key (schema, cc_proxy_setting_descriptor_get_key (setting)) ? settings : NULL;
}

static char *
stored_value (CcProxySettings          *self,
              const char               *provider_id,
              CcProxySettingDescriptor *setting,
              char                    **refused)
{
  GSettings *settings = settings_for (self, provider_id, setting);
  const char *key = cc_proxy_setting_descriptor_get_key (setting);
  g_autofree char *full = NULL;

  if (settings != NULL)
    {
      g_autoptr(GVariant) value = g_settings_get_value (settings, key);
      g_autoptr(GError) error = NULL;
      char *text = cc_proxy_schema_value_from_variant (setting, value, &error);

      /* GSettings checks types and ranges, not what a URL may be: a
       * value stored behind our back (gsettings set) that the setting
       * refuses is not used, and that is said, to the caller too. */
      if (text == NULL)
        {
          g_message (_("Ignoring the stored value of %s for %s: %s"), key, provider_id, error->message);
          if (refused != NULL)
            *refused = g_strdup (error->message);
        }
      return text;
    }

  full = g_strconcat (provider_id, "/", key, NULL);
  return g_strdup (g_hash_table_lookup (self->stored, full));
}

static const char *
getenv_nonempty (CcProxySettings *self,
                 const char      *name)
{
  const char *value = g_environ_getenv (self->environment, name);

  return (value != NULL && value[0] != '\0') ? value : NULL;
}

/* Returns the value an environment variable gives the setting, if any. */
static char *
value_from_environment (CcProxySettings          *self,
                        const char               *provider_id,
                        CcProxySettingDescriptor *setting)
{
  const char * const *vars = cc_proxy_setting_descriptor_get_env_vars (setting);

  for (guint i = 0; vars != NULL && vars[i] != NULL; i++)
    {
      const char *raw = getenv_nonempty (self, vars[i]);
      g_autoptr(GError) error = NULL;
      char *value;

      if (raw == NULL)
        continue;

      value = cc_proxy_setting_descriptor_normalize (setting, raw, &error);
      if (value != NULL)
        return value;
      /* The message quotes the value: not for a secret. */
      if (cc_proxy_setting_descriptor_is_secret (setting))
        g_message (_("Ignoring %s for %s: not a valid value"), vars[i], provider_id);
      else
        g_message (_("Ignoring %s for %s: %s"), vars[i], provider_id, error->message);
    }
  return NULL;
}

static void
on_settings_changed (GSettings       *settings,
                     const char      *key,
                     CcProxySettings *self)
{
  emit_changed (self);
}

static GSettingsSchema *
lookup_schema (const char *schema_id)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();

  return source ? g_settings_schema_source_lookup (source, schema_id, TRUE) : NULL;
}

/* @path: where a relocatable schema's values are, %NULL for a fixed one */
static GSettings *
open_settings (CcProxySettings  *self,
               const char       *schema_id,
               const char       *path,
               GSettingsBackend *backend)
{
  g_autoptr(GSettingsSchema) schema = lookup_schema (schema_id);
  GSettings *settings;

  if (schema == NULL)
    {
      g_debug ("No schema %s installed: its values are kept in memory", schema_id);
      return NULL;
    }
  settings = g_settings_new_full (schema, backend, path);
  g_signal_connect (settings, "changed", G_CALLBACK (on_settings_changed), self);
  return settings;
}

/* GSettings for each provider that has none yet (and a schema). */
static void
open_provider_settings (CcProxySettings *self)
{
  GPtrArray *providers = cc_proxy_registry_get_providers (self->registry);

  for (guint i = 0; i < providers->len; i++)
    {
      CcProxyProvider *provider = g_ptr_array_index (providers, i);
      const char *id = cc_proxy_provider_get_id (provider);
      g_autofree char *schema_id = NULL;
      GSettings *settings;

      if (g_hash_table_contains (self->provider_settings, id))
        continue;
      if (cc_proxy_registry_is_instance (provider))
        {
          g_autofree char *path = cc_proxy_schema_path_for_provider (id);

          schema_id = cc_proxy_schema_id_for_instance (cc_proxy_registry_get_kind (provider));
          settings = open_settings (self, schema_id, path, self->backend);
        }
      else
        {
          schema_id = cc_proxy_schema_id_for_provider (id);
          settings = open_settings (self, schema_id, NULL, self->backend);
        }
      if (settings != NULL)
        g_hash_table_insert (self->provider_settings, g_strdup (id), settings);
    }
}

/* Writes without waiting for GSettings to call back; the setter then
 * says "changed" once, so that the snapshot is current when it returns. */
static void
write_quietly (CcProxySettings *self,
               GSettings       *settings,
               const char      *key,
               GVariant        *value)
{
  g_signal_handlers_block_by_func (settings, on_settings_changed, self);
  if (value != NULL)
    g_settings_set_value (settings, key, value);
  else
    g_settings_reset (settings, key);
  g_signal_handlers_unblock_by_func (settings, on_settings_changed, self);
}

static CcProxyProvider *
lookup_provider (CcProxySettings  *self,
                 const char       *id,
                 GError          **error)
{
  CcProxyProvider *provider = cc_proxy_registry_lookup (self->registry, id);

  if (provider == NULL)
    {
      g_autofree char *known = cc_proxy_registry_dup_known_ids (self->registry);

      g_set_error (error, CC_PROXY_SETTINGS_ERROR, CC_PROXY_SETTINGS_ERROR_UNKNOWN_PROVIDER,
                   _("There is no provider “%s”; known providers: %s"), id, known);
    }
  return provider;
}

static CcProxySettingDescriptor *
lookup_setting (CcProxySettings  *self,
                const char       *provider_id,
                const char       *key,
                GError          **error)
{
  CcProxyProvider *provider = lookup_provider (self, provider_id, error);
  CcProxySettingDescriptor *setting;

  if (provider == NULL)
    return NULL;

  setting = cc_proxy_provider_descriptor_lookup_setting (cc_proxy_provider_get_descriptor (provider), key);
  if (setting == NULL)
    g_set_error (error, CC_PROXY_SETTINGS_ERROR, CC_PROXY_SETTINGS_ERROR_UNKNOWN_SETTING,
                 _("Provider “%s” has no setting “%s”"), provider_id, key);
  return setting;
}

/* The setting's check of a value in its own type or as text, reported
 * in the settings' own error domain. */
static char *
normalize_value (CcProxySettingDescriptor  *setting,
                 GVariant                  *value,
                 GError                   **error)
{
  g_autoptr(GError) local_error = NULL;
  char *normalized = cc_proxy_schema_value_from_variant (setting, value, &local_error);

  if (normalized == NULL)
    g_set_error_literal (error, CC_PROXY_SETTINGS_ERROR, CC_PROXY_SETTINGS_ERROR_INVALID_VALUE,
                         local_error->message);
  return normalized;
}

/* Holds (or, for %NULL, forgets) a value in memory: what GSettings does
 * not hold, and secrets. */
static void
keep_in_memory (CcProxySettings *self,
                const char      *provider_id,
                const char      *key,
                const char      *value)
{
  char *full = g_strconcat (provider_id, "/", key, NULL);

  if (value != NULL)
    g_hash_table_replace (self->stored, full, g_strdup (value));
  else
    {
      g_hash_table_remove (self->stored, full);
      g_free (full);
    }
}

static gboolean
set_variant (CcProxySettings  *self,
             const char       *provider_id,
             const char       *key,
             GVariant         *value,
             GError          **error)
{
  CcProxySettingDescriptor *setting = lookup_setting (self, provider_id, key, error);
  g_autofree char *normalized = NULL;
  GSettings *settings;

  if (setting == NULL)
    return FALSE;

  normalized = normalize_value (setting, value, error);
  if (normalized == NULL)
    return FALSE;

  settings = settings_for (self, provider_id, setting);
  if (settings != NULL)
    write_quietly (self, settings, key, cc_proxy_schema_value_to_variant (setting, normalized));
  else
    keep_in_memory (self, provider_id, key, normalized);
  emit_changed (self);
  return TRUE;
}

/**
 * cc_proxy_settings_set_value:
 *
 * Stores a value given as text (checked and normalised against its
 * descriptor). An environment variable for the same setting still wins
 * until it is unset.
 */
gboolean
cc_proxy_settings_set_value (CcProxySettings  *self,
                             const char       *provider_id,
                             const char       *key,
                             const char       *value,
                             GError          **error)
{
  g_autoptr(GVariant) text = g_variant_ref_sink (g_variant_new_string (value));

  return set_variant (self, provider_id, key, text, error);
}

gboolean
cc_proxy_settings_reset_value (CcProxySettings  *self,
                               const char       *provider_id,
                               const char       *key,
                               GError          **error)
{
  CcProxySettingDescriptor *setting = lookup_setting (self, provider_id, key, error);
  GSettings *settings;

  if (setting == NULL)
    return FALSE;

  settings = settings_for (self, provider_id, setting);
  if (settings != NULL)
    write_quietly (self, settings, key, NULL);
  else
    keep_in_memory (self, provider_id, key, NULL);
  emit_changed (self);
  return TRUE;
}

/* ----- instances (docs/instances.md) ----- */

static void load_secrets (CcProxySettings           *self,
                          CcProxyProviderDescriptor *descriptor);

static void
on_instance_added (CcProxySettings *self,
                   CcProxyProvider *provider)
{
  open_provider_settings (self);
  if (self->secrets != NULL)
    load_secrets (self, cc_proxy_provider_get_descriptor (provider));
  emit_changed (self);
}

static void
on_instance_removed (CcProxySettings *self,
                     CcProxyProvider *provider)
{
  const char *id = cc_proxy_provider_get_id (provider);
  g_autofree char *prefix = g_strconcat (id, "/", NULL);
  GHashTableIter iter;
  const char *full;

  g_hash_table_remove (self->provider_settings, id);
  g_hash_table_iter_init (&iter, self->stored);
  while (g_hash_table_iter_next (&iter, (gpointer *) &full, NULL))
    if (g_str_has_prefix (full, prefix))
      g_hash_table_iter_remove (&iter);
  emit_changed (self);
}

/* The stored list of instances, as name → kind. */
static GVariant *
dup_instances (CcProxySettings *self)
{
  if (self->core != NULL)
    return g_settings_get_value (self->core, "instances");
  return g_variant_ref_sink (g_variant_new ("a{ss}", NULL));
}

/* Makes the registry's instances those the `instances` key lists,
 * whoever changed it: an entry that cannot be added is said in the log
 * and the others are. */
static void
sync_instances (CcProxySettings *self)
{
  g_autoptr(GVariant) wanted = dup_instances (self);
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *providers = cc_proxy_registry_get_providers (self->registry);
  GVariantIter iter;
  const char *name, *kind;

  for (guint i = 0; i < providers->len; i++)
    {
      CcProxyProvider *provider = g_ptr_array_index (providers, i);

      if (cc_proxy_registry_is_instance (provider) &&
          !g_variant_lookup (wanted, cc_proxy_provider_get_id (provider), "&s", NULL))
        /* A copy: the id dies with its provider. */
        g_ptr_array_add (gone, g_strdup (cc_proxy_provider_get_id (provider)));
    }
  for (guint i = 0; i < gone->len; i++)
    cc_proxy_registry_remove_instance (self->registry, g_ptr_array_index (gone, i), NULL);

  g_variant_iter_init (&iter, wanted);
  while (g_variant_iter_next (&iter, "{&s&s}", &name, &kind))
    {
      CcProxyProvider *provider = cc_proxy_registry_lookup (self->registry, name);
      g_autoptr(GError) error = NULL;

      if (provider != NULL && cc_proxy_registry_is_instance (provider) &&
          g_str_equal (cc_proxy_registry_get_kind (provider), kind))
        continue;
      if (provider != NULL && cc_proxy_registry_is_instance (provider))
        cc_proxy_registry_remove_instance (self->registry, name, NULL);
      if (!cc_proxy_registry_add_instance (self->registry, kind, name, &error))
        g_message (_("Instance %s of %s is not served: %s"), name, kind, error->message);
    }
}

/* Stores the `instances` key with @name left out or (@kind) as an
 * instance of @kind, and follows it at once: GSettings may say
 * "changed" later, and the caller is to be current when it returns. */
static void
store_instance (CcProxySettings *self,
                const char      *name,
                const char      *kind)
{
  g_autoptr(GVariant) instances = dup_instances (self);
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{ss}"));
  GVariantIter iter;
  const char *entry_name, *entry_kind;

  g_variant_iter_init (&iter, instances);
  while (g_variant_iter_next (&iter, "{&s&s}", &entry_name, &entry_kind))
    if (!g_str_equal (entry_name, name))
      g_variant_builder_add (&builder, "{ss}", entry_name, entry_kind);
  if (kind != NULL)
    g_variant_builder_add (&builder, "{ss}", name, kind);
  if (self->core != NULL)
    g_settings_set_value (self->core, "instances", g_variant_builder_end (&builder));
  sync_instances (self);
}

/**
 * cc_proxy_settings_add_instance:
 * @kind: a provider module's provider id
 * @name: the new instance's name
 *
 * Adds an instance of @kind, stored in the `instances` key, with its
 * settings at their defaults.
 */
gboolean
cc_proxy_settings_add_instance (CcProxySettings  *self,
                                const char       *kind,
                                const char       *name,
                                GError          **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!cc_proxy_registry_check_instance (self->registry, kind, name, &local_error))
    {
      g_set_error_literal (error, CC_PROXY_SETTINGS_ERROR,
                           g_error_matches (local_error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_UNKNOWN_KIND)
                             ? CC_PROXY_SETTINGS_ERROR_UNKNOWN_PROVIDER : CC_PROXY_SETTINGS_ERROR_INVALID_VALUE,
                           local_error->message);
      return FALSE;
    }
  if (self->core == NULL)
    {
      g_set_error_literal (error, CC_PROXY_SETTINGS_ERROR, CC_PROXY_SETTINGS_ERROR_INVALID_VALUE,
                           _("Instances are kept in GSettings, and the org.ccproxy.Proxy schema is not installed"));
      return FALSE;
    }
  {
    g_autofree char *schema_id = cc_proxy_schema_id_for_instance (kind);
    g_autoptr(GSettingsSchema) schema = lookup_schema (schema_id);

    if (schema == NULL)
      {
        g_set_error (error, CC_PROXY_SETTINGS_ERROR, CC_PROXY_SETTINGS_ERROR_INVALID_VALUE,
                     _("The %s module installed no schema for instances (%s): write its schema again "
                       "with this cc-proxy-schema-gen and compile the schemas"), kind, schema_id);
        return FALSE;
      }
  }

  store_instance (self, name, kind);
  if (cc_proxy_registry_lookup (self->registry, name) == NULL)
    {
      g_set_error (error, CC_PROXY_SETTINGS_ERROR, CC_PROXY_SETTINGS_ERROR_INVALID_VALUE,
                   _("The instance %s could not be started; the service log says why"), name);
      return FALSE;
    }
  return TRUE;
}

/**
 * cc_proxy_settings_new:
 * @registry: the providers whose settings these are
 * @environment: (nullable) (array zero-terminated=1): the environment to
 *   read overrides from; %NULL for the process environment
 * @backend: (nullable): where settings are stored; %NULL for the default
 */
CcProxySettings *
cc_proxy_settings_new (CcProxyRegistry    *registry,
                       const char * const *environment,
                       GSettingsBackend   *backend)
{
  CcProxySettings *self = g_object_new (CC_PROXY_TYPE_SETTINGS, NULL);

  self->registry = g_object_ref (registry);
  self->environment = environment ? g_strdupv ((char **) environment) : g_get_environ ();
  self->backend = backend ? g_object_ref (backend) : NULL;
  self->core = open_settings (self, CC_PROXY_SCHEMA_ID, NULL, backend);
  open_provider_settings (self);
  g_signal_connect_object (registry, "instance-added", G_CALLBACK (on_instance_added), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (registry, "instance-removed", G_CALLBACK (on_instance_removed), self, G_CONNECT_SWAPPED);
  if (self->core != NULL)
    g_signal_connect_swapped (self->core, "changed::instances", G_CALLBACK (sync_instances), self);
  sync_instances (self);
  return self;
}

/**
 * cc_proxy_settings_add_providers:
 * @self: the settings
 *
 * The registry has new providers (a rescan): their settings are read
 * from now on.
 */
void
cc_proxy_settings_add_providers (CcProxySettings *self)
{
  open_provider_settings (self);
  emit_changed (self);
}

/**
 * cc_proxy_settings_get_core_settings:
 *
 * Returns: (transfer none) (nullable): org.ccproxy.Proxy, when installed
 */
GSettings *
cc_proxy_settings_get_core_settings (CcProxySettings *self)
{
  return self->core;
}

/**
 * cc_proxy_settings_dup_value:
 * @self: the settings
 * @provider_id: a provider
 * @setting: one of its settings
 * @from_environment: (out): whether an environment variable decided it
 * @refused: (out) (optional) (transfer full): why the stored value is
 *   not used, when it is refused (the default is returned then)
 *
 * Returns: (transfer full): the value in effect, normalised: from the
 *   environment, else stored, else the default
 */
char *
cc_proxy_settings_dup_value (CcProxySettings          *self,
                             const char               *provider_id,
                             CcProxySettingDescriptor *setting,
                             gboolean                 *from_environment,
                             char                    **refused)
{
  char *value = value_from_environment (self, provider_id, setting);

  if (refused != NULL)
    *refused = NULL;
  *from_environment = value != NULL;
  if (value == NULL)
    value = stored_value (self, provider_id, setting, refused);
  if (value == NULL)
    value = g_strdup (cc_proxy_setting_descriptor_get_default (setting));
  return value;
}

/**
 * cc_proxy_settings_get_provider_override:
 *
 * Returns: (nullable): the provider CC_PROXY_PROVIDER asks for
 */
const char *
cc_proxy_settings_get_provider_override (CcProxySettings *self)
{
  return getenv_nonempty (self, CC_PROXY_PROVIDER_ENV);
}

/**
 * cc_proxy_settings_dup_active_provider:
 *
 * Returns: (transfer full) (nullable): the stored choice of provider,
 *   which may name none that is loaded (`gsettings set`)
 */
char *
cc_proxy_settings_dup_active_provider (CcProxySettings *self)
{
  if (self->core != NULL)
    return g_settings_get_string (self->core, "active-provider");
  return g_strdup (self->active_provider);
}

/**
 * cc_proxy_settings_set_active_provider:
 *
 * Stores the choice of provider, which must be loaded.
 */
gboolean
cc_proxy_settings_set_active_provider (CcProxySettings  *self,
                                       const char       *id,
                                       GError          **error)
{
  if (lookup_provider (self, id, error) == NULL)
    return FALSE;

  g_free (self->active_provider);
  self->active_provider = g_strdup (id);
  if (self->core != NULL)
    write_quietly (self, self->core, "active-provider", g_variant_new_string (id));
  emit_changed (self);
  return TRUE;
}

/**
 * cc_proxy_settings_reload:
 *
 * Reads every stored value again. (GSettings changes arrive by
 * themselves; this is for a settings backend that missed one, and for
 * people who want to be sure.)
 */
void
cc_proxy_settings_reload (CcProxySettings *self)
{
  if (self->core != NULL)
    g_settings_sync ();
  emit_changed (self);
}

/* ----- the keyring ----- */

typedef struct
{
  char *provider_id;
  char *key;
  char *value;  /* normalised; NULL for a reset */
} SecretChange;

static void
secret_change_free (gpointer data)
{
  SecretChange *change = data;

  g_free (change->provider_id);
  g_free (change->key);
  g_free (change->value);
  g_free (change);
}

static void
remember_secret (CcProxySettings *self,
                 const char      *provider_id,
                 const char      *key,
                 const char      *value)
{
  keep_in_memory (self, provider_id, key, value);
  emit_changed (self);
}

static void
keyring_unavailable (CcProxySettings *self,
                     const GError    *error)
{
  /* Said once: without a keyring, secrets can still come from the
   * environment, and everything else works. */
  if (self->keyring_warned)
    return;
  self->keyring_warned = TRUE;
  g_message (_("The keyring is not available (%s): secret settings come from the environment only"), error->message);
}

static void
on_secret_loaded (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CcProxySettings *self = g_task_get_source_object (task);
  SecretChange *change = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *value = cc_proxy_secret_store_lookup_finish (CC_PROXY_SECRET_STORE (source), result, &error);

  if (error != NULL)
    keyring_unavailable (self, error);
  else if (value != NULL)
    remember_secret (self, change->provider_id, change->key, value);
}

/* Reads @descriptor's secret settings from the keyring. */
static void
load_secrets (CcProxySettings           *self,
              CcProxyProviderDescriptor *descriptor)
{
  for (guint j = 0; j < cc_proxy_provider_descriptor_get_n_settings (descriptor); j++)
    {
      CcProxySettingDescriptor *setting = cc_proxy_provider_descriptor_get_setting (descriptor, j);
      GTask *task;
      SecretChange *change;

      if (!cc_proxy_setting_descriptor_is_secret (setting))
        continue;
      task = g_task_new (self, NULL, NULL, NULL);
      change = g_new0 (SecretChange, 1);
      change->provider_id = g_strdup (cc_proxy_provider_descriptor_get_id (descriptor));
      change->key = g_strdup (cc_proxy_setting_descriptor_get_key (setting));
      g_task_set_task_data (task, change, secret_change_free);
      cc_proxy_secret_store_lookup_async (self->secrets, change->provider_id, change->key, NULL, on_secret_loaded, task);
    }
}

/**
 * cc_proxy_settings_use_keyring:
 * @self: the settings
 * @store: the keyring
 *
 * Secret settings are read from @store now (asynchronously: the first
 * snapshots may lack them) and saved to it by the _async setters.
 */
void
cc_proxy_settings_use_keyring (CcProxySettings    *self,
                               CcProxySecretStore *store)
{
  GPtrArray *providers = cc_proxy_registry_get_providers (self->registry);

  g_set_object (&self->secrets, store);
  for (guint i = 0; i < providers->len; i++)
    load_secrets (self, cc_proxy_provider_get_descriptor (g_ptr_array_index (providers, i)));
}

/* The keyring's error says there is no Secret Service at all (not a
 * locked or refusing one). */
static gboolean
no_secret_service (const GError *error)
{
  return g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER);
}

static void
on_secret_saved (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CcProxySettings *self = g_task_get_source_object (task);
  SecretChange *change = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gboolean ok = change->value != NULL
    ? cc_proxy_secret_store_store_finish (CC_PROXY_SECRET_STORE (source), result, &error)
    : cc_proxy_secret_store_clear_finish (CC_PROXY_SECRET_STORE (source), result, &error);

  /* Forgetting, with no Secret Service on the bus at all: the value was
   * only ever in memory, and goes from there. */
  if (!ok && change->value == NULL && no_secret_service (error))
    ok = TRUE;
  if (!ok)
    {
      /* The value in use stays as it was: nothing is lost. */
      g_task_return_new_error (task, CC_PROXY_SETTINGS_ERROR, CC_PROXY_SETTINGS_ERROR_KEYRING_UNAVAILABLE,
                               _("The keyring is not available, so %s was not changed: %s. "
                                 "Start or unlock the keyring (gnome-keyring), or give the value in the service's environment"),
                               change->key, error->message);
      return;
    }
  remember_secret (self, change->provider_id, change->key, change->value);
  g_task_return_boolean (task, TRUE);
}

/* Secrets go to the keyring first and change in memory once it has them;
 * everything else is set at once. */
static void
change_value_async (CcProxySettings     *self,
                    const char          *provider_id,
                    const char          *key,
                    GVariant            *value,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GVariant) owned = value != NULL ? g_variant_ref_sink (value) : NULL;
  GError *error = NULL;
  CcProxySettingDescriptor *setting = lookup_setting (self, provider_id, key, &error);
  SecretChange *change;
  char *normalized = NULL;

  g_task_set_source_tag (task, change_value_async);
  if (setting == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!cc_proxy_setting_descriptor_is_secret (setting) || self->secrets == NULL)
    {
      gboolean ok = value != NULL
        ? set_variant (self, provider_id, key, value, &error)
        : cc_proxy_settings_reset_value (self, provider_id, key, &error);

      if (ok)
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      return;
    }

  if (value != NULL)
    {
      normalized = normalize_value (setting, value, &error);
      if (normalized == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
    }

  change = g_new0 (SecretChange, 1);
  change->provider_id = g_strdup (provider_id);
  change->key = g_strdup (key);
  change->value = normalized;
  g_task_set_task_data (task, change, secret_change_free);
  if (value != NULL)
    cc_proxy_secret_store_store_async (self->secrets, provider_id, key, normalized, cancellable,
                                       on_secret_saved, g_object_ref (task));
  else
    cc_proxy_secret_store_clear_async (self->secrets, provider_id, key, cancellable,
                                       on_secret_saved, g_object_ref (task));
}

/**
 * cc_proxy_settings_keep_secret:
 * @self: the settings
 * @provider_id: a provider
 * @key: one of its secret settings
 * @value: the value
 * @error: return location for an error
 *
 * Uses @value from now until the daemon stops, without storing it
 * anywhere: for a login that the keyring could not take, so that it is
 * not lost.
 *
 * Returns: %FALSE when @key is not a secret setting or @value is not valid
 */
gboolean
cc_proxy_settings_keep_secret (CcProxySettings  *self,
                               const char       *provider_id,
                               const char       *key,
                               const char       *value,
                               GError          **error)
{
  CcProxySettingDescriptor *setting = lookup_setting (self, provider_id, key, error);
  g_autoptr(GVariant) text = g_variant_ref_sink (g_variant_new_string (value));
  g_autofree char *normalized = NULL;

  if (setting == NULL)
    return FALSE;
  g_return_val_if_fail (cc_proxy_setting_descriptor_is_secret (setting), FALSE);
  normalized = normalize_value (setting, text, error);
  if (normalized == NULL)
    return FALSE;
  remember_secret (self, provider_id, key, normalized);
  return TRUE;
}

/**
 * cc_proxy_settings_set_value_async:
 * @value: the value in the setting's own type, or as text (a floating
 *   reference is taken)
 *
 * Like cc_proxy_settings_set_value(), but a secret setting is saved in
 * the keyring first; when the keyring cannot take it, the call fails
 * with %CC_PROXY_SETTINGS_ERROR_KEYRING_UNAVAILABLE and the value in use
 * does not change.
 */
void
cc_proxy_settings_set_value_async (CcProxySettings     *self,
                                   const char          *provider_id,
                                   const char          *key,
                                   GVariant            *value,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (value != NULL);
  change_value_async (self, provider_id, key, value, cancellable, callback, user_data);
}

gboolean
cc_proxy_settings_set_value_finish (CcProxySettings  *self,
                                    GAsyncResult     *result,
                                    GError          **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cc_proxy_settings_reset_value_async (CcProxySettings     *self,
                                     const char          *provider_id,
                                     const char          *key,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  change_value_async (self, provider_id, key, NULL, cancellable, callback, user_data);
}

gboolean
cc_proxy_settings_reset_value_finish (CcProxySettings  *self,
                                      GAsyncResult     *result,
                                      GError          **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ----- removing an instance ----- */

typedef struct
{
  char   *name;
  guint   pending;
  GError *error;  /* the first keyring failure */
} Removal;

static void
removal_free (gpointer data)
{
  Removal *removal = data;

  g_free (removal->name);
  g_clear_error (&removal->error);
  g_free (removal);
}

/* The keyring has forgotten the instance: now its stored values and its
 * entry go, and with the entry the instance itself (sync_instances()). */
static void
finish_removal (GTask *task)
{
  CcProxySettings *self = g_task_get_source_object (task);
  Removal *removal = g_task_get_task_data (task);
  CcProxyProvider *provider = cc_proxy_registry_lookup (self->registry, removal->name);
  GSettings *settings = g_hash_table_lookup (self->provider_settings, removal->name);

  if (removal->error != NULL)
    {
      g_task_return_new_error (task, CC_PROXY_SETTINGS_ERROR, CC_PROXY_SETTINGS_ERROR_KEYRING_UNAVAILABLE,
                               _("The keyring is not available, so %s was not removed: %s"),
                               removal->name, removal->error->message);
      return;
    }

  if (settings != NULL && provider != NULL)
    {
      CcProxyProviderDescriptor *descriptor = cc_proxy_provider_get_descriptor (provider);

      for (guint i = 0; i < cc_proxy_provider_descriptor_get_n_settings (descriptor); i++)
        {
          CcProxySettingDescriptor *setting = cc_proxy_provider_descriptor_get_setting (descriptor, i);

          if (settings_for (self, removal->name, setting) != NULL)
            write_quietly (self, settings, cc_proxy_setting_descriptor_get_key (setting), NULL);
        }
    }

  store_instance (self, removal->name, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
on_instance_secret_cleared (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Removal *removal = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* With no Secret Service on the bus at all, nothing was ever kept in
   * one: its secrets were in memory, and go with it. A keyring that is
   * there but locked or refusing keeps the instance (its items would
   * come back to the next instance of that name). */
  if (!cc_proxy_secret_store_clear_finish (CC_PROXY_SECRET_STORE (source), result, &error) &&
      !no_secret_service (error) && removal->error == NULL)
    removal->error = g_steal_pointer (&error);
  if (--removal->pending == 0)
    finish_removal (task);
}

/**
 * cc_proxy_settings_remove_instance_async:
 * @name: an instance
 *
 * Forgets the instance @name: its keyring items first (when the keyring
 * cannot, nothing is removed), then its stored settings and its entry
 * in `instances`. Whether a route or the active provider still names it
 * is the caller's to check.
 */
void
cc_proxy_settings_remove_instance_async (CcProxySettings     *self,
                                         const char          *name,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  CcProxyProvider *provider = cc_proxy_registry_lookup (self->registry, name);
  CcProxyProviderDescriptor *descriptor;
  Removal *removal;

  g_task_set_source_tag (task, cc_proxy_settings_remove_instance_async);
  if (provider == NULL || !cc_proxy_registry_is_instance (provider))
    {
      g_task_return_new_error (task, CC_PROXY_SETTINGS_ERROR,
                               provider ? CC_PROXY_SETTINGS_ERROR_INVALID_VALUE : CC_PROXY_SETTINGS_ERROR_UNKNOWN_PROVIDER,
                               provider ? _("“%s” is not an instance: only instances added with “cc-proxyctl add” can be removed")
                                        : _("There is no instance “%s”"), name);
      return;
    }

  removal = g_new0 (Removal, 1);
  removal->name = g_strdup (name);
  removal->pending = 1;
  g_task_set_task_data (task, removal, removal_free);
  descriptor = cc_proxy_provider_get_descriptor (provider);
  for (guint i = 0; self->secrets != NULL && i < cc_proxy_provider_descriptor_get_n_settings (descriptor); i++)
    {
      CcProxySettingDescriptor *setting = cc_proxy_provider_descriptor_get_setting (descriptor, i);

      if (!cc_proxy_setting_descriptor_is_secret (setting))
        continue;
      removal->pending++;
      cc_proxy_secret_store_clear_async (self->secrets, name, cc_proxy_setting_descriptor_get_key (setting),
                                         cancellable, on_instance_secret_cleared, g_object_ref (task));
    }
  if (--removal->pending == 0)
    finish_removal (task);
}

gboolean
cc_proxy_settings_remove_instance_finish (CcProxySettings  *self,
                                          GAsyncResult     *result,
                                          GError          **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
