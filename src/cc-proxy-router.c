/* cc-proxy-router.c: the route table, and how each provider has fared
 *
 * Owns the table that the `routes` setting holds (checked whole against
 * the loaded providers; a refused value leaves the previous table and
 * says why), and what routing remembers between requests: a circuit
 * breaker per provider, so that a dead provider costs one failed try
 * rather than one per request, the target each Claude Code session
 * settled on, so that its upstream prompt cache keeps hitting, and each
 * route's hit and fallback counts. All of it is bounded.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-routes"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "cc-proxy-router.h"
#include "cc-proxy-signature-scan.h"

/* Sessions remembered; the oldest are forgotten first. */
#define MAX_SESSIONS 4096
/* Thinking signatures whose provider is remembered, the same way: a
 * long conversation has one a turn. */
#define MAX_SIGNATURES 16384

typedef struct
{
  guint  failures;     /* in a row */
  gint64 open_until;   /* monotonic µs; 0: closed */
  gint64 probe_started;  /* the one request let through after the cooldown */
} Breaker;

typedef struct
{
  guint64 hits;
  guint64 fallbacks;
} RouteCounts;

struct _CcProxyRouter
{
  GObject            parent_instance;

  CcProxyRegistry   *registry;
  GSettings         *settings;     /* NULL: kept in memory */
  CcProxyRouteTable *table;
  char              *problem;      /* why the stored routes were refused */
  GHashTable        *breakers;     /* provider id → Breaker */
  GHashTable        *sessions;     /* session key → target string */
  GQueue             session_order;
  GHashTable        *counts;       /* route name → RouteCounts */
  GHashTable        *signatures;   /* signature hash (guint64 *) → provider id (interned) */
  GQueue             signature_order;
  GHashTable        *turns;        /* pool name → the next round-robin start */
  GHashTable        *served;       /* provider id → requests it answered today */
  gint               served_day;   /* which day served counts, as a Julian day */
  guint              threshold;
  guint              cooldown;     /* seconds */
  guint              retry_after_limit;
};

G_DEFINE_FINAL_TYPE (CcProxyRouter, cc_proxy_router, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
cc_proxy_route_plan_free (CcProxyRoutePlan *plan)
{
  g_free (plan->route);
  g_free (plan->session_key);
  g_ptr_array_unref (plan->targets);
  g_string_free (plan->notes, TRUE);
  g_free (plan);
}

void
cc_proxy_route_plan_note (CcProxyRoutePlan *plan,
                          const char       *format,
                          ...)
{
  va_list args;

  if (plan->notes->len > 0)
    g_string_append (plan->notes, ", ");
  va_start (args, format);
  g_string_append_vprintf (plan->notes, format, args);
  va_end (args);
}

/**
 * cc_proxy_route_plan_describe:
 * @served: (nullable): the target that answered
 *
 * Returns: (transfer full) (nullable): "background → openai:qwen3 (copilot
 *   429, retry after 30 s)", or %NULL for a request no route matched
 *   and nothing happened to
 */
char *
cc_proxy_route_plan_describe (CcProxyRoutePlan         *plan,
                              const CcProxyRouteTarget *served)
{
  g_autofree char *target = served ? cc_proxy_route_target_to_string (served) : g_strdup (_("nobody"));

  if (plan->route == NULL && plan->notes->len == 0)
    return NULL;
  if (plan->notes->len == 0)
    return g_strdup_printf ("%s → %s", plan->route, target);
  return g_strdup_printf ("%s → %s (%s)", plan->route ? plan->route : _("active provider"), target, plan->notes->str);
}

static void
cc_proxy_router_finalize (GObject *object)
{
  CcProxyRouter *self = (CcProxyRouter *) object;

  g_clear_object (&self->registry);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->table, cc_proxy_route_table_unref);
  g_free (self->problem);
  g_hash_table_unref (self->breakers);
  g_hash_table_unref (self->sessions);
  g_queue_clear_full (&self->session_order, g_free);
  g_hash_table_unref (self->counts);
  g_hash_table_unref (self->turns);
  g_hash_table_unref (self->served);
  g_hash_table_unref (self->signatures);
  g_queue_clear_full (&self->signature_order, g_free);
  G_OBJECT_CLASS (cc_proxy_router_parent_class)->finalize (object);
}

