/* cc-proxy-route-table.c: which provider serves a request, by what it is
 *
 * A table of routes, first match wins: each matches on what a request
 * is (its role, its model, thinking, images, the web_search tool, its
 * size) and names a target and the fallbacks to try in turn. It is built
 * once from its GVariant (the stored setting), checked whole, and never
 * changed: a new table replaces it, so a request in flight keeps the one
 * it was routed by. docs/routes.md says what each match means.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "cc-proxy-body-scan.h"
#include "cc-proxy-json-scan.h"
#include "cc-proxy-route-table.h"

G_DEFINE_QUARK (cc-proxy-route-error-quark, cc_proxy_route_error)

#define NAME_MAX_LEN 64
#define GLOB_MAX_LEN 256

/* Which traits a table reads, so that a request is scanned for no more. */
typedef enum {
  NEED_MODEL      = 1 << 0,
  NEED_THINKING   = 1 << 1,
  NEED_IMAGES     = 1 << 2,
  NEED_WEB_SEARCH = 1 << 3,
  NEED_ROLE       = 1 << 4,
} Needs;

/* A tri-state match on a yes/no trait. */
typedef enum {
  WANT_ANY = 0,
  WANT_YES,
  WANT_NO,
} Want;

typedef struct
{
  char               *name;
  gboolean            any_role;
  CcProxyRequestRole  role;
  CcProxyRequestClass klass;     /* NONE: any */
  GPatternSpec       *model;
  Want                thinking;
  Want                images;
  Want                web_search;
  guint64             min_tokens;   /* 0: any */
  GArray             *targets;      /* CcProxyRouteTarget, the first is the target */
} Route;

/* Targets that take turns (docs/routes.md, "Pools"). */
typedef struct
{
  char               *name;
  CcProxyPoolStrategy strategy;
  GArray             *members;      /* CcProxyRouteTarget */
} Pool;

static const char * const strategy_names[] = { "ordered", "round-robin", "least-used" };

struct _CcProxyRouteTable
{
  gatomicrefcount  ref_count;
  GVariant        *variant;
  GVariant        *pools_variant;
  GPtrArray       *pools;            /* Pool */
  GPtrArray       *routes;           /* Route */
  GPatternSpec    *background;       /* the small-fast model's names */
  Needs            needs;
};

G_DEFINE_BOXED_TYPE (CcProxyRouteTable, cc_proxy_route_table, cc_proxy_route_table_ref, cc_proxy_route_table_unref)

const char *
cc_proxy_request_role_to_string (CcProxyRequestRole role)
{
  switch (role)
    {
    case CC_PROXY_REQUEST_ROLE_SUBAGENT:
      return "subagent";
    case CC_PROXY_REQUEST_ROLE_BACKGROUND:
      return "background";
    case CC_PROXY_REQUEST_ROLE_MAIN:
    default:
      return "main";
    }
}

const char *
cc_proxy_request_class_to_string (CcProxyRequestClass klass)
{
  switch (klass)
    {
    case CC_PROXY_REQUEST_CLASS_USER:
      return "user";
    case CC_PROXY_REQUEST_CLASS_AGENT:
      return "agent";
    case CC_PROXY_REQUEST_CLASS_SUBAGENT:
      return "subagent";
    case CC_PROXY_REQUEST_CLASS_BACKGROUND:
      return "background";
    case CC_PROXY_REQUEST_CLASS_COMPACT:
      return "compact";
    case CC_PROXY_REQUEST_CLASS_NONE:
    default:
      return NULL;
    }
}

void
cc_proxy_request_traits_clear (CcProxyRequestTraits *traits)
{
  g_clear_pointer (&traits->model, g_free);
}

static void
target_clear (gpointer data)
{
  CcProxyRouteTarget *target = data;

  g_clear_pointer (&target->provider, g_free);
  g_clear_pointer (&target->model, g_free);
}

/**
 * cc_proxy_route_target_to_string:
 *
 * Returns: (transfer full): "provider" or "provider:model", as written
 */
