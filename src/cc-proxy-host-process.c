/* cc-proxy-host-process.c: starts, watches and restarts a provider host
 *
 * A provider module runs in a process of its own (cc-proxy-provider-host),
 * so that a module that crashes or hangs costs its own requests and not
 * the service. This object owns that process: it spawns it with a socket
 * pair for control (peer-to-peer D-Bus, org.ccproxy.ProviderHost1) and
 * the listening socket its HTTP server accepts on. The listening socket
 * is ours and outlives each host: requests sent while a host restarts
 * wait in its backlog for the next one.
 *
 * A host that exits, or that does not answer the liveness ping in time,
 * is killed and started again after a delay that doubles with every
 * failure in a row; after MAX_FAILURES in a row it is left broken. A
 * module that fails to load cleanly (an error, not a crash) is broken
 * at once: starting it again would fail the same way.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-host"

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>
#include <glib/gi18n-lib.h>

#include "cc-proxy-host-process.h"
#include "cc-proxy-module-info.h"
#include "cc-proxy-relay.h"
#include "cc-proxy-server.h"

#define CONTROL_PATH "/org/ccproxy/ProviderHost"
/* Failures in a row before a module is left broken. */
#define MAX_FAILURES 5
/* The first restart waits this long; each further one twice as long. */
#define FIRST_BACKOFF_MS 100
/* A host that ran this long without failing starts a new count. */
#define STABLE_SECONDS 30
/* How long a host may take to load its module or answer a ping. */
#define DEFAULT_TIMEOUT_MS 5000

struct _CcProxyHostProcess
{
  GObject               parent_instance;

  char                 *program;
  char                 *module_path;
  char                 *provider_id; /* the daemon's: an instance's own name */
  char                 *kind;        /* the module's provider id */
  char                 *signature;   /* the descriptor file's, to check the module against */
  GSocket              *listener;
  SoupSession          *session;
  guint                 timeout_ms;

  CcProxyHostState      state;
  char                 *last_error;
  char                 *confinement;  /* as the running host told it */
  guint                 restarts;
  GStrv                 hidden_env;  /* not passed on to the host */
  guint                 failures;    /* in a row */
  gint64                running_since;
  CcProxySnapshot      *snapshot;    /* the latest, sent to every host we start */
  GVariant             *scoped;      /* what the host sees of it */
  GVariant             *provider_state;
  CcProxySnapshot      *state_snapshot;  /* what provider_state was computed with */
  guint64               latest_serial;    /* of snapshot */
  guint64               sent_serial;      /* the last sent to the current host, 0 for none yet */
  guint64               taken_serial;     /* the last it took */

  /* The current host, if any. */
  GSubprocess          *process;
  GCancellable         *cancellable;
  GDBusConnection      *connection;
  CcProxyProviderHost1 *control;
  GPtrArray            *waiters;     /* GTasks of cc_proxy_host_process_wait_async() */
  guint                 timeout_id;  /* load or ping answer overdue */
  guint                 ping_id;
  guint                 restart_id;
  gboolean              stopping;
};

