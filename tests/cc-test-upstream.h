/* cc-test-upstream.h: a loopback HTTP upstream for tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct
{
  char               *method;
  char               *path;
  char               *query;
  SoupMessageHeaders *headers;
  GBytes             *body;
} CcTestRecordedRequest;

#define CC_TEST_TYPE_UPSTREAM (cc_test_upstream_get_type ())
G_DECLARE_FINAL_TYPE (CcTestUpstream, cc_test_upstream, CC_TEST, UPSTREAM, GObject)

CcTestUpstream        *cc_test_upstream_new            (void);
const char            *cc_test_upstream_get_url        (CcTestUpstream      *self);
guint                  cc_test_upstream_get_n_requests (CcTestUpstream      *self);
CcTestRecordedRequest *cc_test_upstream_get_request    (CcTestUpstream      *self,
                                                        guint                index);
void                   cc_test_upstream_respond        (CcTestUpstream      *self,
                                                        const char          *path,
                                                        guint                status,
                                                        const char          *content_type,
                                                        const char          *body,
                                                        gssize               length);
void                   cc_test_upstream_add_header     (CcTestUpstream      *self,
                                                        const char          *path,
                                                        const char          *name,
                                                        const char          *value);
void                   cc_test_upstream_set_header     (CcTestUpstream      *self,
                                                        const char          *path,
                                                        const char          *name,
                                                        const char          *value);
void                   cc_test_upstream_stream         (CcTestUpstream      *self,
                                                        const char          *path,
                                                        const char * const  *chunks,
                                                        guint                hold_after,
                                                        gboolean             cut);
void                   cc_test_upstream_cut_between_chunks (CcTestUpstream *self,
                                                            const char     *path);
void                   cc_test_upstream_release        (CcTestUpstream      *self);
guint                  cc_test_upstream_get_n_held     (CcTestUpstream      *self);
guint                  cc_test_upstream_get_n_aborted  (CcTestUpstream      *self);
guint                  cc_test_upstream_get_n_connections (CcTestUpstream   *self);
gsize                  cc_test_upstream_get_n_received (CcTestUpstream      *self);
void                   cc_test_upstream_respond_once   (CcTestUpstream      *self,
                                                        const char          *path,
                                                        guint                status,
                                                        const char          *content_type,
                                                        const char          *body);
CcTestRecordedRequest *cc_test_upstream_find_request   (CcTestUpstream      *self,
                                                        const char          *path,
                                                        guint                nth);
guint                  cc_test_upstream_count_requests (CcTestUpstream      *self,
                                                        const char          *path);
void                   cc_test_upstream_forget_requests (CcTestUpstream   *self);
void                   cc_test_upstream_clear_requests  (CcTestUpstream   *self);
guint                  cc_test_upstream_get_n_clients   (CcTestUpstream   *self);
void                   cc_test_upstream_mock_copilot_exchange (CcTestUpstream *self,
                                                               guint           status);
void                   cc_test_upstream_mock_github_login     (CcTestUpstream *self,
                                                               const char     *access_token);

G_END_DECLS