char *
cc_proxy_route_target_to_string (const CcProxyRouteTarget *target)
{
  if (target->model != NULL)
    return g_strconcat (target->provider, ":", target->model, NULL);
  return g_strdup (target->provider);
}

static void
pool_free (gpointer data)
{
  Pool *pool = data;

  g_free (pool->name);
  g_clear_pointer (&pool->members, g_array_unref);
  g_free (pool);
}

static void
route_free (gpointer data)
{
  Route *route = data;

  g_free (route->name);
  g_clear_pointer (&route->model, g_pattern_spec_free);
  g_clear_pointer (&route->targets, g_array_unref);
  g_free (route);
}

CcProxyRouteTable *
cc_proxy_route_table_ref (CcProxyRouteTable *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
cc_proxy_route_table_unref (CcProxyRouteTable *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_variant_unref (self->variant);
  g_clear_pointer (&self->pools_variant, g_variant_unref);
  g_clear_pointer (&self->pools, g_ptr_array_unref);
  g_ptr_array_unref (self->routes);
  g_clear_pointer (&self->background, g_pattern_spec_free);
  g_free (self);
}

static gboolean
name_is_valid (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > NAME_MAX_LEN)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

/* GPatternSpec knows * and ? only; anything printable is a glob. */
static gboolean
check_glob (const char  *what,
            const char  *glob,
            GError     **error)
{
  if (glob[0] == '\0' || strlen (glob) > GLOB_MAX_LEN || !g_utf8_validate (glob, -1, NULL))
    {
      g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                   _("%s must be a glob of 1 to %u characters (* and ? are wildcards)"), what, GLOB_MAX_LEN);
      return FALSE;
    }
  for (const char *p = glob; *p != '\0'; p++)
    if (g_ascii_iscntrl (*p))
      {
        g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                     _("%s may not hold control characters"), what);
        return FALSE;
      }
  return TRUE;
}

/**
 * cc_proxy_route_parse_target:
 * @text: "provider" or "provider:model"
 * @target: (out caller-allocates): filled in when @text is well formed
 *
 * Reads a target's form; whether the provider exists is for the table.
 */
gboolean
cc_proxy_route_parse_target (const char          *text,
                             CcProxyRouteTarget  *target,
                             GError             **error)
{
  const char *colon = strchr (text, ':');
  g_autofree char *provider = colon ? g_strndup (text, colon - text) : g_strdup (text);

  if (provider[0] == '\0' || (colon != NULL && colon[1] == '\0') ||
      (colon != NULL && (!g_utf8_validate (colon + 1, -1, NULL) || strlen (colon + 1) > GLOB_MAX_LEN)))
    {
      g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                   _("“%s” is not a target: write PROVIDER or PROVIDER:MODEL"), text);
      return FALSE;
    }
  target->provider = g_steal_pointer (&provider);
  target->model = colon ? g_strdup (colon + 1) : NULL;
  return TRUE;
}

/* A yes/no match; the value must be a boolean. */
static gboolean
read_want (const char  *key,
           GVariant    *value,
           Want        *want,
           GError     **error)
{
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    {
      g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                   _("The match key “%s” takes a boolean, not %s"), key, g_variant_get_type_string (value));
      return FALSE;
    }
  *want = g_variant_get_boolean (value) ? WANT_YES : WANT_NO;
  return TRUE;
}