enum {
  SIGNAL_STATE_CHANGED,
  SIGNAL_ATTENTION_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_QUARK (cc-proxy-host-process-error-quark, cc_proxy_host_process_error)

G_DEFINE_FINAL_TYPE (CcProxyHostProcess, cc_proxy_host_process, G_TYPE_OBJECT)

static void spawn (CcProxyHostProcess *self);

static void
clear_host (CcProxyHostProcess *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_handle_id (&self->ping_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->control != NULL)
    g_signal_handlers_disconnect_by_data (self->control, self);
  g_clear_object (&self->control);
  if (self->connection != NULL)
    g_dbus_connection_close (self->connection, NULL, NULL, NULL);
  g_clear_object (&self->connection);
  /* The next host starts from the latest settings. */
  self->sent_serial = self->taken_serial = 0;
}

/* The host and anything it started: it leads its own process group. */
static void
kill_host (CcProxyHostProcess *self)
{
  GPid pid = cc_proxy_host_process_get_pid (self);

  if (pid != 0)
    kill (-(pid_t) pid, SIGKILL);
}

static void
finish_wait (CcProxyHostProcess *self,
             GTask              *task)
{
  /* Cancelled while waiting: said now, as waits are short (a host
   * starts, or is killed, within the load timeout). */
  if (g_task_return_error_if_cancelled (task))
    return;
  if (self->state == CC_PROXY_HOST_STATE_RUNNING)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_new_error (task, CC_PROXY_HOST_PROCESS_ERROR, CC_PROXY_HOST_PROCESS_ERROR_BROKEN,
                             "%s", self->last_error ? self->last_error : _("its host process is broken"));
}

/* The host serves and has taken the latest settings. */
static gboolean
is_current (CcProxyHostProcess *self)
{
  return self->state == CC_PROXY_HOST_STATE_RUNNING && self->taken_serial == self->latest_serial;
}

static void
release_waiters (CcProxyHostProcess *self)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->waiters);

  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    finish_wait (self, g_ptr_array_index (waiters, i));
}

static void
set_state (CcProxyHostProcess *self,
           CcProxyHostState    state,
           const char         *error)
{
  self->state = state;
  if (error != NULL)
    {
      g_free (self->last_error);
      self->last_error = g_strdup (error);
    }
  if (state == CC_PROXY_HOST_STATE_BROKEN || is_current (self))
    release_waiters (self);
  /* Requests still queued on the host's socket would wait there for a
   * host that is not coming: they fail now, saying so. */
  if (state == CC_PROXY_HOST_STATE_BROKEN)
    soup_session_abort (self->session);
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0);
}

static gboolean
on_restart (gpointer user_data)
{
  CcProxyHostProcess *self = user_data;

  self->restart_id = 0;
  self->restarts++;
  spawn (self);
  return G_SOURCE_REMOVE;
}

/* Every way a host ends up not serving comes here once: the process is
 * killed (it may be alive but stuck), then started again or given up. */
static void
host_failed (CcProxyHostProcess *self,
             const char         *why,
             gboolean            retry)
{
  g_autofree char *message = NULL;

  if (self->stopping || self->state == CC_PROXY_HOST_STATE_BROKEN)
    return;

  kill_host (self);
  clear_host (self);
  g_clear_object (&self->process);

  if (self->state == CC_PROXY_HOST_STATE_RUNNING &&
      g_get_monotonic_time () - self->running_since >= STABLE_SECONDS * G_USEC_PER_SEC)
    self->failures = 0;
  self->failures++;

  if (!retry || self->failures >= MAX_FAILURES)
    {
      message = retry ? g_strdup_printf (_("%s; it failed %u times in a row and is not started again"),
                                         why, self->failures)
                      : g_strdup (why);
      g_message (_("Provider %s is broken: %s"), self->provider_id, message);
      set_state (self, CC_PROXY_HOST_STATE_BROKEN, message);
      return;
    }

  {
    guint delay = FIRST_BACKOFF_MS << MIN (self->failures - 1, 8);

    g_message (_("Provider %s: %s; starting it again in %u ms"), self->provider_id, why, delay);
    set_state (self, CC_PROXY_HOST_STATE_RESTARTING, why);
    self->restart_id = g_timeout_add (delay, on_restart, self);
  }
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(CcProxyHostProcess) self = user_data;
  GSubprocess *process = G_SUBPROCESS (source);
  g_autofree char *why = NULL;

  g_subprocess_wait_finish (process, result, NULL);
  /* Killed and replaced already (a ping that timed out, say). */
  if (process != self->process)
    return;

  if (g_subprocess_get_if_signaled (process))
    why = g_strdup_printf (_("its host process was killed by signal %d (%s)"),
                           g_subprocess_get_term_sig (process), g_strsignal (g_subprocess_get_term_sig (process)));
  else
    why = g_strdup_printf (_("its host process exited with status %d"), g_subprocess_get_exit_status (process));
  host_failed (self, why, TRUE);
}

