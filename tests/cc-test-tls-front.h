/* cc-test-tls-front.h: nginx speaking HTTP/2 over TLS in front of a mock
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CcTestTlsFront CcTestTlsFront;

gboolean        cc_test_tls_front_available         (void);
void            cc_test_tls_front_trust             (void);
CcTestTlsFront *cc_test_tls_front_new               (const char     *backend_url);
const char     *cc_test_tls_front_get_url           (CcTestTlsFront *self);
guint           cc_test_tls_front_count_connections (CcTestTlsFront *self,
                                                     const char     *protocol,
                                                     guint          *requests);
void            cc_test_tls_front_free              (CcTestTlsFront *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcTestTlsFront, cc_test_tls_front_free)

G_END_DECLS