/* A count, given as any integer type: gsettings writes <50000> as int32. */
static gboolean
read_count (const char  *key,
            GVariant    *value,
            guint64     *count,
            GError     **error)
{
  gint64 number;

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
    *count = g_variant_get_uint64 (value);
  else
    {
      if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
        number = g_variant_get_uint32 (value);
      else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32))
        number = g_variant_get_int32 (value);
      else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
        number = g_variant_get_int64 (value);
      else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT16))
        number = g_variant_get_uint16 (value);
      else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT16))
        number = g_variant_get_int16 (value);
      else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BYTE))
        number = g_variant_get_byte (value);
      else
        number = -1;
      if (number < 1)
        {
          g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                       _("The match key “%s” takes a whole number above 0"), key);
          return FALSE;
        }
      *count = number;
    }
  if (*count == 0)
    {
      g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                   _("The match key “%s” takes a whole number above 0"), key);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_match (Route      *route,
            GVariant   *match,
            Needs      *needs,
            GError    **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, match);
  route->any_role = TRUE;
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr(GVariant) owned = value;

      if (g_str_equal (key, "role"))
        {
          const char *role = g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) ? g_variant_get_string (value, NULL) : "";

          if (g_str_equal (role, "main"))
            route->role = CC_PROXY_REQUEST_ROLE_MAIN;
          else if (g_str_equal (role, "subagent"))
            route->role = CC_PROXY_REQUEST_ROLE_SUBAGENT;
          else if (g_str_equal (role, "background"))
            route->role = CC_PROXY_REQUEST_ROLE_BACKGROUND;
          else
            {
              g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                           _("The role must be main, subagent or background"));
              return FALSE;
            }
          route->any_role = FALSE;
          *needs |= NEED_ROLE | NEED_MODEL;
        }
      else if (g_str_equal (key, "class"))
        {
          const char *name = g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) ? g_variant_get_string (value, NULL) : "";

          route->klass = CC_PROXY_REQUEST_CLASS_NONE;
          for (CcProxyRequestClass k = CC_PROXY_REQUEST_CLASS_USER; k <= CC_PROXY_REQUEST_CLASS_COMPACT; k++)
            if (g_str_equal (name, cc_proxy_request_class_to_string (k)))
              route->klass = k;
          if (route->klass == CC_PROXY_REQUEST_CLASS_NONE)
            {
              g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                           _("The class must be user, agent, subagent, background or compact"));
              return FALSE;
            }
          *needs |= NEED_MODEL;
        }
      else if (g_str_equal (key, "model"))
        {
          if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
            {
              g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                           _("The match key “model” takes a string, not %s"), g_variant_get_type_string (value));
              return FALSE;
            }
          if (!check_glob (_("The model glob"), g_variant_get_string (value, NULL), error))
            return FALSE;
          g_clear_pointer (&route->model, g_pattern_spec_free);
          route->model = g_pattern_spec_new (g_variant_get_string (value, NULL));
          *needs |= NEED_MODEL;
        }
      else if (g_str_equal (key, "thinking"))
        {
          if (!read_want (key, value, &route->thinking, error))
            return FALSE;
          *needs |= NEED_THINKING;
        }
      else if (g_str_equal (key, "images"))
        {
          if (!read_want (key, value, &route->images, error))
            return FALSE;
          *needs |= NEED_IMAGES;
        }
      else if (g_str_equal (key, "web-search"))
        {
          if (!read_want (key, value, &route->web_search, error))
            return FALSE;
          *needs |= NEED_WEB_SEARCH;
        }
      else if (g_str_equal (key, "min-tokens"))
        {
          if (!read_count (key, value, &route->min_tokens, error))
            return FALSE;
        }
      else
        {
          g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                       _("“%s” is not a match key; the keys are role, class, model, thinking, images, "
                         "web-search and min-tokens"), key);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
add_target (GArray              *targets,
            const char          *text,
            const char * const  *providers,
            GError             **error)
{
  CcProxyRouteTarget target = { NULL, NULL };
  g_autofree char *written = NULL;

  if (!cc_proxy_route_parse_target (text, &target, error))
    return FALSE;
  if (providers != NULL && !g_strv_contains (providers, target.provider))
    {
      g_autofree char *known = g_strjoinv (", ", (char **) providers);

      g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_UNKNOWN_PROVIDER,
                   _("No provider is called “%s” (the providers are %s)"), target.provider, known);
      target_clear (&target);
      return FALSE;
    }
  written = cc_proxy_route_target_to_string (&target);
  for (guint i = 0; i < targets->len; i++)
    {
      g_autofree char *other = cc_proxy_route_target_to_string (&g_array_index (targets, CcProxyRouteTarget, i));

      if (g_str_equal (other, written))
        {
          g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                       _("The target “%s” is listed twice"), written);
          target_clear (&target);
          return FALSE;
        }
    }
  if (targets->len >= CC_PROXY_ROUTE_MAX_TARGETS)
    {
      g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                   _("A route has at most %u targets, its fallbacks included"), CC_PROXY_ROUTE_MAX_TARGETS);
      target_clear (&target);
      return FALSE;
    }
  g_array_append_val (targets, target);
  return TRUE;
}

