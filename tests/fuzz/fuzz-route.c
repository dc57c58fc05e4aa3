/* fuzz-route.c: the route matcher over the body scan, the model a
 * target writes into a body, the thinking signatures a stream holds,
 * and the pools a stored value holds
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include <cc-proxy/cc-proxy.h>

#include "cc-proxy-body-scan.h"
#include "cc-proxy-route-table.h"
#include "cc-proxy-signature-scan.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* A table that asks for every trait, so that every scan runs. */
static CcProxyRouteTable *
make_table (void)
{
  static const char * const providers[] = { "anthropic", "openai", NULL };
  g_autoptr(GVariant) routes = g_variant_parse (CC_PROXY_ROUTES_TYPE,
    "[('sub', {'role': <'subagent'>}, 'openai', @as []),"
    " ('bg', {'role': <'background'>}, 'openai:small', @as []),"
    " ('think', {'thinking': <true>, 'images': <false>}, 'anthropic', @as []),"
    " ('pics', {'images': <true>}, 'openai', ['anthropic']),"
    " ('search', {'web-search': <true>}, 'anthropic', @as []),"
    " ('long', {'min-tokens': <1000>, 'model': <'claude-*-4?'>}, 'anthropic', @as []),"
    " ('compact', {'class': <'compact'>}, 'openai:small', @as [])]",
    NULL, NULL, NULL);

  return cc_proxy_route_table_new (routes, "*haiku*", providers, NULL);
}

static void
collect_hash (guint64  hash,
              gpointer user_data)
{
  g_array_append_val ((GArray *) user_data, hash);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static CcProxyRouteTable *table;
  g_auto(CcProxyRequestTraits) traits = { 0, };
  g_autoptr(GBytes) body = g_bytes_new (data, size);
  g_autoptr(GBytes) changed = NULL;
  int index;

  if (table == NULL)
    table = make_table ();
  g_assert_nonnull (table);

  cc_proxy_route_table_scan (table, (const char *) data, size, NULL, &traits);
  index = cc_proxy_route_table_match (table, &traits);
  g_assert_true (index >= -1 && index < (int) cc_proxy_route_table_get_n_routes (table));
  if (traits.model != NULL)
    g_assert_true (g_utf8_validate (traits.model, -1, NULL));
  g_assert_cmpuint (traits.tokens, ==, (size + 3) / 4);

  /* The new model is read back where the old one was. */
  changed = cc_proxy_body_replace_string (body, "model", "m\"\n");
  if (changed != NULL)
    {
      g_autofree char *model = cc_proxy_body_scan_string (g_bytes_get_data (changed, NULL),
                                                          g_bytes_get_size (changed), "model");

      g_assert_cmpstr (model, ==, "m\"\n");
    }

  /* The signatures of a body are those of the body split in two. */
  {
    g_autoptr(GArray) whole = g_array_new (FALSE, FALSE, sizeof (guint64));
    g_autoptr(GArray) split = g_array_new (FALSE, FALSE, sizeof (guint64));
    g_autoptr(CcProxySignatureScan) scan = cc_proxy_signature_scan_new (collect_hash, split, NULL);
    gsize half = size / 2;

    cc_proxy_signatures_in ((const char *) data, size, collect_hash, whole);
    cc_proxy_signature_scan_feed (scan, (const char *) data, half);
    cc_proxy_signature_scan_feed (scan, (const char *) data + half, size - half);
    g_assert_cmpuint (whole->len, ==, split->len);
    g_assert_true (whole->len == 0 || memcmp (whole->data, split->data, whole->len * sizeof (guint64)) == 0);
  }

  /* The input as a stored `pools` value: taken whole and within its
   * bounds, or refused, with routes that name what it holds. */
  {
    static const char * const providers[] = { "anthropic", "openai", NULL };
    g_autofree char *text = g_strndup ((const char *) data, size);
    /* GLib 2.74's parser makes string values of what escapes spell
     * ('\xff') without checking that it is UTF-8, with a critical: not
     * ours to find. A stored value is valid UTF-8 already. */
    g_autoptr(GVariant) pools = g_utf8_validate (text, -1, NULL) && strchr (text, '\\') == NULL
                                  ? g_variant_parse (CC_PROXY_POOLS_TYPE, text, NULL, NULL, NULL) : NULL;
    g_autoptr(GVariant) routes = g_variant_parse (CC_PROXY_ROUTES_TYPE, "[('all', @a{sv} {}, 'p', ['openai'])]",
                                                  NULL, NULL, NULL);
    g_autoptr(CcProxyRouteTable) pooled = NULL;

    if (pools != NULL)
      pooled = cc_proxy_route_table_new_with_pools (routes, pools, NULL, providers, NULL);
    if (pooled != NULL)
      {
        GArray *members = cc_proxy_route_table_lookup_pool (pooled, "p", NULL);

        g_assert_nonnull (members);
        g_assert_cmpuint (members->len, >=, 1);
        g_assert_cmpuint (members->len, <=, CC_PROXY_ROUTE_MAX_TARGETS);
        g_assert_cmpuint (g_variant_n_children (pools), <=, CC_PROXY_POOLS_MAX);
      }
  }
  return 0;
}