static gboolean
on_timeout (gpointer user_data)
{
  CcProxyHostProcess *self = user_data;
  g_autofree char *why = NULL;

  self->timeout_id = 0;
  why = self->state == CC_PROXY_HOST_STATE_RUNNING
          ? g_strdup_printf (_("its host process did not answer within %u ms and was killed"), self->timeout_ms)
          : g_strdup_printf (_("its module did not load within %u ms; the host process was killed"), self->timeout_ms);
  host_failed (self, why, TRUE);
  return G_SOURCE_REMOVE;
}

static void
arm_timeout (CcProxyHostProcess *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->timeout_id = g_timeout_add (self->timeout_ms, on_timeout, self);
}

static void
take_provider_state (CcProxyHostProcess *self,
                     GVariant           *state)
{
  g_clear_pointer (&self->provider_state, g_variant_unref);
  self->provider_state = g_variant_ref (state);
}

/* A GetState answer, kept; FALSE when none came (cancelled with its
 * host, or the host is gone, which on_exited() says). */
static gboolean
take_state_answer (CcProxyHostProcess *self,
                   GObject            *source,
                   GAsyncResult       *result)
{
  g_autoptr(GVariant) state = NULL;

  if (!cc_proxy_provider_host1_call_get_state_finish (CC_PROXY_PROVIDER_HOST1 (source), &state, result, NULL))
    return FALSE;
  take_provider_state (self, state);
  return TRUE;
}

/* The ping answered. */
static void
on_state (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  CcProxyHostProcess *self = user_data;

  if (take_state_answer (self, source, result))
    g_clear_handle_id (&self->timeout_id, g_source_remove);
}

static gboolean
on_ping (gpointer user_data)
{
  CcProxyHostProcess *self = user_data;

  /* One ping at a time: an overdue answer is the timeout's business. */
  if (self->timeout_id == 0)
    {
      arm_timeout (self);
      cc_proxy_provider_host1_call_get_state (self->control, self->cancellable, on_state, self);
    }
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  CcProxyHostProcess *self;
  CcProxySnapshot    *snapshot;
  guint64             serial;
} SnapshotSent;

static void
on_snapshot_set (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autofree SnapshotSent *sent = user_data;
  g_autoptr(CcProxySnapshot) snapshot = sent->snapshot;
  CcProxyHostProcess *self = sent->self;
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GError) error = NULL;

  if (!cc_proxy_provider_host1_call_set_snapshot_finish (CC_PROXY_PROVIDER_HOST1 (source), &state, result, &error))
    return;
  take_provider_state (self, state);
  g_clear_pointer (&self->state_snapshot, cc_proxy_snapshot_unref);
  /* The latest snapshot may have come since, changing nothing the
   * host sees: the state holds for it too. */
  self->state_snapshot = cc_proxy_snapshot_ref (sent->serial == self->latest_serial ? self->snapshot : snapshot);
  self->taken_serial = MAX (self->taken_serial, sent->serial);
  if (self->state == CC_PROXY_HOST_STATE_RUNNING)
    {
      /* Requests held for these settings go now. */
      if (is_current (self))
        release_waiters (self);
      return;
    }

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->running_since = g_get_monotonic_time ();
  g_debug ("Provider %s serves from host process %s", self->provider_id,
           g_subprocess_get_identifier (self->process));
  set_state (self, CC_PROXY_HOST_STATE_RUNNING, NULL);
  self->ping_id = g_timeout_add (MAX (self->timeout_ms / 2, 100), on_ping, self);
}

static void
send_snapshot (CcProxyHostProcess *self)
{
  SnapshotSent *sent = g_new0 (SnapshotSent, 1);

  g_debug ("Provider %s: sending settings to its host", self->provider_id);
  sent->self = self;
  sent->snapshot = cc_proxy_snapshot_ref (self->snapshot);
  sent->serial = self->sent_serial = self->latest_serial;
  cc_proxy_provider_host1_call_set_snapshot (self->control, self->scoped, self->cancellable, on_snapshot_set, sent);
}

