/* cc-proxy-anthropic-provider.c: forwards bytes unchanged
 *
 * It handles no path itself: every request takes the core's default
 * path to its base URL. Its one setting is that URL. ANTHROPIC_BASE_URL is
 * what clients use to reach *us*, so it is deliberately not read here.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cc-proxy-anthropic-provider.h"

struct _CcProxyAnthropicProvider
{
  GObject                    parent_instance;
  CcProxyProviderDescriptor *descriptor;
};

static void provider_iface_init (CcProxyProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CcProxyAnthropicProvider, cc_proxy_anthropic_provider, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CC_PROXY_TYPE_PROVIDER, provider_iface_init))

static CcProxyProviderDescriptor *
get_descriptor (CcProxyProvider *provider)
{
  return CC_PROXY_ANTHROPIC_PROVIDER (provider)->descriptor;
}

static void
provider_iface_init (CcProxyProviderInterface *iface)
{
  iface->get_descriptor = get_descriptor;
}

static void
cc_proxy_anthropic_provider_finalize (GObject *object)
{
  CcProxyAnthropicProvider *self = (CcProxyAnthropicProvider *) object;

  g_clear_pointer (&self->descriptor, cc_proxy_provider_descriptor_unref);
  G_OBJECT_CLASS (cc_proxy_anthropic_provider_parent_class)->finalize (object);
}

static void
cc_proxy_anthropic_provider_class_init (CcProxyAnthropicProviderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cc_proxy_anthropic_provider_finalize;
}

static void
cc_proxy_anthropic_provider_init (CcProxyAnthropicProvider *self)
{
  static const char * const base_url_env[] = { "ANTHROPIC_UPSTREAM_URL", NULL };
  CcProxySettingDescriptor *settings[] = {
    cc_proxy_setting_descriptor_new ("base-url", _("Base URL"),
                                     _("The Anthropic-compatible API that requests are forwarded to."),
                                     CC_PROXY_SETTING_KIND_URL, "https://api.anthropic.com",
                                     NULL, FALSE, base_url_env),
    NULL
  };

  self->descriptor = cc_proxy_provider_descriptor_new (CC_PROXY_BUILTIN_PROVIDER_ID, _("Anthropic"), settings);
}
