/* cc-proxy-bus-provider.c: one provider, published as
 * org.ccproxy.Proxy1.Provider
 *
 * What the provider declares (its settings, typed, with ranges and
 * units), their values as they are now (secrets only as set or not),
 * and whether it needs the person. Values follow the runtime: the
 * generated skeleton sends PropertiesChanged when they really change.
 * Authenticate is the service's (it owns the login flows).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-dbus"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cc-proxy-bus-provider.h"
#include "cc-proxy-remote-provider.h"
#include "cc-proxy-module-info.h"
#include "cc-proxy-dbus-interface.h"
#include "cc-proxy-schema.h"

struct _CcProxyBusProvider
{
  CcProxyDBusProxy1ProviderSkeleton parent_instance;

  CcProxyRuntime  *runtime;
  CcProxyProvider *provider;
};

static void cc_proxy_bus_provider_iface_init (CcProxyDBusProxy1ProviderIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CcProxyBusProvider, cc_proxy_bus_provider, CC_PROXY_DBUS_TYPE_PROXY1_PROVIDER_SKELETON,
                               G_IMPLEMENT_INTERFACE (CC_PROXY_DBUS_TYPE_PROXY1_PROVIDER, cc_proxy_bus_provider_iface_init))

static GVariant *
setting_descriptors (CcProxyProviderDescriptor *descriptor)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("aa{sv}"));

  for (guint i = 0; i < cc_proxy_provider_descriptor_get_n_settings (descriptor); i++)
    {
      CcProxySettingDescriptor *setting = cc_proxy_provider_descriptor_get_setting (descriptor, i);
      const char *unit = cc_proxy_setting_descriptor_get_unit (setting);
      gint minimum, maximum;

      /* A fixed order, so that busctl and gdbus show it the same way. */
      g_variant_builder_open (&builder, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&builder, "{sv}", "key", g_variant_new_string (cc_proxy_setting_descriptor_get_key (setting)));
      g_variant_builder_add (&builder, "{sv}", "label", g_variant_new_string (cc_proxy_setting_descriptor_get_label (setting)));
      g_variant_builder_add (&builder, "{sv}", "description",
                             g_variant_new_string (cc_proxy_setting_descriptor_get_description (setting)));
      g_variant_builder_add (&builder, "{sv}", "kind",
                             g_variant_new_string (cc_proxy_module_info_kind_name (cc_proxy_setting_descriptor_get_kind (setting))));
      g_variant_builder_add (&builder, "{sv}", "default",
                             g_variant_new_string (cc_proxy_setting_descriptor_get_default (setting)));
      g_variant_builder_add (&builder, "{sv}", "options",
                             g_variant_new_strv (cc_proxy_setting_descriptor_get_options (setting), -1));
      g_variant_builder_add (&builder, "{sv}", "secret",
                             g_variant_new_boolean (cc_proxy_setting_descriptor_is_secret (setting)));
      g_variant_builder_add (&builder, "{sv}", "env-vars",
                             g_variant_new_strv (cc_proxy_setting_descriptor_get_env_vars (setting), -1));
      g_variant_builder_add (&builder, "{sv}", "type",
                             g_variant_new_take_string (g_variant_type_dup_string (cc_proxy_setting_descriptor_get_value_type (setting))));
      if (cc_proxy_setting_descriptor_get_range (setting, &minimum, &maximum))
        {
          g_variant_builder_add (&builder, "{sv}", "minimum", g_variant_new_int32 (minimum));
          g_variant_builder_add (&builder, "{sv}", "maximum", g_variant_new_int32 (maximum));
        }
      if (unit != NULL)
        g_variant_builder_add (&builder, "{sv}", "unit", g_variant_new_string (unit));
      g_variant_builder_close (&builder);
    }
  return g_variant_builder_end (&builder);
}

