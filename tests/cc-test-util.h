/* cc-test-util.h: helpers shared by the test suites
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

char        *cc_test_fixture_path     (const char   *name);
GBytes      *cc_test_load_fixture     (const char   *name);
char        *cc_test_load_fixture_text (const char  *name);
const char  *cc_test_module_dir       (void);
GBytes      *cc_test_send             (SoupSession  *session,
                                       SoupMessage  *message,
                                       GError      **error);
GInputStream *cc_test_send_stream     (SoupSession  *session,
                                       SoupMessage  *message);
gsize        cc_test_read_some        (GInputStream *stream,
                                       GString      *into);
void         cc_test_read_to_end      (GInputStream *stream,
                                       GString      *into);
void         cc_test_wait_for_at      (const char   *where,
                                       const char   *what,
                                       gboolean    (*done) (gpointer user_data),
                                       gpointer      user_data);
/* Runs the main context until @done (@user_data) says so; fails the
 * test after 20 s, naming the condition and the caller. */
#define cc_test_wait_for(done, user_data) cc_test_wait_for_at (G_STRLOC, #done, (done), (user_data))
void         cc_test_drain            (guint         ms);
char        *cc_test_load_expected_text (const char *name);
char        *cc_test_agent_body       (const char   *model,
                                       gboolean      stream);
char        *cc_test_request          (SoupSession  *session,
                                       const char   *method,
                                       const char   *url,
                                       const char   *body,
                                       guint        *status,
                                       SoupMessage **out);
char        *cc_test_post_json        (SoupSession  *session,
                                       const char   *url,
                                       const char   *body,
                                       guint        *status);
char        *cc_test_error_type       (GBytes       *body,
                                       char        **message);
void         cc_test_dbus_up          (GTestDBus    *bus);
GDBusConnection *cc_test_bus_connection (GTestDBus *bus);
GVariant    *cc_test_get_property     (GDBusConnection *connection,
                                       const char   *path,
                                       const char   *interface,
                                       const char   *property);

GSocketConnection *cc_test_connect     (const char   *url);
void         cc_test_send_raw         (GSocketConnection *connection,
                                       const char   *bytes);
char        *cc_test_read_answer      (GSocketConnection *connection);

guint        cc_test_process_count_fds        (const char *pid);
guint        cc_test_process_count_close_wait (const char *pid);
guint64      cc_test_process_read_status      (const char *pid,
                                               const char *field);
GStrv        cc_test_process_children         (const char *pid);
void         cc_test_remove_tree              (const char *dir);

/* What a cc-proxyctl run printed, and its exit status. */
typedef struct
{
  int   status;
  char *out;
  char *err;
} CcTestRan;

void         cc_test_ran_clear                (CcTestRan  *ran);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CcTestRan, cc_test_ran_clear)
CcTestRan    cc_test_ctl                      (const char *input,
                                               ...) G_GNUC_NULL_TERMINATED;
void         cc_test_keep_async_result        (GObject      *source,
                                               GAsyncResult *result,
                                               gpointer      user_data);
gboolean     cc_test_has_async_result         (gpointer      user_data);
gboolean     cc_test_name_has_owner           (GDBusConnection *connection,
                                               const char      *name);
void         cc_test_wait_for_name            (GDBusConnection *connection,
                                               const char      *name);
char        *cc_test_keyfile_config           (const char      *contents,
                                               char           **keyfile);
GSubprocess *cc_test_keyring_start            (GDBusConnection *connection,
                                               gboolean         unlock,
                                               char           **home);
void         cc_test_keyring_stop             (GSubprocess     *keyring,
                                               const char      *home);
void         cc_test_run_gsettings            (const char * const *env,
                                               const char         *first,
                                               ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