static void
cc_proxy_router_class_init (CcProxyRouterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cc_proxy_router_finalize;

  /**
   * CcProxyRouter::changed:
   *
   * The table, or why a stored one was refused, changed.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
cc_proxy_router_init (CcProxyRouter *self)
{
  self->breakers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  self->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->turns = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->served = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&self->session_order);
  self->signatures = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_queue_init (&self->signature_order);
  self->threshold = 3;
  self->cooldown = 30;
  self->retry_after_limit = 10;
}

static GStrv
provider_ids (CcProxyRouter *self)
{
  GPtrArray *providers = cc_proxy_registry_get_providers (self->registry);
  GStrvBuilder *builder = g_strv_builder_new ();
  GStrv ids;

  for (guint i = 0; i < providers->len; i++)
    g_strv_builder_add (builder, cc_proxy_provider_get_id (g_ptr_array_index (providers, i)));
  ids = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return ids;
}

static char *
dup_background_model (CcProxyRouter *self)
{
  return self->settings ? g_settings_get_string (self->settings, "background-model") : g_strdup ("*haiku*");
}

static CcProxyRouteTable *
build_table (CcProxyRouter  *self,
             GVariant       *routes,
             GVariant       *pools,
             GError        **error)
{
  g_auto(GStrv) ids = provider_ids (self);
  g_autofree char *background = dup_background_model (self);

  return cc_proxy_route_table_new_with_pools (routes, pools, background, (const char * const *) ids, error);
}

/* The stored table, read again; a refused one leaves the one in use. */
void
cc_proxy_router_reload (CcProxyRouter *self)
{
  g_autoptr(GVariant) routes = NULL;
  g_autoptr(GVariant) pools = NULL;
  g_autoptr(GError) error = NULL;
  CcProxyRouteTable *table;

  if (self->settings == NULL)
    return;
  self->threshold = g_settings_get_uint (self->settings, "breaker-threshold");
  self->cooldown = g_settings_get_uint (self->settings, "breaker-cooldown");
  self->retry_after_limit = g_settings_get_uint (self->settings, "fallback-retry-after");

  routes = g_settings_get_value (self->settings, "routes");
  pools = g_settings_get_value (self->settings, "pools");
  table = build_table (self, routes, pools, &error);
  g_clear_pointer (&self->problem, g_free);
  if (table == NULL)
    {
      self->problem = g_strdup_printf (_("The stored routes were refused, and the previous ones are in use: %s"),
                                       error->message);
      g_message ("%s", self->problem);
    }
  else
    {
      g_clear_pointer (&self->table, cc_proxy_route_table_unref);
      self->table = table;
    }
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
on_settings_changed (GSettings     *settings,
                     const char    *key,
                     CcProxyRouter *self)
{
  if (g_str_equal (key, "routes") || g_str_equal (key, "pools") || g_str_equal (key, "background-model") ||
      g_str_has_prefix (key, "breaker-") || g_str_equal (key, "fallback-retry-after"))
    cc_proxy_router_reload (self);
}

/**
 * cc_proxy_router_new:
 * @registry: the providers targets may name
 * @settings: (nullable): the core settings; without them the table is
 *   kept in memory
 */
CcProxyRouter *
cc_proxy_router_new (CcProxyRegistry *registry,
                     GSettings       *settings)
{
  CcProxyRouter *self = g_object_new (CC_PROXY_TYPE_ROUTER, NULL);

  self->registry = g_object_ref (registry);
  self->settings = settings ? g_object_ref (settings) : NULL;
  self->table = cc_proxy_route_table_new (g_variant_new_array (G_VARIANT_TYPE ("(sa{sv}sas)"), NULL, 0),
                                          "*haiku*", NULL, NULL);
  if (self->settings != NULL)
    {
      g_signal_connect_object (self->settings, "changed", G_CALLBACK (on_settings_changed), self, 0);
      cc_proxy_router_reload (self);
    }
  return self;
}

/**
 * cc_proxy_router_get_table:
 *
 * Returns: (transfer none): the table in use; a request keeps a
 *   reference to the one it was routed by
 */
CcProxyRouteTable *
cc_proxy_router_get_table (CcProxyRouter *self)
{
  return self->table;
}

gboolean
cc_proxy_router_is_empty (CcProxyRouter *self)
{
  return cc_proxy_route_table_get_n_routes (self->table) == 0;
}

/* Why the stored routes are not the ones in use, or NULL. */
const char *
cc_proxy_router_get_problem (CcProxyRouter *self)
{
  return self->problem;
}

/* Seconds of a 429's Retry-After that the client is left to wait. */
guint
cc_proxy_router_get_retry_after_limit (CcProxyRouter *self)
{
  return self->retry_after_limit;
}

/**
 * cc_proxy_router_set_routes:
 * @routes: a whole table, of type %CC_PROXY_ROUTES_TYPE
 *
 * Checks and stores @routes; the next request uses them. A refused
 * table changes nothing.
 */
static gboolean
set_table (CcProxyRouter  *self,
           GVariant       *routes,
           GVariant       *pools,
           GError        **error)
{
  g_autoptr(GVariant) owned_routes = g_variant_ref_sink (routes);
  g_autoptr(GVariant) owned_pools = g_variant_ref_sink (pools);
  CcProxyRouteTable *table = build_table (self, owned_routes, owned_pools, error);

  if (table == NULL)
    return FALSE;
  g_clear_pointer (&self->table, cc_proxy_route_table_unref);
  self->table = table;
  g_clear_pointer (&self->problem, g_free);
  if (self->settings != NULL)
    {
      g_signal_handlers_block_by_func (self->settings, on_settings_changed, self);
      g_settings_set_value (self->settings, "routes", owned_routes);
      g_settings_set_value (self->settings, "pools", owned_pools);
      g_signal_handlers_unblock_by_func (self->settings, on_settings_changed, self);
    }
  g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;
}

gboolean
cc_proxy_router_set_routes (CcProxyRouter  *self,
                            GVariant       *routes,
                            GError        **error)
{
  return set_table (self, routes, cc_proxy_route_table_get_pools (self->table), error);
}

/* Copies @pools into @builder, the pool @name left out or, with
 * @replacement, replaced where it stood. Returns whether it was there. */
static gboolean
edit_pools (GVariant        *pools,
            const char      *name,
            GVariant        *replacement,
            GVariantBuilder *builder)
{
  gboolean found = FALSE;

  for (gsize i = 0; i < g_variant_n_children (pools); i++)
    {
      g_autoptr(GVariant) pool = g_variant_get_child_value (pools, i);
      const char *other;

      g_variant_get_child (pool, 0, "&s", &other);
      if (!g_str_equal (other, name))
        g_variant_builder_add_value (builder, pool);
      else
        {
          found = TRUE;
          if (replacement != NULL)
            g_variant_builder_add_value (builder, replacement);
        }
    }
  return found;
}

/**
 * cc_proxy_router_set_pool:
 * @strategy: ordered, round-robin or least-used
 * @members: (array zero-terminated=1): its targets
 *
 * Adds the pool @name, or replaces the one of that name; checked with
 * the routes, as one table.
 */
gboolean
cc_proxy_router_set_pool (CcProxyRouter      *self,
                          const char         *name,
                          const char         *strategy,
                          const char * const *members,
                          GError            **error)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (CC_PROXY_POOLS_TYPE);
  GVariant *pool = g_variant_ref_sink (g_variant_new ("(ss^as)", name, strategy, members));

  if (!edit_pools (cc_proxy_route_table_get_pools (self->table), name, pool, &builder))
    g_variant_builder_add_value (&builder, pool);
  g_variant_unref (pool);
  return set_table (self, cc_proxy_route_table_get_variant (self->table), g_variant_builder_end (&builder), error);
}

/* The first route that sends requests to @target (a provider or a
 * pool), else the first pool it is a member of, or NULL. */
const char *
cc_proxy_router_find_user (CcProxyRouter *self,
                           const char    *target,
                           gboolean      *is_pool)
{
  CcProxyRouteTable *table = self->table;
  GVariant *pools = cc_proxy_route_table_get_pools (table);

  *is_pool = FALSE;
  for (guint i = 0; i < cc_proxy_route_table_get_n_routes (table); i++)
    for (guint t = 0; t < cc_proxy_route_table_get_n_targets (table, i); t++)
      if (g_str_equal (cc_proxy_route_table_get_target (table, i, t)->provider, target))
        return cc_proxy_route_table_get_name (table, i);
  for (gsize i = 0; i < g_variant_n_children (pools); i++)
    {
      const char *name;
      GArray *members;

      g_variant_get_child (pools, i, "(&s&s@as)", &name, NULL, NULL);
      members = cc_proxy_route_table_lookup_pool (table, name, NULL);
      for (guint m = 0; m < members->len; m++)
        if (g_str_equal (g_array_index (members, CcProxyRouteTarget, m).provider, target))
          {
            *is_pool = TRUE;
            return name;
          }
    }
  return NULL;
}

gboolean
cc_proxy_router_remove_pool (CcProxyRouter  *self,
                             const char     *name,
                             GError        **error)
{
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (CC_PROXY_POOLS_TYPE);
  gboolean is_pool;
  const char *route = cc_proxy_router_find_user (self, name, &is_pool);

  if (cc_proxy_route_table_lookup_pool (self->table, name, NULL) == NULL)
    {
      g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_NOT_FOUND, _("No pool is called “%s”"), name);
      return FALSE;
    }
  if (route != NULL)
    {
      g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                   _("Route “%s” sends requests to pool “%s”: change or remove the route first"), route, name);
      return FALSE;
    }
  edit_pools (cc_proxy_route_table_get_pools (self->table), name, NULL, &builder);
  return set_table (self, cc_proxy_route_table_get_variant (self->table), g_variant_builder_end (&builder), error);
}