static Pool *
find_pool (CcProxyRouteTable *self,
           const char        *name)
{
  for (guint i = 0; self->pools != NULL && i < self->pools->len; i++)
    if (g_str_equal (((Pool *) g_ptr_array_index (self->pools, i))->name, name))
      return g_ptr_array_index (self->pools, i);
  return NULL;
}

/* Pools are checked before routes: their members name providers, and
 * routes may name them as they name providers. */
static gboolean
read_pools (CcProxyRouteTable   *self,
            GVariant            *pools,
            const char * const  *providers,
            GError             **error)
{
  GVariantIter iter;
  const char *name, *strategy;
  GVariantIter *members;

  if (!g_variant_is_of_type (pools, CC_PROXY_POOLS_TYPE))
    {
      g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                   _("Pools are of type %s, not %s"), CC_PROXY_POOLS_TYPE_STRING, g_variant_get_type_string (pools));
      return FALSE;
    }
  if (g_variant_n_children (pools) > CC_PROXY_POOLS_MAX)
    {
      g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                   _("There may be at most %u pools"), CC_PROXY_POOLS_MAX);
      return FALSE;
    }
  g_variant_iter_init (&iter, pools);
  while (g_variant_iter_next (&iter, "(&s&sas)", &name, &strategy, &members))
    {
      g_autoptr(GVariantIter) owned = members;
      g_autoptr(GError) local = NULL;
      Pool *pool = g_new0 (Pool, 1);
      const char *member;
      gboolean ok = TRUE, known = FALSE;

      pool->members = g_array_new (FALSE, TRUE, sizeof (CcProxyRouteTarget));
      g_array_set_clear_func (pool->members, target_clear);
      if (!name_is_valid (name) || find_pool (self, name) != NULL ||
          (providers != NULL && g_strv_contains (providers, name)))
        {
          g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                       _("“%s” cannot name a pool: a pool's name is 1 to %u letters, digits, “-”, “_” or “.”, "
                         "and no other pool's or provider's"), name, NAME_MAX_LEN);
          pool_free (pool);
          return FALSE;
        }
      pool->name = g_strdup (name);
      g_ptr_array_add (self->pools, pool);
      for (guint i = 0; i < G_N_ELEMENTS (strategy_names); i++)
        if (g_str_equal (strategy, strategy_names[i]))
          {
            pool->strategy = (CcProxyPoolStrategy) i;
            known = TRUE;
          }
      if (!known)
        {
          g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                       _("Pool “%s”: no strategy “%s” (ordered, round-robin or least-used)"), name, strategy);
          return FALSE;
        }
      while (ok && g_variant_iter_next (members, "&s", &member))
        {
          if (pool->members->len >= CC_PROXY_ROUTE_MAX_TARGETS)
            {
              g_set_error (&local, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                           _("a pool has at most %u members"), CC_PROXY_ROUTE_MAX_TARGETS);
              ok = FALSE;
            }
          else
            ok = add_target (pool->members, member, providers, &local);
        }
      if (ok && pool->members->len == 0)
        {
          ok = FALSE;
          g_set_error_literal (&local, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID, _("it has no members"));
        }
      if (!ok)
        {
          g_set_error (error, local->domain, local->code, _("Pool “%s”: %s"), name, local->message);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * cc_proxy_route_table_new:
 * @routes: a value of type %CC_PROXY_ROUTES_TYPE
 * @background_model: (nullable): the glob of the small-fast model's
 *   names, for the background role
 * @providers: (nullable): the provider ids a target may name; %NULL
 *   takes any
 * @error: why @routes is refused, naming the route and what is wrong
 *
 * Checks the whole table; a table is used whole or not at all.
 *
 * Returns: (transfer full) (nullable): the table
 */
CcProxyRouteTable *
cc_proxy_route_table_new (GVariant            *routes,
                          const char          *background_model,
                          const char * const  *providers,
                          GError             **error)
{
  return cc_proxy_route_table_new_with_pools (routes, NULL, background_model, providers, error);
}

/**
 * cc_proxy_route_table_new_with_pools:
 * @pools: (nullable): a value of type %CC_PROXY_POOLS_TYPE: targets
 *   that routes may name together, by the pool's name
 *
 * Like cc_proxy_route_table_new(), with pools checked as part of the
 * table.
 *
 * Returns: (transfer full) (nullable): the table
 */
CcProxyRouteTable *
cc_proxy_route_table_new_with_pools (GVariant            *routes,
                                     GVariant            *pools,
                                     const char          *background_model,
                                     const char * const  *providers,
                                     GError             **error)
{
  g_autoptr(CcProxyRouteTable) self = g_new0 (CcProxyRouteTable, 1);
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  g_auto(GStrv) with_pools = NULL;
  const char * const *known = providers;
  GVariantIter iter;
  const char *name;
  const char *target;
  GVariant *match;
  GVariantIter *fallbacks;

  g_return_val_if_fail (routes != NULL, NULL);

  g_atomic_ref_count_init (&self->ref_count);
  self->variant = g_variant_ref_sink (routes);
  self->routes = g_ptr_array_new_with_free_func (route_free);
  self->pools = g_ptr_array_new_with_free_func (pool_free);
  self->pools_variant = g_variant_ref_sink (pools ? pools : g_variant_new_array (G_VARIANT_TYPE ("(ssas)"), NULL, 0));
  if (!read_pools (self, self->pools_variant, providers, error))
    return NULL;
  if (providers != NULL && self->pools->len > 0)
    {
      g_strv_builder_addv (names, (const char **) providers);
      for (guint i = 0; i < self->pools->len; i++)
        g_strv_builder_add (names, ((Pool *) g_ptr_array_index (self->pools, i))->name);
      with_pools = g_strv_builder_end (names);
      known = (const char * const *) with_pools;
    }
  if (background_model != NULL && background_model[0] != '\0')
    self->background = g_pattern_spec_new (background_model);

  if (!g_variant_is_of_type (routes, CC_PROXY_ROUTES_TYPE))
    {
      g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                   _("Routes are of type %s, not %s"), CC_PROXY_ROUTES_TYPE_STRING, g_variant_get_type_string (routes));
      return NULL;
    }
  if (g_variant_n_children (routes) > CC_PROXY_ROUTES_MAX)
    {
      g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                   _("There may be at most %u routes"), CC_PROXY_ROUTES_MAX);
      return NULL;
    }

  g_variant_iter_init (&iter, routes);
  while (g_variant_iter_next (&iter, "(&s@a{sv}&sas)", &name, &match, &target, &fallbacks))
    {
      g_autoptr(GVariant) owned_match = match;
      g_autoptr(GVariantIter) owned_fallbacks = fallbacks;
      g_autoptr(GError) local = NULL;
      Route *route = g_new0 (Route, 1);
      const char *fallback;
      gboolean ok;

      route->targets = g_array_new (FALSE, TRUE, sizeof (CcProxyRouteTarget));
      g_array_set_clear_func (route->targets, target_clear);
      g_ptr_array_add (self->routes, route);
      if (!name_is_valid (name))
        {
          g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                       _("“%s” is not a route name: use 1 to %u letters, digits, “-”, “_” or “.”"),
                       name, NAME_MAX_LEN);
          return NULL;
        }
      for (guint i = 0; i + 1 < self->routes->len; i++)
        if (g_str_equal (((Route *) g_ptr_array_index (self->routes, i))->name, name))
          {
            g_set_error (error, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_EXISTS,
                         _("Two routes are called “%s”"), name);
            return NULL;
          }
      route->name = g_strdup (name);

      ok = read_match (route, match, &self->needs, &local) &&
           add_target (route->targets, target, known, &local);
      while (ok && g_variant_iter_next (fallbacks, "&s", &fallback))
        ok = add_target (route->targets, fallback, known, &local);
      for (guint i = 0; ok && i < route->targets->len; i++)
        {
          CcProxyRouteTarget *chosen = &g_array_index (route->targets, CcProxyRouteTarget, i);

          if (chosen->model != NULL && find_pool (self, chosen->provider) != NULL)
            {
              ok = FALSE;
              g_set_error (&local, CC_PROXY_ROUTE_ERROR, CC_PROXY_ROUTE_ERROR_INVALID,
                           _("“%s” is a pool: its members say which model, not the route"), chosen->provider);
            }
        }
      if (!ok)
        {
          g_set_error (error, local->domain, local->code, _("Route “%s”: %s"), name, local->message);
          return NULL;
        }
    }
  return g_steal_pointer (&self);
}