static void
on_hello (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  CcProxyHostProcess *self = user_data;
  g_autoptr(GVariant) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CcProxyProviderDescriptor) descriptor = NULL;
  g_autofree char *signature = NULL;
  const char *text = NULL;
  gboolean auth_capable = FALSE;

  if (!cc_proxy_provider_host1_call_hello_finish (CC_PROXY_PROVIDER_HOST1 (source), &info, result, &error))
    {
      /* A clean load error: the same module fails the same way again. */
      if (g_dbus_error_is_remote_error (error))
        {
          g_dbus_error_strip_remote_error (error);
          host_failed (self, error->message, FALSE);
        }
      return;
    }

  g_clear_pointer (&self->confinement, g_free);
  g_variant_lookup (info, "confinement", "s", &self->confinement);
  if (g_variant_lookup (info, "descriptor", "&s", &text))
    descriptor = cc_proxy_module_info_load_data (text, &auth_capable, NULL);
  if (descriptor != NULL)
    signature = cc_proxy_module_info_signature (descriptor, auth_capable);
  if (g_strcmp0 (signature, self->signature) != 0)
    {
      g_autofree char *why = g_strdup_printf (_("the module does not match its descriptor file; "
                                                "write it again with cc-proxy-schema-gen --descriptor"));

      host_failed (self, why, FALSE);
      return;
    }
  send_snapshot (self);
}

static void
on_attention_state (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  CcProxyHostProcess *self = user_data;

  if (take_state_answer (self, source, result))
    g_signal_emit (self, signals[SIGNAL_ATTENTION_CHANGED], 0);
}

/* The new text comes with the state: fetch it before saying so. */
static void
on_attention_changed (CcProxyHostProcess *self)
{
  cc_proxy_provider_host1_call_get_state (self->control, self->cancellable, on_attention_state, self);
}

static void
on_control (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  CcProxyHostProcess *self = user_data;
  g_autoptr(GError) error = NULL;
  CcProxyProviderHost1 *control = cc_proxy_provider_host1_proxy_new_finish (result, &error);

  if (control == NULL)
    return;  /* cancelled, or the host is gone: on_exited() or the timeout says why */
  self->control = control;
  /* Logins and loads take their time; the timeouts here are ours. */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (control), G_MAXINT);
  g_signal_connect_swapped (control, "attention-changed", G_CALLBACK (on_attention_changed), self);
  cc_proxy_provider_host1_call_hello (control, self->cancellable, on_hello, self);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CcProxyHostProcess *self = user_data;
  g_autoptr(GError) error = NULL;

  self->connection = g_dbus_connection_new_finish (result, &error);
  if (self->connection == NULL)
    return;
  cc_proxy_provider_host1_proxy_new (self->connection,
                                     G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES | G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
                                     NULL, CONTROL_PATH, self->cancellable, on_control, self);
}