static int
find_route (CcProxyRouteTable  *table,
            const char         *name,
            GError            **error)
{
  for (guint i = 0; i < cc_proxy_route_table_get_n_routes (table); i++)
    if (g_str_equal (cc_proxy_route_table_get_name (table, i), name))
      return i;
  g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_NOT_FOUND, _("No route is called “%s”"), name);
  return -1;
}

/* The table's routes as a list of variants, to edit. */
static GPtrArray *
routes_as_list (CcProxyRouter *self)
{
  GVariant *routes = cc_proxy_route_table_get_variant (self->table);
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);

  for (gsize i = 0; i < g_variant_n_children (routes); i++)
    g_ptr_array_add (list, g_variant_get_child_value (routes, i));
  return list;
}

static gboolean
set_list (CcProxyRouter  *self,
          GPtrArray      *list,
          GError        **error)
{
  return cc_proxy_router_set_routes (self, g_variant_new_array (G_VARIANT_TYPE ("(sa{sv}sas)"),
                                                                (GVariant **) list->pdata, list->len), error);
}

/**
 * cc_proxy_router_add:
 * @match: an `a{sv}` of match keys
 * @fallbacks: (nullable) (array zero-terminated=1): targets to try in turn
 * @position: where the route goes, from 0; -1 (or past the end) puts it last
 */