/**
 * cc_proxy_route_table_get_variant:
 *
 * Returns: (transfer none): the table as it is stored
 */
GVariant *
cc_proxy_route_table_get_variant (CcProxyRouteTable *self)
{
  return self->variant;
}

/**
 * cc_proxy_route_table_get_pools:
 *
 * Returns: (transfer none): the pools as they are stored
 */
GVariant *
cc_proxy_route_table_get_pools (CcProxyRouteTable *self)
{
  return self->pools_variant;
}

/**
 * cc_proxy_route_table_lookup_pool:
 * @strategy: (out) (optional): the pool's
 *
 * Returns: (transfer none) (nullable) (element-type CcProxyRouteTarget):
 *   the members of the pool @name, or %NULL when @name is no pool
 */
GArray *
cc_proxy_route_table_lookup_pool (CcProxyRouteTable   *self,
                                  const char          *name,
                                  CcProxyPoolStrategy *strategy)
{
  Pool *pool = find_pool (self, name);

  if (pool == NULL)
    return NULL;
  if (strategy != NULL)
    *strategy = pool->strategy;
  return pool->members;
}

guint
cc_proxy_route_table_get_n_routes (CcProxyRouteTable *self)
{
  return self->routes->len;
}

const char *
cc_proxy_route_table_get_name (CcProxyRouteTable *self,
                               guint              index)
{
  g_return_val_if_fail (index < self->routes->len, NULL);
  return ((Route *) g_ptr_array_index (self->routes, index))->name;
}