/* Secret values never leave the process: only whether one is set. */
static GVariant *
setting_values (CcProxySnapshot           *snap,
                CcProxyProviderDescriptor *descriptor)
{
  const char *id = cc_proxy_provider_descriptor_get_id (descriptor);
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{sa{sv}}"));

  for (guint i = 0; i < cc_proxy_provider_descriptor_get_n_settings (descriptor); i++)
    {
      CcProxySettingDescriptor *setting = cc_proxy_provider_descriptor_get_setting (descriptor, i);
      const char *key = cc_proxy_setting_descriptor_get_key (setting);
      const char *value = cc_proxy_snapshot_get_value (snap, id, key);

      g_variant_builder_open (&builder, G_VARIANT_TYPE ("{sa{sv}}"));
      g_variant_builder_add (&builder, "s", key);
      g_variant_builder_open (&builder, G_VARIANT_TYPE_VARDICT);
      /* In the setting's own type, as SetValue takes it. */
      if (!cc_proxy_setting_descriptor_is_secret (setting))
        g_variant_builder_add (&builder, "{sv}", "value", cc_proxy_schema_value_to_variant (setting, value ? value : ""));
      g_variant_builder_add (&builder, "{sv}", "set", g_variant_new_boolean (value != NULL && value[0] != '\0'));
      g_variant_builder_add (&builder, "{sv}", "from-environment",
                             g_variant_new_boolean (cc_proxy_snapshot_is_from_environment (snap, id, key)));
      g_variant_builder_close (&builder);
      g_variant_builder_close (&builder);
    }
  return g_variant_builder_end (&builder);
}

static void
on_runtime_changed (CcProxyRuntime     *runtime,
                    CcProxyBusProvider *self)
{
  cc_proxy_dbus_proxy1_provider_set_values (CC_PROXY_DBUS_PROXY1_PROVIDER (self),
                                            setting_values (cc_proxy_runtime_get_snapshot (runtime),
                                                            cc_proxy_provider_get_descriptor (self->provider)));
}

static void
on_attention_changed (CcProxyAuthCapable *capable,
                      CcProxyBusProvider *self)
{
  g_autofree char *reason = cc_proxy_auth_capable_dup_attention (capable);

  cc_proxy_dbus_proxy1_provider_set_attention (CC_PROXY_DBUS_PROXY1_PROVIDER (self), reason ? reason : "");
}

/* ----- methods ----- */

static void
on_value_changed (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GDBusMethodInvocation) invocation = user_data;
  g_autoptr(GError) error = NULL;
  /* set and reset finish the same way */
  gboolean done = cc_proxy_settings_set_value_finish (CC_PROXY_SETTINGS (source), result, &error);

  cc_proxy_dbus_complete_settings_call (invocation, done, error);
}

/* Asynchronous: a secret goes to the keyring, which may take a while.
 * The value comes in the setting's own type, or as text: the settings
 * judge it. */
static gboolean
cc_proxy_bus_provider_handle_set_value (CcProxyDBusProxy1Provider *object,
                                        GDBusMethodInvocation     *invocation,
                                        const char                *key,
                                        GVariant                  *value)
{
  CcProxyBusProvider *self = CC_PROXY_BUS_PROVIDER (object);
  g_autoptr(GVariant) inner = g_variant_get_variant (value);

  cc_proxy_settings_set_value_async (cc_proxy_runtime_get_settings (self->runtime),
                                     cc_proxy_provider_get_id (self->provider), key, inner,
                                     NULL, on_value_changed, g_object_ref (invocation));
  return TRUE;
}

static gboolean
cc_proxy_bus_provider_handle_reset_value (CcProxyDBusProxy1Provider *object,
                                          GDBusMethodInvocation     *invocation,
                                          const char                *key)
{
  CcProxyBusProvider *self = CC_PROXY_BUS_PROVIDER (object);

  cc_proxy_settings_reset_value_async (cc_proxy_runtime_get_settings (self->runtime),
                                       cc_proxy_provider_get_id (self->provider), key, NULL, on_value_changed,
                                       g_object_ref (invocation));
  return TRUE;
}

typedef struct
{
  CcProxyBusProvider    *self;
  GDBusMethodInvocation *invocation;
  guint                  pending;
  GError                *error;    /* the first failure */
} SignOut;