gboolean
cc_proxy_router_add (CcProxyRouter      *self,
                     const char         *name,
                     GVariant           *match,
                     const char         *target,
                     const char * const *fallbacks,
                     int                 position,
                     GError            **error)
{
  g_autoptr(GPtrArray) list = routes_as_list (self);
  g_autoptr(GVariant) owned_match = g_variant_ref_sink (match);
  const char * const none[] = { NULL };

  if (find_route (self->table, name, NULL) >= 0)
    {
      g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_EXISTS,
                   _("A route is called “%s” already: remove it first, or choose another name"), name);
      return FALSE;
    }
  if (position < 0 || (guint) position > list->len)
    position = list->len;
  g_ptr_array_insert (list, position,
                      g_variant_ref_sink (g_variant_new ("(s@a{sv}s^as)", name, owned_match, target,
                                                         fallbacks ? fallbacks : none)));
  return set_list (self, list, error);
}

gboolean
cc_proxy_router_remove (CcProxyRouter  *self,
                        const char     *name,
                        GError        **error)
{
  g_autoptr(GPtrArray) list = routes_as_list (self);
  int index = find_route (self->table, name, error);

  if (index < 0)
    return FALSE;
  g_ptr_array_remove_index (list, index);
  return set_list (self, list, error);
}

/* @position counts from 0; past the end is the end. */
gboolean
cc_proxy_router_move (CcProxyRouter  *self,
                      const char     *name,
                      guint           position,
                      GError        **error)
{
  g_autoptr(GPtrArray) list = routes_as_list (self);
  int index = find_route (self->table, name, error);
  GVariant *route;

  if (index < 0)
    return FALSE;
  route = g_ptr_array_steal_index (list, index);
  g_ptr_array_insert (list, MIN (position, list->len), route);
  return set_list (self, list, error);
}

/* ----- breakers ----- */

static Breaker *
breaker_for (CcProxyRouter *self,
             const char    *provider)
{
  Breaker *breaker = g_hash_table_lookup (self->breakers, provider);

  if (breaker == NULL)
    {
      breaker = g_new0 (Breaker, 1);
      g_hash_table_insert (self->breakers, g_strdup (provider), breaker);
    }
  return breaker;
}

/* Whether the provider is being skipped now. */
static gboolean
breaker_is_open (CcProxyRouter *self,
                 const char    *provider,
                 gint64         now)
{
  Breaker *breaker = g_hash_table_lookup (self->breakers, provider);

  return breaker != NULL && breaker->open_until > now;
}

/* Whether a request may try the provider: not while it is skipped,
 * and after the cooldown only the one request that probes it (another,
 * should that one never tell, after a further cooldown). */
