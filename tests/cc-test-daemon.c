/* cc-test-daemon.c: the real cc-proxyd, started and stopped by tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <string.h>

#include "cc-test-daemon.h"
#include "cc-test-util.h"

static void read_log_line (Daemon           *daemon,
                           GDataInputStream *stream);

static void
on_log_line (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Daemon *daemon = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, NULL);

  if (line == NULL)
    return;
  g_string_append_printf (daemon->err_text, "%s\n", line);
  read_log_line (daemon, G_DATA_INPUT_STREAM (source));
}

/* Into err_text, from stderr and, after the address line, stdout,
 * where GLib writes debug messages. */
static void
read_log_line (Daemon           *daemon,
               GDataInputStream *stream)
{
  g_data_input_stream_read_line_async (stream, G_PRIORITY_DEFAULT, NULL, on_log_line, daemon);
}

typedef struct
{
  char     *line;
  gboolean  done;
} LineWait;

static void
on_out_line (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  LineWait *wait = user_data;

  wait->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, NULL);
  wait->done = TRUE;
}

/* A test that aborts must not leave its daemon behind, holding the
 * test's output pipes open. */
static void
die_with_parent (gpointer user_data)
{
  guint fd_limit = GPOINTER_TO_UINT (user_data);

  prctl (PR_SET_PDEATHSIG, SIGTERM);
  if (fd_limit > 0)
    {
      struct rlimit limit = { fd_limit, fd_limit };

      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

Daemon *
daemon_start (const char * const *extra_env,
              const char         *upstream_url)
{
  return daemon_start_with_fd_limit (extra_env, upstream_url, 0);
}

/* The same, with RLIMIT_NOFILE (soft and hard) at @fd_limit, as under a
 * unit's LimitNOFILE; 0 leaves it as the test's. */
Daemon *
daemon_start_with_fd_limit (const char * const *extra_env,
                            const char         *upstream_url,
                            guint               fd_limit)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GError) error = NULL;
  Daemon *daemon = g_new0 (Daemon, 1);
  LineWait wait = { NULL, FALSE };
  const char *prefix = "cc-proxyd listening on ";

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, GUINT_TO_POINTER (fd_limit), NULL);
  g_subprocess_launcher_setenv (launcher, "CC_PROXY_PROVIDER_DIR", cc_test_module_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "ANTHROPIC_UPSTREAM_URL", upstream_url, TRUE);
  /* The daemon must survive broken plugins even with fatal warnings. */
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "fatal-warnings", TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  /* Captures of its own, never the developer's. */
  daemon->state_dir = g_dir_make_tmp ("cc-proxy-state-XXXXXX", &error);
  g_assert_no_error (error);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", daemon->state_dir, TRUE);
  for (guint i = 0; extra_env != NULL && extra_env[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, extra_env[i], extra_env[i + 1], TRUE);

  daemon->process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("CC_PROXYD"),
                                                 "--listen", "127.0.0.1:0", "--log-traffic", NULL);
  g_assert_no_error (error);
  daemon->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (daemon->process));
  daemon->err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (daemon->process));
  daemon->err_text = g_string_new (NULL);
  read_log_line (daemon, daemon->err);

  g_data_input_stream_read_line_async (daemon->out, G_PRIORITY_DEFAULT, NULL, on_out_line, &wait);
  {
    gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;

    while (!wait.done)
      {
        if (g_get_monotonic_time () > deadline)
          g_error ("cc-proxyd printed no address within 15 s; its stderr:\n%s", daemon->err_text->str);
        cc_test_drain (10);
      }
  }
  g_assert_nonnull (wait.line);
  g_assert_true (g_str_has_prefix (wait.line, prefix));
  daemon->url = g_strndup (wait.line + strlen (prefix), strcspn (wait.line + strlen (prefix), " "));
  g_test_message ("daemon: %s", wait.line);
  daemon->first_line = wait.line;
  read_log_line (daemon, daemon->out);
  return daemon;
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Daemon *daemon = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  daemon->exited = TRUE;
}

/* SIGTERM, as systemd stops it: the daemon must exit cleanly. What it
 * left behind stays readable until daemon_free(). */
void
daemon_halt (Daemon *daemon)
{
  g_subprocess_send_signal (daemon->process, SIGTERM);
  g_subprocess_wait_async (daemon->process, NULL, on_exited, daemon);
  {
    gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;

    while (!daemon->exited)
      {
        if (g_get_monotonic_time () > deadline)
          g_error ("cc-proxyd did not exit within 15 s of SIGTERM (pid %s); its stderr:\n%s",
                   g_subprocess_get_identifier (daemon->process), daemon->err_text->str);
        cc_test_drain (10);
      }
  }
  /* Let the last lines (a sanitizer report, say) arrive before judging. */
  cc_test_drain (100);
  if (!g_subprocess_get_if_exited (daemon->process) || g_subprocess_get_exit_status (daemon->process) != 0)
    g_test_message ("cc-proxyd stderr:\n%s", daemon->err_text->str);
  g_assert_true (g_subprocess_get_if_exited (daemon->process));
  g_assert_cmpint (g_subprocess_get_exit_status (daemon->process), ==, 0);
}

void
daemon_free (Daemon *daemon)
{
  g_object_unref (daemon->out);
  g_object_unref (daemon->err);
  g_object_unref (daemon->process);
  g_string_free (daemon->err_text, TRUE);
  cc_test_remove_tree (daemon->state_dir);
  g_free (daemon->state_dir);
  g_free (daemon->url);
  g_free (daemon->first_line);
  g_free (daemon);
}

typedef struct
{
  Daemon     *daemon;
  const char *needle;
} ErrWait;

static gboolean
err_contains (gpointer user_data)
{
  ErrWait *wait = user_data;

  return strstr (wait->daemon->err_text->str, wait->needle) != NULL;
}

void
wait_for_log (Daemon     *daemon,
              const char *needle)
{
  ErrWait wait = { daemon, needle };

  cc_test_wait_for (err_contains, &wait);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

void
daemon_stop (Daemon *daemon)
{
  daemon_halt (daemon);
  daemon_free (daemon);
}

/* Every capture file's text, oldest first ("" when there is none). */
char *
daemon_read_captures (Daemon *daemon)
{
  g_autofree char *dir_path = g_build_filename (daemon->state_dir, "cc-proxy", "captures", NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GString *all = g_string_new (NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir_path, g_ptr_array_index (names, i), NULL);
      g_autofree char *text = NULL;

      if (g_file_get_contents (path, &text, NULL, NULL))
        g_string_append (all, text);
    }
  return g_string_free (all, FALSE);
}
