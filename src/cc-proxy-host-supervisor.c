/* cc-proxy-host-supervisor.c: the set of provider hosts
 *
 * Owns which hosts run: one for each provider of the registry whose
 * module runs in a host, started once, tried again when broken (on
 * Reload), and each kept on the latest settings as the runtime makes
 * them. Each host itself (spawning, pings, restarts) is a
 * CcProxyHostProcess.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-host"

#include "config.h"

#include "cc-proxy-host-supervisor.h"
#include "cc-proxy-remote-provider.h"

struct _CcProxyHostSupervisor
{
  GObject         parent_instance;

  CcProxyRuntime *runtime;
  GPtrArray      *hosts;   /* CcProxyHostProcess, started */
};

G_DEFINE_FINAL_TYPE (CcProxyHostSupervisor, cc_proxy_host_supervisor, G_TYPE_OBJECT)

static void
on_runtime_changed (CcProxyRuntime        *runtime,
                    CcProxyHostSupervisor *self)
{
  CcProxySnapshot *snapshot = cc_proxy_runtime_get_snapshot (runtime);

  /* Each host takes only its own provider's part, and only when that
   * changed (cc_proxy_host_process_set_snapshot()). */
  for (guint i = 0; i < self->hosts->len; i++)
    cc_proxy_host_process_set_snapshot (g_ptr_array_index (self->hosts, i), snapshot);
}

/* The environment variables that may hold a secret setting, of any
 * provider: a host has its settings from the daemon, and what it
 * inherits shows in /proc/PID/environ. */
static GStrv
secret_env_vars (GPtrArray *providers)
{
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();

  for (guint i = 0; i < providers->len; i++)
    {
      CcProxyProviderDescriptor *descriptor = cc_proxy_provider_get_descriptor (g_ptr_array_index (providers, i));

      for (guint s = 0; s < cc_proxy_provider_descriptor_get_n_settings (descriptor); s++)
        {
          CcProxySettingDescriptor *setting = cc_proxy_provider_descriptor_get_setting (descriptor, s);
          const char * const *vars = cc_proxy_setting_descriptor_get_env_vars (setting);

          if (cc_proxy_setting_descriptor_is_secret (setting) && vars != NULL)
            g_strv_builder_addv (names, (const char **) vars);
        }
    }
  return g_strv_builder_end (names);
}

/* Starts @provider's host, or tries a broken one again. */
static void
start_host (CcProxyHostSupervisor *self,
            CcProxyProvider       *provider,
            const char * const    *hidden)
{
  CcProxyHostProcess *host = cc_proxy_remote_provider_get_host (CC_PROXY_REMOTE_PROVIDER (provider));

  cc_proxy_host_process_set_hidden_env (host, hidden);
  if (g_ptr_array_find (self->hosts, host, NULL))
    {
      cc_proxy_host_process_revive (host);
      return;
    }
  g_ptr_array_add (self->hosts, g_object_ref (host));
  cc_proxy_host_process_start (host, cc_proxy_runtime_get_snapshot (self->runtime));
}

/* An instance has a host of its own from the moment it is added. */
static void
on_instance_added (CcProxyHostSupervisor *self,
                   CcProxyProvider       *provider)
{
  GPtrArray *providers = cc_proxy_registry_get_providers (cc_proxy_runtime_get_registry (self->runtime));
  g_auto(GStrv) hidden = secret_env_vars (providers);

  start_host (self, provider, (const char * const *) hidden);
}

static void
on_instance_removed (CcProxyHostSupervisor *self,
                     CcProxyProvider       *provider)
{
  CcProxyHostProcess *host = cc_proxy_remote_provider_get_host (CC_PROXY_REMOTE_PROVIDER (provider));
  guint position;

  if (!g_ptr_array_find (self->hosts, host, &position))
    return;
  cc_proxy_host_process_stop (host);
  g_ptr_array_remove_index (self->hosts, position);
}

static void
cc_proxy_host_supervisor_dispose (GObject *object)
{
  CcProxyHostSupervisor *self = (CcProxyHostSupervisor *) object;

  if (self->runtime != NULL)
    g_signal_handlers_disconnect_by_data (self->runtime, self);
  g_clear_object (&self->runtime);
  g_clear_pointer (&self->hosts, g_ptr_array_unref);
  G_OBJECT_CLASS (cc_proxy_host_supervisor_parent_class)->dispose (object);
}

static void
cc_proxy_host_supervisor_class_init (CcProxyHostSupervisorClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = cc_proxy_host_supervisor_dispose;
}

static void
cc_proxy_host_supervisor_init (CcProxyHostSupervisor *self)
{
  self->hosts = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * cc_proxy_host_supervisor_new:
 * @runtime: the providers, and the settings the hosts serve with
 *
 * Returns: (transfer full): a supervisor that has started nothing yet
 */
CcProxyHostSupervisor *
cc_proxy_host_supervisor_new (CcProxyRuntime *runtime)
{
  CcProxyHostSupervisor *self = g_object_new (CC_PROXY_TYPE_HOST_SUPERVISOR, NULL);

  self->runtime = g_object_ref (runtime);
  g_signal_connect (runtime, "changed", G_CALLBACK (on_runtime_changed), self);
  g_signal_connect_object (cc_proxy_runtime_get_registry (runtime), "instance-added",
                           G_CALLBACK (on_instance_added), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (cc_proxy_runtime_get_registry (runtime), "instance-removed",
                           G_CALLBACK (on_instance_removed), self, G_CONNECT_SWAPPED);
  return self;
}

/**
 * cc_proxy_host_supervisor_start:
 *
 * Starts the host of every hosted provider that has none yet (at start,
 * and after a rescan found new modules), and tries a host left broken
 * again (what broke it may have been fixed). No host inherits the
 * environment variables that may hold any provider's secret.
 */
void
cc_proxy_host_supervisor_start (CcProxyHostSupervisor *self)
{
  GPtrArray *providers = cc_proxy_registry_get_providers (cc_proxy_runtime_get_registry (self->runtime));
  g_auto(GStrv) hidden = secret_env_vars (providers);

  for (guint i = 0; i < providers->len; i++)
    {
      CcProxyProvider *provider = g_ptr_array_index (providers, i);

      if (CC_PROXY_IS_REMOTE_PROVIDER (provider))
        start_host (self, provider, (const char * const *) hidden);
    }
}