static gboolean
breaker_allows (CcProxyRouter *self,
                const char    *provider,
                gint64         now,
                guint         *seconds_left)
{
  Breaker *breaker = g_hash_table_lookup (self->breakers, provider);

  *seconds_left = 0;
  if (breaker == NULL || breaker->open_until == 0)
    return TRUE;
  if (breaker->open_until > now)
    {
      *seconds_left = (guint) ((breaker->open_until - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
      return FALSE;
    }
  return breaker->probe_started == 0 || now - breaker->probe_started > (gint64) self->cooldown * G_USEC_PER_SEC;
}

/**
 * cc_proxy_router_trying:
 *
 * A request is about to try @target: when its provider's cooldown is
 * over, this request is the one probe.
 */
void
cc_proxy_router_trying (CcProxyRouter            *self,
                        CcProxyRoutePlan         *plan,
                        const CcProxyRouteTarget *target)
{
  Breaker *breaker = g_hash_table_lookup (self->breakers, target->provider);

  if (plan->route != NULL && breaker != NULL && breaker->open_until != 0)
    breaker->probe_started = g_get_monotonic_time ();
}

/* ----- sessions ----- */

static const char *
session_target (CcProxyRouter    *self,
                CcProxyRoutePlan *plan)
{
  return plan->session_key ? g_hash_table_lookup (self->sessions, plan->session_key) : NULL;
}

static void
settle_session (CcProxyRouter            *self,
                CcProxyRoutePlan         *plan,
                const CcProxyRouteTarget *served)
{
  const char *current = session_target (self, plan);
  g_autofree char *text = NULL;
  CcProxyRouteTarget settled = { NULL, NULL };

  if (plan->session_key == NULL)
    return;
  text = cc_proxy_route_target_to_string (served);
  if (g_strcmp0 (current, text) == 0)
    return;
  /* A session moves off its target only while that target is skipped:
   * one failed try is not a reason to lose its prompt cache. */
  if (current != NULL)
    {
      if (!cc_proxy_route_parse_target (current, &settled, NULL))
        return;
      if (!breaker_is_open (self, settled.provider, g_get_monotonic_time ()))
        {
          g_free (settled.provider);
          g_free (settled.model);
          return;
        }
      g_free (settled.provider);
      g_free (settled.model);
      /* The key stays the one the queue owns. */
      g_hash_table_insert (self->sessions, plan->session_key, g_steal_pointer (&text));
      return;
    }
  /* Nor does one failed try pin a new session to a fallback. */
  if (plan->fell_back && plan->targets->len > 0 &&
      !breaker_is_open (self, ((CcProxyRouteTarget *) g_ptr_array_index (plan->targets, 0))->provider,
                        g_get_monotonic_time ()))
    return;
  if (g_queue_get_length (&self->session_order) >= MAX_SESSIONS)
    {
      char *oldest = g_queue_pop_head (&self->session_order);

      g_hash_table_remove (self->sessions, oldest);
      g_free (oldest);
    }
  {
    char *key = g_strdup (plan->session_key);

    g_queue_push_tail (&self->session_order, key);
    g_hash_table_insert (self->sessions, key, g_steal_pointer (&text));
  }
}

/* ----- thinking signatures ----- */

/* @hash (cc_proxy_signature_hash()) was in @provider's answer. */
static void
note_signature (CcProxyRouter *self,
                                guint64        hash,
                                const char    *provider)
{
  guint64 *key;

  if (g_hash_table_contains (self->signatures, &hash))
    return;
  if (g_queue_get_length (&self->signature_order) >= MAX_SIGNATURES)
    {
      guint64 *oldest = g_queue_pop_head (&self->signature_order);

      g_hash_table_remove (self->signatures, oldest);
      g_free (oldest);
    }
  key = g_memdup2 (&hash, sizeof hash);
  g_queue_push_tail (&self->signature_order, key);
  g_hash_table_insert (self->signatures, key, (gpointer) g_intern_string (provider));
}

typedef struct
{
  CcProxyRouter *router;
  const char    *provider;  /* interned */
} SignatureNote;

static void
on_answer_signature (guint64  hash,
                     gpointer user_data)
{
  SignatureNote *note = user_data;

  note_signature (note->router, hash, note->provider);
}

static void
signature_note_free (gpointer data)
{
  SignatureNote *note = data;

  g_object_unref (note->router);
  g_free (note);
}

/**
 * cc_proxy_router_watch_signatures:
 * @provider: the provider that is to answer
 *
 * Returns: (transfer full): a scan to feed the answer to: the thinking
 *   signatures in it are remembered as @provider's
 */
CcProxySignatureScan *
cc_proxy_router_watch_signatures (CcProxyRouter *self,
                                  const char    *provider)
{
  SignatureNote *note = g_new0 (SignatureNote, 1);

  note->router = g_object_ref (self);
  note->provider = g_intern_string (provider);
  return cc_proxy_signature_scan_new (on_answer_signature, note, signature_note_free);
}

typedef struct
{
  CcProxyRouter *router;
  const char    *provider;
  guint          foreign;
} ForeignCount;

static gboolean
is_foreign (CcProxyRouter *self,
            guint64        hash,
            const char    *provider)
{
  const char *owner = g_hash_table_lookup (self->signatures, &hash);

  return owner != NULL && owner != g_intern_string (provider);
}

static void
count_foreign (guint64  hash,
               gpointer user_data)
{
  ForeignCount *count = user_data;

  count->foreign += is_foreign (count->router, hash, count->provider);
}

/* Drops the foreign thinking blocks of @content; whether it did. */
static gboolean
drop_foreign_blocks (CcProxyRouter *self,
                     JsonArray     *content,
                     const char    *provider,
                     GHashTable    *owners)
{
  gboolean dropped = FALSE;

  for (guint i = json_array_get_length (content); i-- > 0;)
    {
      JsonObject *block = json_array_get_object_element (content, i);
      const char *signature = block ? cc_proxy_json_get_string (block, "signature") : NULL;
      guint64 hash;

      if (signature == NULL || g_strcmp0 (cc_proxy_json_get_string (block, "type"), "thinking") != 0)
        continue;
      hash = cc_proxy_signature_hash (signature, -1);
      if (!is_foreign (self, hash, provider))
        continue;
      g_hash_table_add (owners, (gpointer) g_hash_table_lookup (self->signatures, &hash));
      json_array_remove_element (content, i);
      dropped = TRUE;
    }
  return dropped;
}

/**
 * cc_proxy_router_drop_foreign_thinking:
 * @body: a Messages request
 * @provider: the provider it is about to go to
 * @why: (out) (optional) (transfer full): what was dropped, for the
 *   request's record
 *
 * Another provider refuses the signature of a thinking block it did not
 * make ("Invalid signature in thinking block"): the thinking blocks this
 * daemon saw another provider make are left out, and thinking is turned
 * off when the last assistant turn lost its own (the API then refuses
 * thinking on). Blocks of unknown provenance stay. A body without
 * foreign signatures is not parsed.
 *
 * Returns: (transfer full): the body to send
 */
GBytes *
cc_proxy_router_drop_foreign_thinking (CcProxyRouter  *self,
                                       GBytes         *body,
                                       const char     *provider,
                                       char          **why)
{
  ForeignCount count = { self, provider, 0 };
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GHashTable) owners = NULL;
  JsonArray *messages;
  JsonObject *request;
  gboolean last_dropped = FALSE;
  guint dropped = 0;
  char *text;

  if (why != NULL)
    *why = NULL;
  cc_proxy_signatures_in (data, len, count_foreign, &count);
  if (count.foreign == 0 || (node = cc_proxy_json_parse (data, len, NULL)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (node))
    return g_bytes_ref (body);

  request = json_node_get_object (node);
  messages = cc_proxy_json_get_array (request, "messages");
  owners = g_hash_table_new (NULL, NULL);
  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);
      JsonArray *content = message ? cc_proxy_json_get_array (message, "content") : NULL;
      guint before = content ? json_array_get_length (content) : 0;

      if (content == NULL || g_strcmp0 (cc_proxy_json_get_string (message, "role"), "assistant") != 0)
        continue;
      last_dropped = drop_foreign_blocks (self, content, provider, owners);
      dropped += before - json_array_get_length (content);
      /* A turn of thinking only: an empty content is refused too. */
      if (json_array_get_length (content) == 0)
        {
          JsonObject *placeholder = json_object_new ();

          json_object_set_string_member (placeholder, "type", "text");
          json_object_set_string_member (placeholder, "text", "(thinking omitted)");
          json_array_add_object_element (content, placeholder);
        }
    }
  if (dropped == 0)
    return g_bytes_ref (body);
  if (last_dropped && json_object_has_member (request, "thinking"))
    json_object_remove_member (request, "thinking");

  if (why != NULL)
    {
      g_autoptr(GList) names = g_hash_table_get_keys (owners);
      GString *list = g_string_new (NULL);

      for (GList *l = names; l != NULL; l = l->next)
        g_string_append_printf (list, "%s%s", list->len ? ", " : "", (const char *) l->data);
      *why = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u thinking block of %s left out%s",
                                           "%u thinking blocks of %s left out%s", dropped),
                              dropped, list->str, last_dropped ? _(", thinking off") : "");
      g_string_free (list, TRUE);
    }
  text = cc_proxy_json_to_string (node);
  return g_bytes_new_take (text, strlen (text));
}

