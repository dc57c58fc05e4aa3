/* cc-proxy-route-table.h: which provider serves a request, by what it is
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"

G_BEGIN_DECLS

#define CC_PROXY_ROUTE_ERROR (cc_proxy_route_error_quark ())

/**
 * CcProxyRouteError:
 * @CC_PROXY_ROUTE_ERROR_INVALID: a route is malformed (its name, a match
 *   key, a glob, a target); the message says which and why
 * @CC_PROXY_ROUTE_ERROR_UNKNOWN_PROVIDER: a target names no loaded provider
 * @CC_PROXY_ROUTE_ERROR_NOT_FOUND: no route has that name
 * @CC_PROXY_ROUTE_ERROR_EXISTS: a route of that name exists already
 */
typedef enum {
  CC_PROXY_ROUTE_ERROR_INVALID,
  CC_PROXY_ROUTE_ERROR_UNKNOWN_PROVIDER,
  CC_PROXY_ROUTE_ERROR_NOT_FOUND,
  CC_PROXY_ROUTE_ERROR_EXISTS,
} CcProxyRouteError;

GQuark cc_proxy_route_error_quark (void);

/* The GVariant type of a route table: name, match, target, fallbacks. */
#define CC_PROXY_ROUTES_TYPE_STRING "a(sa{sv}sas)"
#define CC_PROXY_ROUTES_TYPE ((const GVariantType *) CC_PROXY_ROUTES_TYPE_STRING)

/* The GVariant type of the pools: name, strategy, members. */
#define CC_PROXY_POOLS_TYPE_STRING "a(ssas)"
#define CC_PROXY_POOLS_TYPE ((const GVariantType *) CC_PROXY_POOLS_TYPE_STRING)

/* Bounds of a table, so that a stored value cannot make every request slow. */
#define CC_PROXY_ROUTES_MAX         64
#define CC_PROXY_ROUTE_MAX_TARGETS  8
#define CC_PROXY_POOLS_MAX          16

/**
 * CcProxyPoolStrategy:
 * @CC_PROXY_POOL_ORDERED: the first member that is not skipped
 * @CC_PROXY_POOL_ROUND_ROBIN: each new session starts at the next member
 * @CC_PROXY_POOL_LEAST_USED: the member that answered fewest requests today
 *
 * In what order a pool's members are tried.
 */
typedef enum {
  CC_PROXY_POOL_ORDERED,
  CC_PROXY_POOL_ROUND_ROBIN,
  CC_PROXY_POOL_LEAST_USED,
} CcProxyPoolStrategy;

/**
 * CcProxyRequestRole:
 * @CC_PROXY_REQUEST_ROLE_MAIN: the conversation the user types in
 * @CC_PROXY_REQUEST_ROLE_SUBAGENT: a subagent's request (Claude Code
 *   sends `x-claude-code-agent-id` with it)
 * @CC_PROXY_REQUEST_ROLE_BACKGROUND: a call for the small, fast model
 *   (titles, summaries, warm-ups), told by its model name
 */
typedef enum {
  CC_PROXY_REQUEST_ROLE_MAIN,
  CC_PROXY_REQUEST_ROLE_SUBAGENT,
  CC_PROXY_REQUEST_ROLE_BACKGROUND,
} CcProxyRequestRole;

const char *cc_proxy_request_role_to_string (CcProxyRequestRole role);

/**
 * CcProxyRequestClass:
 * @CC_PROXY_REQUEST_CLASS_NONE: not a Messages request
 * @CC_PROXY_REQUEST_CLASS_USER: the last message is text the user typed
 * @CC_PROXY_REQUEST_CLASS_AGENT: the agent going on: tool results, or a
 *   continuation
 * @CC_PROXY_REQUEST_CLASS_SUBAGENT: a subagent's request
 * @CC_PROXY_REQUEST_CLASS_BACKGROUND: a call for the small-fast model
 * @CC_PROXY_REQUEST_CLASS_COMPACT: Claude Code's compaction request
 *
 * Who a request is for, and so how Copilot bills it.
 */
