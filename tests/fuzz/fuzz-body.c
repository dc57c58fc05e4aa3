/* fuzz-body.c: the body scans: depth check, model scan, shape scan, the
 * validator the capture log trusts, and the bounded parse
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <cc-proxy/cc-proxy.h>

#include "cc-proxy-body-scan.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *model = cc_proxy_body_scan_string ((const char *) data, size, "model");
  g_autoptr(JsonNode) node = cc_proxy_json_parse ((const char *) data, size, NULL);

  /* What the scan returns is always text a capture line can hold. */
  if (model != NULL)
    g_assert_true (g_utf8_validate (model, -1, NULL));
  cc_proxy_body_scan_shape ((const char *) data, size);
  cc_proxy_body_scan_int ((const char *) data, size, "index", -1);
  {
    const char *delta = cc_proxy_body_scan_value ((const char *) data, size, "delta");

    if (delta != NULL)
      {
        g_autofree char *text = cc_proxy_body_scan_string (delta, size - (delta - (const char *) data), "text");

        g_assert_true (delta >= (const char *) data && delta < (const char *) data + size);
      }
  }
  /* A body the capture log writes as it is must be JSON a reader takes. */
  if (cc_proxy_json_validate ((const char *) data, size, CC_PROXY_JSON_MAX_DEPTH, NULL))
    g_assert_nonnull (node);
  return 0;
}