/* ----- pools ----- */

/* Today's count of answers starts again each day. */
static void
roll_served (CcProxyRouter *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  gint day = (gint) (g_date_time_to_unix (now) + g_date_time_get_utc_offset (now) / G_USEC_PER_SEC) / 86400;

  if (day != self->served_day)
    {
      g_hash_table_remove_all (self->served);
      self->served_day = day;
    }
}

static guint
served_today (CcProxyRouter *self,
              const char    *provider)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->served, provider));
}

static int
compare_by_use (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  CcProxyRouter *self = user_data;
  guint used_a = served_today (self, (*(const CcProxyRouteTarget * const *) a)->provider);
  guint used_b = served_today (self, (*(const CcProxyRouteTarget * const *) b)->provider);

  return (used_a > used_b) - (used_a < used_b);
}

/* The route's targets in the order they are tried, each pool in its
 * members' order by its strategy; a target met twice counts once. */
static GPtrArray *
expand_targets (CcProxyRouter     *self,
                CcProxyRouteTable *table,
                guint              index,
                gboolean           record)
{
  GPtrArray *candidates = g_ptr_array_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < cc_proxy_route_table_get_n_targets (table, index); i++)
    {
      const CcProxyRouteTarget *target = cc_proxy_route_table_get_target (table, index, i);
      CcProxyPoolStrategy strategy = CC_PROXY_POOL_ORDERED;
      GArray *members = cc_proxy_route_table_lookup_pool (table, target->provider, &strategy);
      g_autoptr(GPtrArray) order = g_ptr_array_new ();
      guint start = 0;

      if (members == NULL)
        g_ptr_array_add (order, (gpointer) target);
      else
        {
          if (strategy == CC_PROXY_POOL_ROUND_ROBIN)
            {
              start = GPOINTER_TO_UINT (g_hash_table_lookup (self->turns, target->provider)) % members->len;
              if (record)
                g_hash_table_insert (self->turns, g_strdup (target->provider), GUINT_TO_POINTER (start + 1));
            }
          for (guint m = 0; m < members->len; m++)
            g_ptr_array_add (order, &g_array_index (members, CcProxyRouteTarget, (start + m) % members->len));
          if (strategy == CC_PROXY_POOL_LEAST_USED)
            {
              roll_served (self);
              /* Stable: equals stay in the pool's order. */
              g_ptr_array_sort_with_data (order, compare_by_use, self);
            }
        }
      for (guint m = 0; m < order->len; m++)
        {
          const CcProxyRouteTarget *candidate = g_ptr_array_index (order, m);

          if (g_hash_table_add (seen, cc_proxy_route_target_to_string (candidate)))
            g_ptr_array_add (candidates, (gpointer) candidate);
        }
    }
  return candidates;
}

