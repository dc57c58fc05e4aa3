/* cc-proxy-remote-provider.h: a provider served by its host process
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"
#include "cc-proxy-host-process.h"
#include "cc-proxy-runtime.h"

G_BEGIN_DECLS

#define CC_PROXY_TYPE_REMOTE_PROVIDER (cc_proxy_remote_provider_get_type ())
G_DECLARE_DERIVABLE_TYPE (CcProxyRemoteProvider, cc_proxy_remote_provider, CC_PROXY, REMOTE_PROVIDER, GObject)

struct _CcProxyRemoteProviderClass
{
  GObjectClass parent_class;
};

CcProxyProvider    *cc_proxy_remote_provider_new       (const char                *program,
                                                        const char                *module_path,
                                                        CcProxyProviderDescriptor *descriptor,
                                                        gboolean                   auth_capable,
                                                        GError                   **error);
CcProxyProvider    *cc_proxy_remote_provider_new_instance (CcProxyRemoteProvider  *kind,
                                                           const char             *name,
                                                           GError                **error);
CcProxyHostProcess *cc_proxy_remote_provider_get_host  (CcProxyRemoteProvider     *self);
const char         *cc_proxy_remote_provider_get_kind  (CcProxyRemoteProvider     *self);
gboolean            cc_proxy_remote_provider_is_instance (CcProxyRemoteProvider   *self);

G_END_DECLS