/* The target, then the fallbacks. */
guint
cc_proxy_route_table_get_n_targets (CcProxyRouteTable *self,
                                    guint              index)
{
  g_return_val_if_fail (index < self->routes->len, 0);
  return ((Route *) g_ptr_array_index (self->routes, index))->targets->len;
}

const CcProxyRouteTarget *
cc_proxy_route_table_get_target (CcProxyRouteTable *self,
                                 guint              index,
                                 guint              nth)
{
  Route *route;

  g_return_val_if_fail (index < self->routes->len, NULL);
  route = g_ptr_array_index (self->routes, index);
  g_return_val_if_fail (nth < route->targets->len, NULL);
  return &g_array_index (route->targets, CcProxyRouteTarget, nth);
}

/* ----- what a request is ----- */

/* Calls @func for each string value of a "type" member anywhere in the
 * JSON value at @p (an array or object), until it returns TRUE. A
 * lexical walk: no tree, no allocation; strings are skipped by their
 * quotes, so brackets inside them do not count. */
static gboolean
find_type_value (const char *p,
                 const char *end,
                 gboolean  (*func) (const char *value, gsize len))
{
  guint depth = 0;
  gboolean after_type_key = FALSE;

  while (p < end)
    {
      char c = *p++;

      if (c == '"')
        {
          const char *start = p;
          const char *quote = cc_proxy_body_scan_string_end (p, end);

          if (quote == NULL)
            return FALSE;
          p = cc_proxy_json_skip_space (quote + 1, end);
          if (p < end && *p == ':')
            after_type_key = quote - start == 4 && memcmp (start, "type", 4) == 0;
          else
            {
              if (after_type_key && func (start, quote - start))
                return TRUE;
              after_type_key = FALSE;
            }
        }
      else if (c == '{' || c == '[')
        depth++;
      else if (c == '}' || c == ']')
        {
          if (depth <= 1)
            return FALSE;
          depth--;
        }
      else if (c == ',')
        after_type_key = FALSE;
    }
  return FALSE;
}