/* ----- plans ----- */

static CcProxyRouteTarget *
target_copy (const CcProxyRouteTarget *target)
{
  CcProxyRouteTarget *copy = g_new0 (CcProxyRouteTarget, 1);

  copy->provider = g_strdup (target->provider);
  copy->model = g_strdup (target->model);
  return copy;
}

static void
target_free (gpointer data)
{
  CcProxyRouteTarget *target = data;

  g_free (target->provider);
  g_free (target->model);
  g_free (target);
}

/**
 * cc_proxy_router_plan:
 * @table: the table the request is routed by
 * @traits: what the request is
 * @session_id: (nullable): its Claude Code session
 * @active_provider: who serves what no route matches
 * @record: whether the request is real (and counts in the route's
 *   hits), not only explained
 *
 * Where the request goes: the matching route's targets, the session's
 * own first while it is healthy, skipped providers last (a request
 * still tries them when nothing else is left).
 *
 * Returns: (transfer full): the plan
 */
CcProxyRoutePlan *
cc_proxy_router_plan (CcProxyRouter              *self,
                      CcProxyRouteTable          *table,
                      const CcProxyRequestTraits *traits,
                      const char                 *session_id,
                      const char                 *active_provider,
                      gboolean                    record)
{
  CcProxyRoutePlan *plan = g_new0 (CcProxyRoutePlan, 1);
  g_autoptr(GPtrArray) skipped = g_ptr_array_new ();
  int index = cc_proxy_route_table_match (table, traits);
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GPtrArray) candidates = NULL;
  const char *sticky;
  RouteCounts *counts;
  guint n;

  plan->targets = g_ptr_array_new_with_free_func (target_free);
  plan->notes = g_string_new (NULL);
  if (index < 0)
    {
      CcProxyRouteTarget active = { (char *) active_provider, NULL };

      g_ptr_array_add (plan->targets, target_copy (&active));
      return plan;
    }

  plan->route = g_strdup (cc_proxy_route_table_get_name (table, index));
  if (session_id != NULL && session_id[0] != '\0')
    plan->session_key = g_strconcat (plan->route, "\n", session_id, NULL);
  counts = g_hash_table_lookup (self->counts, plan->route);
  if (counts == NULL && record)
    {
      counts = g_new0 (RouteCounts, 1);
      g_hash_table_insert (self->counts, g_strdup (plan->route), counts);
    }
  if (record)
    counts->hits++;

  candidates = expand_targets (self, table, index, record);
  n = candidates->len;
  sticky = session_target (self, plan);
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < n; i++)
      {
        const CcProxyRouteTarget *target = g_ptr_array_index (candidates, i);
        g_autofree char *text = cc_proxy_route_target_to_string (target);
        guint seconds;

        /* The session's own target first, then the others in order. */
        if ((pass == 0) != (g_strcmp0 (text, sticky) == 0))
          continue;
        if (cc_proxy_registry_lookup (self->registry, target->provider) == NULL)
          {
            cc_proxy_route_plan_note (plan, _("%s skipped: not loaded"), target->provider);
            continue;
          }
        if (n > 1 && !breaker_allows (self, target->provider, now, &seconds))
          {
            if (seconds > 0)
              cc_proxy_route_plan_note (plan, _("%s skipped: failing, tried again in %u s"), target->provider, seconds);
            else
              cc_proxy_route_plan_note (plan, _("%s skipped: being tried again"), target->provider);
            g_ptr_array_add (skipped, (gpointer) target);
            continue;
          }
        g_ptr_array_add (plan->targets, target_copy (target));
      }
  for (guint i = 0; i < skipped->len; i++)
    g_ptr_array_add (plan->targets, target_copy (g_ptr_array_index (skipped, i)));
  if (plan->targets->len == 0)
    {
      CcProxyRouteTarget active = { (char *) active_provider, NULL };

      cc_proxy_route_plan_note (plan, _("the active provider instead"));
      g_ptr_array_add (plan->targets, target_copy (&active));
    }
  return plan;
}

