/* cc-proxy-route-text.c: a route's match in words, for the bus's clients
 *
 * cc-proxyctl route list and the window's Routes page show a route's
 * match the same way, from the Routes property alone: in the command
 * line's words ("role=background model=*haiku* no-images").
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cc-proxy-route-text.h"

/**
 * cc_proxy_route_match_text:
 * @match: a route's match, a{sv}
 *
 * Returns: (transfer full): the match in words, or "any request"
 */
char *
cc_proxy_route_match_text (GVariant *match)
{
  GString *text = g_string_new (NULL);
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, match);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr(GVariant) owned = value;

      if (text->len > 0)
        g_string_append_c (text, ' ');
      if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
        g_string_append_printf (text, "%s%s", g_variant_get_boolean (value) ? "" : "no-", key);
      else if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        g_string_append_printf (text, "%s=%s", key, g_variant_get_string (value, NULL));
      else
        {
          g_autofree char *number = g_variant_print (value, FALSE);

          g_string_append_printf (text, "%s=%s", key, number);
        }
    }
  if (text->len == 0)
    g_string_append (text, _("any request"));
  return g_string_free (text, FALSE);
}