typedef enum {
  CC_PROXY_REQUEST_CLASS_NONE,
  CC_PROXY_REQUEST_CLASS_USER,
  CC_PROXY_REQUEST_CLASS_AGENT,
  CC_PROXY_REQUEST_CLASS_SUBAGENT,
  CC_PROXY_REQUEST_CLASS_BACKGROUND,
  CC_PROXY_REQUEST_CLASS_COMPACT,
} CcProxyRequestClass;

const char *cc_proxy_request_class_to_string (CcProxyRequestClass klass);

/* What routes match on, found by a bounded scan of the body. */
typedef struct
{
  CcProxyRequestRole role;
  char              *model;       /* NULL when the body names none */
  gboolean           thinking;    /* extended thinking requested */
  gboolean           images;      /* an image block in the messages */
  gboolean           web_search;  /* the web_search server tool offered */
  guint64            tokens;      /* estimated input tokens */
  CcProxyRequestClass klass;
} CcProxyRequestTraits;

void cc_proxy_request_traits_clear (CcProxyRequestTraits *traits);

/* One place a request can go: a provider, perhaps with the model to ask
 * it for instead of the one the request names. */
typedef struct
{
  char *provider;
  char *model;   /* NULL: the request's own */
} CcProxyRouteTarget;

char *cc_proxy_route_target_to_string (const CcProxyRouteTarget *target);

typedef struct _CcProxyRouteTable CcProxyRouteTable;

#define CC_PROXY_TYPE_ROUTE_TABLE (cc_proxy_route_table_get_type ())
GType               cc_proxy_route_table_get_type     (void) G_GNUC_CONST;

CcProxyRouteTable  *cc_proxy_route_table_new          (GVariant                   *routes,
                                                       const char                 *background_model,
                                                       const char * const         *providers,
                                                       GError                    **error);
CcProxyRouteTable  *cc_proxy_route_table_new_with_pools (GVariant               *routes,
                                                         GVariant               *pools,
                                                         const char             *background_model,
                                                         const char * const     *providers,
                                                         GError                **error);
GVariant           *cc_proxy_route_table_get_pools    (CcProxyRouteTable          *self);
GArray             *cc_proxy_route_table_lookup_pool  (CcProxyRouteTable          *self,
                                                       const char                 *name,
                                                       CcProxyPoolStrategy        *strategy);
CcProxyRouteTable  *cc_proxy_route_table_ref          (CcProxyRouteTable          *self);
void                cc_proxy_route_table_unref        (CcProxyRouteTable          *self);
GVariant           *cc_proxy_route_table_get_variant  (CcProxyRouteTable          *self);
guint               cc_proxy_route_table_get_n_routes (CcProxyRouteTable          *self);
const char         *cc_proxy_route_table_get_name     (CcProxyRouteTable          *self,
                                                       guint                       index);
guint               cc_proxy_route_table_get_n_targets (CcProxyRouteTable         *self,
                                                        guint                      index);
const CcProxyRouteTarget *cc_proxy_route_table_get_target (CcProxyRouteTable      *self,
                                                           guint                   index,
                                                           guint                   nth);

void                cc_proxy_route_table_scan         (CcProxyRouteTable          *self,
                                                       const char                 *body,
                                                       gsize                       len,
                                                       SoupMessageHeaders         *headers,
                                                       CcProxyRequestTraits       *traits);
int                 cc_proxy_route_table_match        (CcProxyRouteTable          *self,
                                                       const CcProxyRequestTraits *traits);

gboolean            cc_proxy_route_parse_target       (const char                 *text,
                                                       CcProxyRouteTarget         *target,
                                                       GError                    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcProxyRouteTable, cc_proxy_route_table_unref)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CcProxyRequestTraits, cc_proxy_request_traits_clear)

G_END_DECLS