/* A secret setting that cc-proxyd's environment still gives, or NULL. */
static CcProxySettingDescriptor *
secret_from_environment (CcProxyBusProvider *self)
{
  CcProxyProviderDescriptor *descriptor = cc_proxy_provider_get_descriptor (self->provider);
  CcProxySnapshot *snapshot = cc_proxy_runtime_get_snapshot (self->runtime);

  for (guint i = 0; i < cc_proxy_provider_descriptor_get_n_settings (descriptor); i++)
    {
      CcProxySettingDescriptor *setting = cc_proxy_provider_descriptor_get_setting (descriptor, i);

      if (cc_proxy_setting_descriptor_is_secret (setting) &&
          cc_proxy_snapshot_is_from_environment (snapshot, cc_proxy_provider_get_id (self->provider),
                                                 cc_proxy_setting_descriptor_get_key (setting)))
        return setting;
    }
  return NULL;
}

/* Every secret forgotten: signed out, unless the environment still
 * gives one. */
static void
finish_sign_out (SignOut *sign_out)
{
  CcProxySettingDescriptor *held = sign_out->error == NULL ? secret_from_environment (sign_out->self) : NULL;

  if (sign_out->error != NULL)
    g_dbus_method_invocation_take_error (sign_out->invocation, cc_proxy_dbus_error_from_settings (sign_out->error));
  else if (held != NULL)
    {
      const char * const *vars = cc_proxy_setting_descriptor_get_env_vars (held);
      g_autofree char *names = vars ? g_strjoinv (" or ", (char **) vars) : g_strdup ("?");

      g_dbus_method_invocation_return_error (sign_out->invocation, CC_PROXY_DBUS_ERROR, CC_PROXY_DBUS_ERROR_INVALID_VALUE,
                                             _("%s is still signed in: %s comes from cc-proxyd's environment (%s); "
                                               "start cc-proxyd without it"),
                                             cc_proxy_provider_get_id (sign_out->self->provider),
                                             cc_proxy_setting_descriptor_get_key (held), names);
    }
  else
    g_dbus_method_invocation_return_value (sign_out->invocation, NULL);
  g_clear_error (&sign_out->error);
  g_object_unref (sign_out->self);
  g_free (sign_out);
}

static void
on_host_current (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  cc_proxy_host_process_wait_finish (CC_PROXY_HOST_PROCESS (source), result, NULL);
  finish_sign_out (user_data);
}

/* A hosted provider says whether it is signed in from its host: once
 * the host has the settings without the secrets, SignedIn says so. */
static void
settle_sign_out (SignOut *sign_out)
{
  CcProxyProvider *provider = sign_out->self->provider;

  if (sign_out->error == NULL && CC_PROXY_IS_REMOTE_PROVIDER (provider))
    cc_proxy_host_process_wait_async (cc_proxy_remote_provider_get_host (CC_PROXY_REMOTE_PROVIDER (provider)), NULL,
                                      on_host_current, sign_out);
  else
    finish_sign_out (sign_out);
}

static void
on_secret_forgotten (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  SignOut *sign_out = user_data;
  g_autoptr(GError) error = NULL;

  if (!cc_proxy_settings_reset_value_finish (CC_PROXY_SETTINGS (source), result, &error) && sign_out->error == NULL)
    sign_out->error = g_steal_pointer (&error);
  if (--sign_out->pending == 0)
    settle_sign_out (sign_out);
}

static gboolean
cc_proxy_bus_provider_handle_sign_out (CcProxyDBusProxy1Provider *object,
                                       GDBusMethodInvocation     *invocation)
{
  CcProxyBusProvider *self = CC_PROXY_BUS_PROVIDER (object);
  CcProxyProviderDescriptor *descriptor = cc_proxy_provider_get_descriptor (self->provider);
  SignOut *sign_out = g_new0 (SignOut, 1);

  sign_out->self = g_object_ref (self);
  sign_out->invocation = invocation;
  sign_out->pending = 1;
  for (guint i = 0; i < cc_proxy_provider_descriptor_get_n_settings (descriptor); i++)
    {
      CcProxySettingDescriptor *setting = cc_proxy_provider_descriptor_get_setting (descriptor, i);

      if (!cc_proxy_setting_descriptor_is_secret (setting))
        continue;
      sign_out->pending++;
      cc_proxy_settings_reset_value_async (cc_proxy_runtime_get_settings (self->runtime),
                                           cc_proxy_provider_get_id (self->provider),
                                           cc_proxy_setting_descriptor_get_key (setting), NULL,
                                           on_secret_forgotten, sign_out);
    }
  if (--sign_out->pending == 0)
    settle_sign_out (sign_out);
  return TRUE;
}

