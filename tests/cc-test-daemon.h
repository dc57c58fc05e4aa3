/* cc-test-daemon.h: the real cc-proxyd, started and stopped by tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  GSubprocess      *process;
  GDataInputStream *out;
  GDataInputStream *err;
  GString          *err_text;    /* what it logged: stderr, then stdout too */
  char             *url;         /* where it listens */
  char             *first_line;  /* what it printed first */
  char             *state_dir;   /* its XDG_STATE_HOME: captures go below */
  gboolean          exited;
} Daemon;

Daemon *daemon_start (const char * const *extra_env,
                      const char         *upstream_url);
Daemon *daemon_start_with_fd_limit (const char * const *extra_env,
                                    const char         *upstream_url,
                                    guint               fd_limit);
void    daemon_stop  (Daemon             *daemon);
void    daemon_halt  (Daemon             *daemon);
void    daemon_free  (Daemon             *daemon);
void    wait_for_log (Daemon             *daemon,
                      const char         *needle);
char   *daemon_read_captures (Daemon     *daemon);

G_END_DECLS
