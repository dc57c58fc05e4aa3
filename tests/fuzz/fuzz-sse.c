/* fuzz-sse.c: the SSE parser, fed the input in two pieces split at
 * every place the first byte chooses; both feeds must agree.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <cc-proxy/cc-proxy.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
collect (const char *event,
         const char *data,
         gpointer    user_data)
{
  g_string_append_printf (user_data, "[%s|%s]", event ? event : "-", data);
}

static char *
parse (const char *text,
       gsize       len,
       gsize       split)
{
  GString *events = g_string_new (NULL);
  g_autoptr(CcProxySseParser) parser = cc_proxy_sse_parser_new (collect, events);

  cc_proxy_sse_parser_feed (parser, text, split);
  cc_proxy_sse_parser_feed (parser, text + split, len - split);
  cc_proxy_sse_parser_finish (parser);
  return g_string_free (events, FALSE);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *whole = NULL;
  g_autofree char *split = NULL;

  if (size == 0)
    return 0;
  whole = parse ((const char *) data + 1, size - 1, size - 1);
  split = parse ((const char *) data + 1, size - 1, data[0] % size);
  g_assert_cmpstr (whole, ==, split);
  return 0;
}
