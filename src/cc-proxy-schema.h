/* cc-proxy-schema.h: GSettings schemas derived from provider descriptors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"

G_BEGIN_DECLS

#define CC_PROXY_SCHEMA_ID "org.ccproxy.Proxy"
#define CC_PROXY_PROVIDER_SCHEMA_PREFIX "org.ccproxy.Proxy.providers."
#define CC_PROXY_PROVIDER_SCHEMA_PATH_PREFIX "/org/ccproxy/Proxy/providers/"

char *cc_proxy_schema_id_for_provider   (const char                      *provider_id);
char *cc_proxy_schema_id_for_instance   (const char                      *kind);
char *cc_proxy_schema_path_for_provider (const char                      *provider_id);
char *cc_proxy_schema_from_descriptor   (const CcProxyProviderDescriptor *descriptor,
                                         const char                      *gettext_domain,
                                         gboolean                         instances);

GVariant *cc_proxy_schema_value_to_variant   (const CcProxySettingDescriptor *setting,
                                              const char                     *normalized);
char     *cc_proxy_schema_value_from_variant (const CcProxySettingDescriptor *setting,
                                              GVariant                       *value,
                                              GError                        **error);

G_END_DECLS