/* Runs in the child between fork and exec: async-signal-safe calls only. */
static void
child_setup (gpointer user_data)
{
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

static void
spawn (CcProxyHostProcess *self)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GSocket) control_socket = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *guid = g_dbus_generate_guid ();
  int pair[2];
  int listener_fd;

  set_state (self, self->restarts == 0 ? CC_PROXY_HOST_STATE_STARTING : CC_PROXY_HOST_STATE_RESTARTING, NULL);

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0 ||
      (listener_fd = dup (g_socket_get_fd (self->listener))) < 0)
    {
      g_autofree char *why = g_strdup_printf (_("cannot start its host process: %s"), g_strerror (errno));

      host_failed (self, why, TRUE);
      return;
    }

  /* The host finds its ends at descriptors 3 (control) and 4 (requests). */
  g_subprocess_launcher_take_fd (launcher, pair[1], 3);
  g_subprocess_launcher_take_fd (launcher, listener_fd, 4);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  for (guint i = 0; self->hidden_env != NULL && self->hidden_env[i] != NULL; i++)
    g_subprocess_launcher_unsetenv (launcher, self->hidden_env[i]);
  self->process = g_subprocess_launcher_spawn (launcher, &error, self->program,
                                               "--module", self->module_path,
                                               "--provider-id", self->kind, NULL);
  if (self->process == NULL)
    {
      g_autofree char *why = g_strdup_printf (_("cannot start its host process: %s"), error->message);

      close (pair[0]);
      host_failed (self, why, FALSE);
      return;
    }
  g_subprocess_wait_async (self->process, NULL, on_exited, g_object_ref (self));

  self->cancellable = g_cancellable_new ();
  control_socket = g_socket_new_from_fd (pair[0], &error);
  if (control_socket == NULL)
    {
      close (pair[0]);
      host_failed (self, error->message, TRUE);
      return;
    }
  stream = G_IO_STREAM (g_socket_connection_factory_create_connection (control_socket));
  g_dbus_connection_new (stream, guid, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER, NULL,
                         self->cancellable, on_connected, self);
  arm_timeout (self);
}

static void
cc_proxy_host_process_dispose (GObject *object)
{
  CcProxyHostProcess *self = (CcProxyHostProcess *) object;

  cc_proxy_host_process_stop (self);
  G_OBJECT_CLASS (cc_proxy_host_process_parent_class)->dispose (object);
}

static void
cc_proxy_host_process_finalize (GObject *object)
{
  CcProxyHostProcess *self = (CcProxyHostProcess *) object;

  g_free (self->program);
  g_free (self->module_path);
  g_free (self->provider_id);
  g_free (self->kind);
  g_free (self->signature);
  g_free (self->last_error);
  g_free (self->confinement);
  g_strfreev (self->hidden_env);
  g_clear_object (&self->listener);
  g_clear_object (&self->session);
  g_clear_pointer (&self->snapshot, cc_proxy_snapshot_unref);
  g_clear_pointer (&self->scoped, g_variant_unref);
  g_clear_pointer (&self->provider_state, g_variant_unref);
  g_clear_pointer (&self->state_snapshot, cc_proxy_snapshot_unref);
  g_clear_pointer (&self->waiters, g_ptr_array_unref);

  G_OBJECT_CLASS (cc_proxy_host_process_parent_class)->finalize (object);
}