static gboolean
is_image (const char *value,
          gsize       len)
{
  return len == 5 && memcmp (value, "image", 5) == 0;
}

static gboolean
is_web_search (const char *value,
               gsize       len)
{
  return len >= 10 && memcmp (value, "web_search", 10) == 0;
}

static gboolean
is_not_disabled (const char *value,
                 gsize       len)
{
  return !(len == 8 && memcmp (value, "disabled", 8) == 0);
}

/* The span of the last element of the JSON array at @p, by a lexical
 * walk; FALSE when there is none or the text ends first. */
static gboolean
last_element (const char  *p,
              const char  *end,
              const char **first,
              const char **last)
{
  guint depth = 0;
  const char *start = NULL;

  *first = *last = NULL;
  while (p < end)
    {
      char c = *p++;

      switch (c)
        {
        case '"':
          if (depth == 1 && start == NULL)
            start = p - 1;
          if ((p = cc_proxy_body_scan_string_end (p, end)) == NULL)
            return FALSE;
          p++;
          break;
        case '[':
        case '{':
          if (depth == 1 && start == NULL)
            start = p - 1;
          depth++;
          break;
        case ']':
        case '}':
          if (depth == 1)
            {
              if (start != NULL)
                {
                  *first = start;
                  *last = p - 1;
                }
              return *first != NULL;
            }
          if (depth == 0)
            return FALSE;
          depth--;
          break;
        case ',':
          if (depth == 1)
            {
              if (start != NULL)
                {
                  *first = start;
                  *last = p - 1;
                }
              start = NULL;
            }
          break;
        default:
          if (depth == 1 && start == NULL && !g_ascii_isspace (c))
            start = p - 1;
          break;
        }
    }
  return FALSE;
}

static gboolean
is_tool_result (const char *value,
                gsize       len)
{
  return len == 11 && memcmp (value, "tool_result", 11) == 0;
}

static gboolean
is_typed_input (const char *value,
                gsize       len)
{
  return (len == 4 && memcmp (value, "text", 4) == 0) || is_image (value, len);
}

/* Claude Code's compaction request asks, in its last message, for "a
 * detailed summary of the conversation so far" (or "of this
 * conversation"): checked against 2.1.197. */
static const char compact_phrase[] = "Your task is to create a detailed summary of";

/* Who a request with @messages is for, from its last message: the user
 * typed text (or attached an image), or the agent goes on (tool
 * results, an assistant prefill), or Claude Code compacts. */
static CcProxyRequestClass
classify_messages (const char *messages,
                   const char *end)
{
  const char *first, *last;
  const char *content;
  g_autofree char *role = NULL;
  gsize len;

  if (messages == NULL || *messages != '[' || !last_element (messages, end, &first, &last) || *first != '{')
    return CC_PROXY_REQUEST_CLASS_AGENT;
  len = last - first;
  if (g_strstr_len (first, len, compact_phrase) != NULL)
    return CC_PROXY_REQUEST_CLASS_COMPACT;
  role = cc_proxy_body_scan_string (first, len, "role");
  if (g_strcmp0 (role, "user") != 0)
    return CC_PROXY_REQUEST_CLASS_AGENT;
  content = cc_proxy_body_scan_value (first, len, "content");
  if (content != NULL && *content == '"')
    return content + 1 < last && content[1] != '"' ? CC_PROXY_REQUEST_CLASS_USER : CC_PROXY_REQUEST_CLASS_AGENT;
  if (content == NULL || *content != '[' || find_type_value (content, last, is_tool_result))
    return CC_PROXY_REQUEST_CLASS_AGENT;
  return find_type_value (content, last, is_typed_input) ? CC_PROXY_REQUEST_CLASS_USER : CC_PROXY_REQUEST_CLASS_AGENT;
}

