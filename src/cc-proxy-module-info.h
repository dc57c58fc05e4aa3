/* cc-proxy-module-info.h: what cc-proxyd knows of a provider module
 * without loading it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"

G_BEGIN_DECLS

/* Beside copilot.so lies copilot.descriptor. */
#define CC_PROXY_MODULE_INFO_SUFFIX ".descriptor"

CcProxyProviderDescriptor *cc_proxy_module_info_load     (const char       *path,
                                                          gboolean         *auth_capable,
                                                          GError          **error);
CcProxyProviderDescriptor *cc_proxy_module_info_load_data (const char      *text,
                                                          gboolean         *auth_capable,
                                                          GError          **error);
char                      *cc_proxy_module_info_signature (CcProxyProviderDescriptor *descriptor,
                                                          gboolean                   auth_capable);
char                      *cc_proxy_module_info_path_for (const char       *module_path);
char                      *cc_proxy_module_info_to_key_file (CcProxyProvider *provider);
CcProxyProviderDescriptor *cc_proxy_module_info_instance_descriptor (CcProxyProviderDescriptor *kind,
                                                                      const char                *name);
const char                *cc_proxy_module_info_kind_name   (CcProxySettingKind kind);

G_END_DECLS