static void
cc_proxy_bus_provider_iface_init (CcProxyDBusProxy1ProviderIface *iface)
{
  iface->handle_sign_out = cc_proxy_bus_provider_handle_sign_out;
  iface->handle_set_value = cc_proxy_bus_provider_handle_set_value;
  iface->handle_reset_value = cc_proxy_bus_provider_handle_reset_value;
}

/* ----- reads ----- */

/* Whether the provider is signed in is asked when read (it sends no
 * change signal): it may hold on to credentials the settings do not show. */
static GVariant *
cc_proxy_bus_provider_read (GDBusInterfaceSkeleton *skeleton,
                            const char             *sender,
                            const char             *property_name)
{
  CcProxyBusProvider *self = CC_PROXY_BUS_PROVIDER (skeleton);

  if (g_str_equal (property_name, "SignedIn"))
    cc_proxy_dbus_proxy1_provider_set_signed_in (CC_PROXY_DBUS_PROXY1_PROVIDER (self),
                                                 CC_PROXY_IS_AUTH_CAPABLE (self->provider) &&
                                                 cc_proxy_auth_capable_is_signed_in (CC_PROXY_AUTH_CAPABLE (self->provider),
                                                                                     cc_proxy_runtime_get_snapshot (self->runtime)));
  return NULL;
}

/* ----- lifecycle ----- */

static void
cc_proxy_bus_provider_finalize (GObject *object)
{
  CcProxyBusProvider *self = CC_PROXY_BUS_PROVIDER (object);

  g_object_unref (self->runtime);
  g_object_unref (self->provider);
  G_OBJECT_CLASS (cc_proxy_bus_provider_parent_class)->finalize (object);
}

static void
cc_proxy_bus_provider_class_init (CcProxyBusProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cc_proxy_bus_provider_finalize;
  cc_proxy_dbus_interface_class_init (G_DBUS_INTERFACE_SKELETON_CLASS (klass), cc_proxy_bus_provider_read, NULL);
}

static void
cc_proxy_bus_provider_init (CcProxyBusProvider *self)
{
}

/**
 * cc_proxy_bus_provider_new:
 * @runtime: the settings and snapshots
 * @provider: the provider to publish
 *
 * Returns: (transfer full): the provider's interface, kept current
 */
CcProxyBusProvider *
cc_proxy_bus_provider_new (CcProxyRuntime  *runtime,
                           CcProxyProvider *provider)
{
  CcProxyProviderDescriptor *descriptor = cc_proxy_provider_get_descriptor (provider);
  g_autoptr(GStrvBuilder) paths = g_strv_builder_new ();
  g_auto(GStrv) path_list = NULL;
  CcProxyBusProvider *self;

  for (guint i = 0; i < cc_proxy_provider_descriptor_get_n_routes (descriptor); i++)
    g_strv_builder_add (paths, cc_proxy_provider_descriptor_get_route (descriptor, i, NULL, NULL));
  path_list = g_strv_builder_end (paths);
  self = g_object_new (CC_PROXY_TYPE_BUS_PROVIDER,
                                           "id", cc_proxy_provider_descriptor_get_id (descriptor),
                                           "kind", cc_proxy_registry_get_kind (provider),
                                           "paths", path_list,
                                           "display-name", cc_proxy_provider_descriptor_get_display_name (descriptor),
                                           "setting-descriptors", setting_descriptors (descriptor),
                                           "auth-capable", CC_PROXY_IS_AUTH_CAPABLE (provider),
                                           NULL);

  self->runtime = g_object_ref (runtime);
  self->provider = g_object_ref (provider);
  on_runtime_changed (runtime, self);
  g_signal_connect_object (runtime, "changed", G_CALLBACK (on_runtime_changed), self, 0);
  if (CC_PROXY_IS_AUTH_CAPABLE (provider))
    {
      on_attention_changed (CC_PROXY_AUTH_CAPABLE (provider), self);
      g_signal_connect_object (provider, "attention-changed", G_CALLBACK (on_attention_changed), self, 0);
    }
  return self;
}

CcProxyProvider *
cc_proxy_bus_provider_get_provider (CcProxyBusProvider *self)
{
  g_return_val_if_fail (CC_PROXY_IS_BUS_PROVIDER (self), NULL);

  return self->provider;
}