/* Anthropic counts about four bytes of English text a token; the JSON
 * around the text makes this an over-estimate, which is the safe side
 * for a "long context" route. */
#define BYTES_PER_TOKEN 4

/**
 * cc_proxy_route_table_scan:
 * @self: a table: only what its routes match on is looked for
 * @body: (array length=len) (nullable): the request body
 * @len: its length
 * @headers: (nullable): the request headers
 * @traits: (out caller-allocates): what the request is; clear it with
 *   cc_proxy_request_traits_clear()
 *
 * The request's class is always found; the traits only routes read
 * when a route of the table does.
 */
void
cc_proxy_route_table_scan (CcProxyRouteTable    *self,
                           const char           *body,
                           gsize                 len,
                           SoupMessageHeaders   *headers,
                           CcProxyRequestTraits *traits)
{
  static const char * const members[] = { "model", "thinking", "messages", "tools", NULL };
  const char *values[G_N_ELEMENTS (members)];
  const char *end = body + len;
  const char *agent = headers ? soup_message_headers_get_one (headers, "x-claude-code-agent-id") : NULL;

  memset (traits, 0, sizeof *traits);
  traits->tokens = (len + BYTES_PER_TOKEN - 1) / BYTES_PER_TOKEN;
  if (body == NULL)
    goto role;

  cc_proxy_body_scan_values (body, len, members, values);
  if (values[0] != NULL)
    traits->model = cc_proxy_body_scan_string_at (values[0], end);
  if ((self->needs & NEED_THINKING) && values[1] != NULL && *values[1] == '{')
    traits->thinking = find_type_value (values[1], end, is_not_disabled);
  if ((self->needs & NEED_IMAGES) && values[2] != NULL && *values[2] == '[')
    traits->images = find_type_value (values[2], end, is_image);
  if ((self->needs & NEED_WEB_SEARCH) && values[3] != NULL && *values[3] == '[')
    traits->web_search = find_type_value (values[3], end, is_web_search);

role:
  if (agent != NULL && agent[0] != '\0')
    traits->role = CC_PROXY_REQUEST_ROLE_SUBAGENT;
  else if (self->background != NULL && traits->model != NULL &&
           g_pattern_spec_match_string (self->background, traits->model))
    traits->role = CC_PROXY_REQUEST_ROLE_BACKGROUND;
  else
    traits->role = CC_PROXY_REQUEST_ROLE_MAIN;

  if (body == NULL)
    traits->klass = CC_PROXY_REQUEST_CLASS_NONE;
  else if (traits->role == CC_PROXY_REQUEST_ROLE_SUBAGENT)
    traits->klass = CC_PROXY_REQUEST_CLASS_SUBAGENT;
  else if (traits->role == CC_PROXY_REQUEST_ROLE_BACKGROUND)
    traits->klass = CC_PROXY_REQUEST_CLASS_BACKGROUND;
  else
    traits->klass = classify_messages (values[2], end);
}

static gboolean
want_matches (Want     want,
              gboolean value)
{
  return want == WANT_ANY || (want == WANT_YES) == !!value;
}

/**
 * cc_proxy_route_table_match:
 *
 * Returns: the index of the first route that matches @traits, or -1
 */
int
cc_proxy_route_table_match (CcProxyRouteTable          *self,
                            const CcProxyRequestTraits *traits)
{
  for (guint i = 0; i < self->routes->len; i++)
    {
      Route *route = g_ptr_array_index (self->routes, i);

      if (!route->any_role && route->role != traits->role)
        continue;
      if (route->klass != CC_PROXY_REQUEST_CLASS_NONE && route->klass != traits->klass)
        continue;
      if (route->model != NULL && (traits->model == NULL || !g_pattern_spec_match_string (route->model, traits->model)))
        continue;
      if (!want_matches (route->thinking, traits->thinking) ||
          !want_matches (route->images, traits->images) ||
          !want_matches (route->web_search, traits->web_search))
        continue;
      if (route->min_tokens > 0 && traits->tokens < route->min_tokens)
        continue;
      return i;
    }
  return -1;
}