/**
 * cc_proxy_router_report:
 * @plan: the request's plan
 * @target: the target that was tried
 * @failed: whether it failed in a way that makes routes fall back
 * @retry_after: seconds a 429 asked for, or 0
 *
 * What became of a try: it moves the provider's breaker, and settles
 * the session on the target that answered.
 */
void
cc_proxy_router_report (CcProxyRouter            *self,
                        CcProxyRoutePlan         *plan,
                        const CcProxyRouteTarget *target,
                        gboolean                  failed,
                        guint                     retry_after)
{
  Breaker *breaker;
  gint64 now = g_get_monotonic_time ();

  /* Without a route there is nothing to fall back to, or to skip. */
  if (plan->route == NULL)
    return;
  breaker = breaker_for (self, target->provider);
  if (!failed)
    {
      roll_served (self);
      g_hash_table_insert (self->served, g_strdup (target->provider),
                           GUINT_TO_POINTER (served_today (self, target->provider) + 1));
      breaker->failures = 0;
      breaker->open_until = 0;
      breaker->probe_started = 0;
      settle_session (self, plan, target);
      if (plan->fell_back)
        {
          RouteCounts *counts = g_hash_table_lookup (self->counts, plan->route);

          if (counts != NULL)
            counts->fallbacks++;
        }
      return;
    }

  breaker->failures++;
  breaker->probe_started = 0;
  if (breaker->failures >= self->threshold)
    breaker->open_until = now + (gint64) self->cooldown * G_USEC_PER_SEC;
  /* A provider that said when to come back is skipped until then. */
  if (retry_after > 0)
    breaker->open_until = MAX (breaker->open_until, now + (gint64) retry_after * G_USEC_PER_SEC);
  if (breaker->open_until > now)
    g_debug ("Skipping the %s provider for %" G_GINT64_FORMAT " s after %u failures",
             target->provider, (breaker->open_until - now) / G_USEC_PER_SEC, breaker->failures);
}

/* Each route's requests, and how many of them a fallback answered:
 * a{s(tt)}. */
GVariant *
cc_proxy_router_dup_counters (CcProxyRouter *self)
{
  GVariantBuilder builder;
  GHashTableIter iter;
  gpointer key, value;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{s(tt)}"));
  g_hash_table_iter_init (&iter, self->counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      RouteCounts *counts = value;

      g_variant_builder_add (&builder, "{s(tt)}", key, counts->hits, counts->fallbacks);
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* The providers being skipped now, with the seconds left: a{su}. */
GVariant *
cc_proxy_router_dup_breakers (CcProxyRouter *self)
{
  GVariantBuilder builder;
  GHashTableIter iter;
  gpointer key, value;
  gint64 now = g_get_monotonic_time ();

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{su}"));
  g_hash_table_iter_init (&iter, self->breakers);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Breaker *breaker = value;

      if (breaker->open_until > now)
        g_variant_builder_add (&builder, "{su}", key,
                               (guint32) ((breaker->open_until - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC));
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}
