/* cc-proxy-host-process.h: one provider module's host process, kept alive
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"
#include "cc-proxy-host-control.h"

G_BEGIN_DECLS

#define CC_PROXY_HOST_PROCESS_ERROR (cc_proxy_host_process_error_quark ())

typedef enum {
  CC_PROXY_HOST_PROCESS_ERROR_NOT_RUNNING,
  CC_PROXY_HOST_PROCESS_ERROR_BROKEN,
} CcProxyHostProcessError;

GQuark cc_proxy_host_process_error_quark (void);

typedef enum {
  CC_PROXY_HOST_STATE_STARTING,
  CC_PROXY_HOST_STATE_RUNNING,
  CC_PROXY_HOST_STATE_RESTARTING,
  CC_PROXY_HOST_STATE_BROKEN,
} CcProxyHostState;

#define CC_PROXY_TYPE_HOST_PROCESS (cc_proxy_host_process_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyHostProcess, cc_proxy_host_process, CC_PROXY, HOST_PROCESS, GObject)

CcProxyHostProcess    *cc_proxy_host_process_new               (const char          *program,
                                                                const char          *module_path,
                                                                const char          *provider_id,
                                                                const char          *kind,
                                                                const char          *signature,
                                                                GError             **error);
void                   cc_proxy_host_process_start             (CcProxyHostProcess  *self,
                                                                CcProxySnapshot     *snapshot);
void                   cc_proxy_host_process_set_snapshot      (CcProxyHostProcess  *self,
                                                                CcProxySnapshot     *snapshot);
void                   cc_proxy_host_process_revive            (CcProxyHostProcess  *self);
void                   cc_proxy_host_process_set_hidden_env    (CcProxyHostProcess  *self,
                                                                const char * const  *names);
void                   cc_proxy_host_process_stop              (CcProxyHostProcess  *self);
CcProxyHostState       cc_proxy_host_process_get_state         (CcProxyHostProcess  *self);
const char            *cc_proxy_host_process_get_program      (CcProxyHostProcess  *self);
const char            *cc_proxy_host_process_get_module_path  (CcProxyHostProcess  *self);
const char            *cc_proxy_host_process_get_state_name    (CcProxyHostProcess  *self);
const char            *cc_proxy_host_process_get_last_error    (CcProxyHostProcess  *self);
const char            *cc_proxy_host_process_get_confinement   (CcProxyHostProcess  *self);
guint                  cc_proxy_host_process_get_restarts      (CcProxyHostProcess  *self);
GPid                   cc_proxy_host_process_get_pid           (CcProxyHostProcess  *self);
SoupSession           *cc_proxy_host_process_get_session       (CcProxyHostProcess  *self);
GVariant              *cc_proxy_host_process_get_provider_state (CcProxyHostProcess *self);
gboolean               cc_proxy_host_process_answers_current   (CcProxyHostProcess  *self);
void                   cc_proxy_host_process_wait_async        (CcProxyHostProcess  *self,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
gboolean               cc_proxy_host_process_wait_finish       (CcProxyHostProcess  *self,
                                                                GAsyncResult        *result,
                                                                GError             **error);
void                   cc_proxy_host_process_refresh_async     (CcProxyHostProcess  *self,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
void                   cc_proxy_host_process_refresh_finish    (CcProxyHostProcess  *self,
                                                                GAsyncResult        *result);
CcProxySnapshot       *cc_proxy_host_process_get_state_snapshot (CcProxyHostProcess *self);
CcProxyProviderHost1  *cc_proxy_host_process_get_control       (CcProxyHostProcess  *self);

G_END_DECLS
