/* cc-proxy-runtime.h: settings in, snapshots out
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy-registry.h"
#include "cc-proxy-settings.h"

G_BEGIN_DECLS

#define CC_PROXY_TYPE_RUNTIME (cc_proxy_runtime_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyRuntime, cc_proxy_runtime, CC_PROXY, RUNTIME, GObject)

CcProxyRuntime  *cc_proxy_runtime_new                 (CcProxyRegistry     *registry,
                                                       CcProxySettings     *settings);
CcProxyRuntime  *cc_proxy_runtime_new_full            (CcProxyRegistry     *registry,
                                                       const char * const  *environment,
                                                       GSettingsBackend    *backend);
CcProxyRuntime  *cc_proxy_runtime_new_detached        (CcProxyRegistry     *registry,
                                                       CcProxySnapshot     *snapshot);
void             cc_proxy_runtime_set_snapshot        (CcProxyRuntime      *self,
                                                       CcProxySnapshot     *snapshot);
CcProxySettings *cc_proxy_runtime_get_settings        (CcProxyRuntime      *self);
CcProxySnapshot *cc_proxy_runtime_get_snapshot        (CcProxyRuntime      *self);
const char      *cc_proxy_runtime_get_fallback_note   (CcProxyRuntime      *self);
const char      *cc_proxy_runtime_get_refusal         (CcProxyRuntime      *self,
                                                       const char          *provider_id);
GVariant        *cc_proxy_runtime_dup_refusals        (CcProxyRuntime      *self);
CcProxyRegistry *cc_proxy_runtime_get_registry        (CcProxyRuntime      *self);

G_END_DECLS
