/* cc-proxy-router.h: the route table, and how each provider has fared
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy-registry.h"
#include "cc-proxy-route-table.h"
#include "cc-proxy-signature-scan.h"

G_BEGIN_DECLS

/* Where one request goes: the targets to try, in order, and what
 * became of the tries so far (for the request's record). */
typedef struct
{
  char      *route;        /* NULL: no route matched */
  char      *session_key;  /* NULL without a session id */
  GPtrArray *targets;      /* CcProxyRouteTarget *, to try in this order */
  guint      next;         /* the next one to try */
  GString   *notes;        /* "copilot 503", "openai skipped: failing" */
  gboolean   fell_back;
} CcProxyRoutePlan;

void cc_proxy_route_plan_free (CcProxyRoutePlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcProxyRoutePlan, cc_proxy_route_plan_free)

void  cc_proxy_route_plan_note     (CcProxyRoutePlan *plan,
                                    const char       *format,
                                    ...) G_GNUC_PRINTF (2, 3);
char *cc_proxy_route_plan_describe (CcProxyRoutePlan *plan,
                                    const CcProxyRouteTarget *served);

#define CC_PROXY_TYPE_ROUTER (cc_proxy_router_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyRouter, cc_proxy_router, CC_PROXY, ROUTER, GObject)

CcProxyRouter     *cc_proxy_router_new             (CcProxyRegistry      *registry,
                                                    GSettings            *settings);
void               cc_proxy_router_reload          (CcProxyRouter        *self);
CcProxyRouteTable *cc_proxy_router_get_table       (CcProxyRouter        *self);
gboolean           cc_proxy_router_is_empty        (CcProxyRouter        *self);
const char        *cc_proxy_router_get_problem     (CcProxyRouter        *self);
guint              cc_proxy_router_get_retry_after_limit (CcProxyRouter  *self);

gboolean           cc_proxy_router_set_routes      (CcProxyRouter        *self,
                                                    GVariant             *routes,
                                                    GError              **error);
gboolean           cc_proxy_router_add             (CcProxyRouter        *self,
                                                    const char           *name,
                                                    GVariant             *match,
                                                    const char           *target,
                                                    const char * const   *fallbacks,
                                                    int                   position,
                                                    GError              **error);
gboolean           cc_proxy_router_set_pool        (CcProxyRouter        *self,
                                                    const char           *name,
                                                    const char           *strategy,
                                                    const char * const   *members,
                                                    GError              **error);
gboolean           cc_proxy_router_remove_pool     (CcProxyRouter        *self,
                                                    const char           *name,
                                                    GError              **error);
const char        *cc_proxy_router_find_user       (CcProxyRouter        *self,
                                                    const char           *target,
                                                    gboolean             *is_pool);
gboolean           cc_proxy_router_remove          (CcProxyRouter        *self,
                                                    const char           *name,
                                                    GError              **error);
gboolean           cc_proxy_router_move            (CcProxyRouter        *self,
                                                    const char           *name,
                                                    guint                 position,
                                                    GError              **error);

CcProxyRoutePlan  *cc_proxy_router_plan            (CcProxyRouter        *self,
                                                    CcProxyRouteTable    *table,
                                                    const CcProxyRequestTraits *traits,
                                                    const char           *session_id,
                                                    const char           *active_provider,
                                                    gboolean              record);
void               cc_proxy_router_trying          (CcProxyRouter        *self,
                                                    CcProxyRoutePlan     *plan,
                                                    const CcProxyRouteTarget *target);
void               cc_proxy_router_report          (CcProxyRouter        *self,
                                                    CcProxyRoutePlan     *plan,
                                                    const CcProxyRouteTarget *target,
                                                    gboolean              failed,
                                                    guint                 retry_after);
CcProxySignatureScan *cc_proxy_router_watch_signatures (CcProxyRouter     *self,
                                                        const char        *provider);
GBytes            *cc_proxy_router_drop_foreign_thinking (CcProxyRouter   *self,
                                                          GBytes          *body,
                                                          const char      *provider,
                                                          char           **why);
GVariant          *cc_proxy_router_dup_counters    (CcProxyRouter        *self);
GVariant          *cc_proxy_router_dup_breakers    (CcProxyRouter        *self);

G_END_DECLS
