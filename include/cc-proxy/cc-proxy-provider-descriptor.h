/* cc-proxy-provider-descriptor.h: what a provider is and which settings it has
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(CC_PROXY_INSIDE) && !defined(CC_PROXY_COMPILATION)
#error "Only <cc-proxy/cc-proxy.h> can be included directly."
#endif

#include "cc-proxy-setting-descriptor.h"

G_BEGIN_DECLS

#define CC_PROXY_TYPE_PROVIDER_DESCRIPTOR (cc_proxy_provider_descriptor_get_type ())

/**
 * CcProxyProviderDescriptor:
 *
 * Immutable description of a provider: its id (lower-case, unique), the
 * name shown to people, its settings and the request paths it serves.
 */
typedef struct _CcProxyProviderDescriptor CcProxyProviderDescriptor;

CC_PROXY_EXPORT
GType                       cc_proxy_provider_descriptor_get_type         (void) G_GNUC_CONST;
CC_PROXY_EXPORT
CcProxyProviderDescriptor  *cc_proxy_provider_descriptor_new              (const char                 *id,
                                                                           const char                 *display_name,
                                                                           CcProxySettingDescriptor  **settings);
CC_PROXY_EXPORT
CcProxyProviderDescriptor  *cc_proxy_provider_descriptor_ref              (CcProxyProviderDescriptor  *self);
CC_PROXY_EXPORT
void                        cc_proxy_provider_descriptor_unref            (CcProxyProviderDescriptor  *self);
CC_PROXY_EXPORT
const char                 *cc_proxy_provider_descriptor_get_id           (const CcProxyProviderDescriptor *self);
CC_PROXY_EXPORT
const char                 *cc_proxy_provider_descriptor_get_display_name (const CcProxyProviderDescriptor *self);
CC_PROXY_EXPORT
guint                       cc_proxy_provider_descriptor_get_n_settings   (const CcProxyProviderDescriptor *self);
CC_PROXY_EXPORT
CcProxySettingDescriptor   *cc_proxy_provider_descriptor_get_setting      (const CcProxyProviderDescriptor *self,
                                                                           guint                            position);
CC_PROXY_EXPORT
CcProxySettingDescriptor   *cc_proxy_provider_descriptor_lookup_setting   (const CcProxyProviderDescriptor *self,
                                                                           const char                      *key);
CC_PROXY_EXPORT
void                        cc_proxy_provider_descriptor_add_route        (CcProxyProviderDescriptor       *self,
                                                                           const char                      *path,
                                                                           const char                      *methods,
                                                                           gboolean                         json_body);
CC_PROXY_EXPORT
guint                       cc_proxy_provider_descriptor_get_n_routes     (const CcProxyProviderDescriptor *self);
CC_PROXY_EXPORT
const char                 *cc_proxy_provider_descriptor_get_route        (const CcProxyProviderDescriptor *self,
                                                                           guint                            position,
                                                                           const char                     **methods,
                                                                           gboolean                        *json_body);
CC_PROXY_EXPORT
gboolean                    cc_proxy_provider_descriptor_find_route       (const CcProxyProviderDescriptor *self,
                                                                           const char                      *path,
                                                                           const char                     **methods,
                                                                           gboolean                        *json_body);
CC_PROXY_EXPORT
gboolean                    cc_proxy_provider_descriptor_validate         (const CcProxyProviderDescriptor *self,
                                                                           GError                         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcProxyProviderDescriptor, cc_proxy_provider_descriptor_unref)

G_END_DECLS
