/* cc-proxy-signature-scan.h: the thinking signatures in a body or stream
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Called with the hash of each signature found. */
typedef void (*CcProxySignatureFunc) (guint64  hash,
                                      gpointer user_data);

typedef struct _CcProxySignatureScan CcProxySignatureScan;

CcProxySignatureScan *cc_proxy_signature_scan_new  (CcProxySignatureFunc  func,
                                                    gpointer              user_data,
                                                    GDestroyNotify        destroy);
void                  cc_proxy_signature_scan_feed (CcProxySignatureScan *self,
                                                    const char           *data,
                                                    gsize                 len);
void                  cc_proxy_signature_scan_free (CcProxySignatureScan *self);

guint64               cc_proxy_signature_hash      (const char           *value,
                                                    gssize                len);
void                  cc_proxy_signatures_in       (const char           *data,
                                                    gsize                 len,
                                                    CcProxySignatureFunc  func,
                                                    gpointer              user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcProxySignatureScan, cc_proxy_signature_scan_free)

G_END_DECLS