static void
cc_proxy_host_process_class_init (CcProxyHostProcessClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cc_proxy_host_process_dispose;
  object_class->finalize = cc_proxy_host_process_finalize;

  /**
   * CcProxyHostProcess::state-changed:
   *
   * The host started serving, failed, or was given up.
   */
  signals[SIGNAL_STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * CcProxyHostProcess::attention-changed:
   *
   * The provider's attention text changed (cc_proxy_auth_capable_attention_changed()).
   */
  signals[SIGNAL_ATTENTION_CHANGED] =
    g_signal_new ("attention-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
cc_proxy_host_process_init (CcProxyHostProcess *self)
{
  const char *timeout = g_getenv ("CC_PROXY_HOST_TIMEOUT_MS");
  guint64 value;

  self->timeout_ms = DEFAULT_TIMEOUT_MS;
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  if (timeout != NULL && g_ascii_string_to_unsigned (timeout, 10, 100, 600000, &value, NULL))
    self->timeout_ms = (guint) value;
}

/**
 * cc_proxy_host_process_new:
 * @program: the cc-proxy-provider-host executable
 * @module_path: the module it loads
 * @provider_id: the provider the daemon knows the host as
 * @kind: the provider the module must register: @provider_id, or for an
 *   instance, its kind
 * @signature: cc_proxy_module_info_signature() of the module's descriptor file
 *
 * Makes the listening socket the host will serve on; nothing runs
 * until cc_proxy_host_process_start().
 *
 * Returns: (transfer full): a host process, or %NULL when no socket could be made
 */
CcProxyHostProcess *
cc_proxy_host_process_new (const char  *program,
                           const char  *module_path,
                           const char  *provider_id,
                           const char  *kind,
                           const char  *signature,
                           GError     **error)
{
  g_autoptr(CcProxyHostProcess) self = g_object_new (CC_PROXY_TYPE_HOST_PROCESS, NULL);
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *name = NULL;
  g_autofree char *random = g_dbus_generate_guid ();

  self->program = g_strdup (program);
  self->module_path = g_strdup (module_path);
  self->provider_id = g_strdup (provider_id);
  self->kind = g_strdup (kind);
  self->signature = g_strdup (signature);

  /* An abstract socket: nothing to clean up after a crash, no directory
   * a sandboxed service may not write to. The name is not guessable,
   * and it reaches no further than the daemon's own loopback port. */
  name = g_strdup_printf ("cc-proxy/%u/%s/%s", (guint) getpid (), provider_id, random);
  address = g_unix_socket_address_new_with_type (name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
  self->listener = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  if (self->listener == NULL)
    return NULL;
  g_socket_set_listen_backlog (self->listener, SOMAXCONN);
  if (!g_socket_bind (self->listener, address, FALSE, error) || !g_socket_listen (self->listener, error))
    return NULL;

  self->session = soup_session_new_with_options ("remote-connectable", address,
                                                 "proxy-resolver", NULL,
                                                 "max-conns", CC_PROXY_DEFAULT_UPSTREAM_CONNECTIONS,
                                                 "max-conns-per-host", CC_PROXY_DEFAULT_UPSTREAM_CONNECTIONS,
                                                 "timeout", 0,
                                                 "idle-timeout", 0,
                                                 NULL);
  cc_proxy_relay_track_connections (self->session);
  return g_steal_pointer (&self);
}

/**
 * cc_proxy_host_process_start:
 * @snapshot: the settings to serve with
 *
 * Starts the host; from now on it is kept running.
 */
void
cc_proxy_host_process_start (CcProxyHostProcess *self,
                             CcProxySnapshot    *snapshot)
{
  g_return_if_fail (self->process == NULL && self->restart_id == 0);

  cc_proxy_host_process_set_snapshot (self, snapshot);
  spawn (self);
}

/**
 * cc_proxy_host_process_set_hidden_env:
 * @names: environment variables the host must not inherit
 *
 * For those that may hold a secret: the host has its settings from the
 * daemon, and its environment shows in /proc/PID/environ (and in a core
 * dump).
 */
void
cc_proxy_host_process_set_hidden_env (CcProxyHostProcess *self,
                                      const char * const *names)
{
  g_strfreev (self->hidden_env);
  self->hidden_env = g_strdupv ((char **) names);
}

/**
 * cc_proxy_host_process_revive:
 *
 * Starts a host left broken again, for MAX_FAILURES more tries: what
 * broke it (a module, a setting, the machine) may have been fixed.
 * Does nothing to a host that is not broken.
 */
void
cc_proxy_host_process_revive (CcProxyHostProcess *self)
{
  if (self->state != CC_PROXY_HOST_STATE_BROKEN || self->stopping)
    return;
  g_message (_("Provider %s: starting it again, as asked"), self->provider_id);
  self->failures = 0;
  spawn (self);
}

/* The host's part of @snapshot. An instance's host runs the module as
 * it is, so it gets the instance's values under the module's own id:
 * modules need not know about instances, and one never sees another's. */
static GVariant *
serialize_scope (CcProxyHostProcess *self,
                 CcProxySnapshot    *snapshot)
{
  GVariant *scoped = cc_proxy_snapshot_serialize (snapshot, self->provider_id);
  g_auto(GVariantBuilder) entries = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a(sssbb)"));
  g_autoptr(GVariantIter) iter = NULL;
  const char *provider, *key, *value;
  gboolean from_environment, secret;

  if (g_str_equal (self->provider_id, self->kind))
    return scoped;

  g_variant_ref_sink (scoped);
  g_variant_get (scoped, "(&sa(sssbb))", NULL, &iter);
  while (g_variant_iter_next (iter, "(&s&s&sbb)", &provider, &key, &value, &from_environment, &secret))
    g_variant_builder_add (&entries, "(sssbb)", g_str_equal (provider, self->provider_id) ? self->kind : provider,
                           key, value, from_environment, secret);
  g_variant_unref (scoped);
  return g_variant_new ("(sa(sssbb))", self->kind, &entries);
}

/**
 * cc_proxy_host_process_set_snapshot:
 * @snapshot: new settings
 *
 * Sends @snapshot to the host now if it has had its first, else with
 * its first, when it starts.
 */
void
cc_proxy_host_process_set_snapshot (CcProxyHostProcess *self,
                                    CcProxySnapshot    *snapshot)
{
  g_autoptr(GVariant) scoped = g_variant_ref_sink (serialize_scope (self, snapshot));
  gboolean changed = self->scoped == NULL || !g_variant_equal (scoped, self->scoped);

  /* Nothing the host sees changed (another provider's settings, the
   * active provider): it keeps serving, no request waits. */
  if (!changed && self->state_snapshot == self->snapshot)
    {
      g_clear_pointer (&self->state_snapshot, cc_proxy_snapshot_unref);
      self->state_snapshot = cc_proxy_snapshot_ref (snapshot);
    }
  cc_proxy_snapshot_ref (snapshot);
  g_clear_pointer (&self->snapshot, cc_proxy_snapshot_unref);
  self->snapshot = snapshot;
  if (!changed)
    return;
  g_clear_pointer (&self->scoped, g_variant_unref);
  self->scoped = g_steal_pointer (&scoped);
  self->latest_serial++;
  /* Also while it starts: a change made after its first snapshot left
   * must not wait for the next one. */
  if (self->control != NULL && self->sent_serial != 0)
    send_snapshot (self);
}

/**
 * cc_proxy_host_process_stop:
 *
 * Kills the host and starts no other.
 */
void
cc_proxy_host_process_stop (CcProxyHostProcess *self)
{
  self->stopping = TRUE;
  g_clear_handle_id (&self->restart_id, g_source_remove);
  kill_host (self);
  clear_host (self);
  g_clear_object (&self->process);
}

const char *
cc_proxy_host_process_get_program (CcProxyHostProcess *self)
{
  return self->program;
}

const char *
cc_proxy_host_process_get_module_path (CcProxyHostProcess *self)
{
  return self->module_path;
}

CcProxyHostState
cc_proxy_host_process_get_state (CcProxyHostProcess *self)
{
  return self->state;
}

/**
 * cc_proxy_host_process_get_state_name:
 *
 * Returns: "starting", "running", "restarting" or "broken"
 */
const char *
cc_proxy_host_process_get_state_name (CcProxyHostProcess *self)
{
  static const char * const names[] = { "starting", "running", "restarting", "broken" };

  return names[self->state];
}

/**
 * cc_proxy_host_process_get_last_error:
 *
 * Returns: (nullable): why the host last failed
 */
const char *
cc_proxy_host_process_get_last_error (CcProxyHostProcess *self)
{
  return self->last_error;
}

/**
 * cc_proxy_host_process_get_confinement:
 *
 * Returns: (nullable): what the host's sandbox holds it to, in words, as
 *   the host last told it (Landlock, seccomp; see docs/architecture.md)
 */
const char *
cc_proxy_host_process_get_confinement (CcProxyHostProcess *self)
{
  return self->confinement;
}

guint
cc_proxy_host_process_get_restarts (CcProxyHostProcess *self)
{
  return self->restarts;
}

/**
 * cc_proxy_host_process_get_pid:
 *
 * Returns: the host's process id, or 0 when none runs
 */
GPid
cc_proxy_host_process_get_pid (CcProxyHostProcess *self)
{
  const char *id = self->process != NULL ? g_subprocess_get_identifier (self->process) : NULL;

  return id != NULL ? (GPid) g_ascii_strtoll (id, NULL, 10) : 0;
}

/**
 * cc_proxy_host_process_get_session:
 *
 * Returns: (transfer none): the session whose every connection reaches
 *   the host's HTTP server
 */
SoupSession *
cc_proxy_host_process_get_session (CcProxyHostProcess *self)
{
  return self->session;
}

/**
 * cc_proxy_host_process_get_provider_state:
 *
 * Returns: (transfer none) (nullable): the provider's last reported
 *   state (`signed-in`, `attention`, `environment`), as an `a{sv}`
 */
GVariant *
cc_proxy_host_process_get_provider_state (CcProxyHostProcess *self)
{
  return self->provider_state;
}

/**
 * cc_proxy_host_process_answers_current:
 *
 * Returns: whether a request sent to the host now is answered, with the
 *   latest settings: it runs and has taken them. A host that is still
 *   starting is waited for (cc_proxy_host_process_wait_async()): a
 *   request sent to it would sit in the socket's queue for as long as no
 *   host comes, a module that fails at every start included.
 */
gboolean
cc_proxy_host_process_answers_current (CcProxyHostProcess *self)
{
  return is_current (self);
}

/**
 * cc_proxy_host_process_wait_async:
 *
 * Completes once the host serves with the latest settings (at once if
 * it does), or with an error once it is broken: what a login, a question
 * to the provider or a request just after a change of settings waits for
 * while the host starts, restarts or takes the settings.
 */
void
cc_proxy_host_process_wait_async (CcProxyHostProcess  *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, cc_proxy_host_process_wait_async);
  if (self->state == CC_PROXY_HOST_STATE_BROKEN || is_current (self))
    finish_wait (self, task);
  else
    g_ptr_array_add (self->waiters, g_steal_pointer (&task));
}

gboolean
cc_proxy_host_process_wait_finish (CcProxyHostProcess  *self,
                                   GAsyncResult        *result,
                                   GError             **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_refreshed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  /* A host that fails to answer leaves the last state in place. */
  take_state_answer (g_task_get_source_object (task), source, result);
  g_task_return_boolean (task, TRUE);
}

static void
on_refresh_ready (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CcProxyHostProcess *self = CC_PROXY_HOST_PROCESS (source);

  if (!cc_proxy_host_process_wait_finish (self, result, NULL))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  cc_proxy_provider_host1_call_get_state (self->control, self->cancellable, on_refreshed, g_steal_pointer (&task));
}

/**
 * cc_proxy_host_process_refresh_async:
 *
 * Asks the host for the provider's state now (what it reports may
 * change without a new snapshot: a model list fetched, say), once it
 * serves; a broken host leaves the last state in place.
 */
void
cc_proxy_host_process_refresh_async (CcProxyHostProcess  *self,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, cc_proxy_host_process_refresh_async);
  cc_proxy_host_process_wait_async (self, NULL, on_refresh_ready, task);
}

void
cc_proxy_host_process_refresh_finish (CcProxyHostProcess *self,
                                      GAsyncResult       *result)
{
  g_task_propagate_boolean (G_TASK (result), NULL);
}

/**
 * cc_proxy_host_process_get_state_snapshot:
 *
 * Returns: (transfer none) (nullable): the snapshot the provider state
 *   was last reported for; a caller with another one knows it may be stale
 */
CcProxySnapshot *
cc_proxy_host_process_get_state_snapshot (CcProxyHostProcess *self)
{
  return self->state_snapshot;
}

/**
 * cc_proxy_host_process_get_control:
 *
 * Returns: (transfer none) (nullable): the control proxy of the running
 *   host, for its login flows
 */
CcProxyProviderHost1 *
cc_proxy_host_process_get_control (CcProxyHostProcess *self)
{
  return self->state == CC_PROXY_HOST_STATE_RUNNING ? self->control : NULL;
}
