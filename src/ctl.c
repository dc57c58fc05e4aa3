/* ctl.c: cc-proxyctl, cc-proxyd's control interface for people
 *
 * Every command is a plain call on org.ccproxy.Proxy1; nothing here
 * knows more than the bus says. Exit status: 0 done, 1 refused or
 * failed, 2 bad command line.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

#define NAME "org.ccproxy.Proxy1"
#define PATH "/org/ccproxy/Proxy1"
#define MAIN_IFACE "org.ccproxy.Proxy1"
#define PROVIDER_IFACE "org.ccproxy.Proxy1.Provider"

static const char usage[] =
  N_("Usage: cc-proxyctl COMMAND [ARGUMENTS]\n"
     "\n"
     "Commands:\n"
     "  status                      where cc-proxyd listens, what serves, counters\n"
     "  providers                   the providers (* marks the active one)\n"
     "  get PROVIDER [KEY]          a provider's settings, or one of them\n"
     "  set PROVIDER KEY [VALUE]    store a setting; a secret is read from standard\n"
     "                              input (or asked for), never from the command line\n"
     "  reset PROVIDER KEY          forget a stored setting\n"
     "  use PROVIDER                make PROVIDER the active one\n"
     "  auth PROVIDER [--force]     sign in: shows where to go and the code to\n"
     "                              enter, then waits (Ctrl-C cancels)\n"
     "  reload                      read the settings again\n");

static GDBusConnection *bus;

static char *
provider_path (const char *id)
{
  g_autofree char *element = g_strdelimit (g_strdup (id), "-", '_');

  return g_strconcat (PATH "/providers/", element, NULL);
}

/* Says what went wrong in the service's own words. */
static int
fail (GError *error)
{
  g_dbus_error_strip_remote_error (error);
  g_printerr ("cc-proxyctl: %s\n", error->message);
  return 1;
}

static GVariant *
get (const char  *path,
     const char  *interface,
     const char  *property,
     GError     **error)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (bus, NAME, path, "org.freedesktop.DBus.Properties", "Get",
                                                           g_variant_new ("(ss)", interface, property),
                                                           G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  GVariant *value = NULL;

  if (reply != NULL)
    g_variant_get (reply, "(v)", &value);
  return value;
}

static gboolean
call (const char  *path,
      const char  *interface,
      const char  *method,
      GVariant    *parameters,
      GError     **error)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (bus, NAME, path, interface, method, parameters,
                                                           NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);

  return reply != NULL;
}

/* The provider's settings, or a clear error for an unknown provider
 * (the bus would only say the object does not exist). */
static GVariant *
provider_settings (const char  *id,
                   GError     **error)
{
  g_autoptr(GVariant) providers = get (PATH, MAIN_IFACE, "Providers", error);
  g_autofree const char **ids = NULL;
  g_autofree char *path = NULL;
  g_autofree char *known = NULL;

  if (providers == NULL)
    return NULL;
  ids = g_variant_get_strv (providers, NULL);
  if (!g_strv_contains (ids, id))
    {
      known = g_strjoinv (", ", (char **) ids);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("There is no provider “%s”; known providers: %s"), id, known);
      return NULL;
    }
  path = provider_path (id);
  return get (path, PROVIDER_IFACE, "SettingDescriptors", error);
}

static GVariant *
find_setting (GVariant   *descriptors,
              const char *key)
{
  for (gsize i = 0; i < g_variant_n_children (descriptors); i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (descriptors, i);
      const char *name = NULL;

      if (g_variant_lookup (entry, "key", "&s", &name) && g_str_equal (name, key))
        return g_steal_pointer (&entry);
    }
  return NULL;
}

static int
cmd_status (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) version = get (PATH, MAIN_IFACE, "Version", &error);
  g_autoptr(GVariant) address = NULL, active = NULL, note = NULL, total = NULL, running = NULL, failed = NULL, errors = NULL;
  GVariantIter iter;
  const char *module, *message;

  if (version == NULL)
    return fail (error);
  address = get (PATH, MAIN_IFACE, "ListenAddress", NULL);
  active = get (PATH, MAIN_IFACE, "ActiveProvider", NULL);
  note = get (PATH, MAIN_IFACE, "ActiveProviderNote", NULL);
  total = get (PATH, MAIN_IFACE, "RequestsTotal", NULL);
  running = get (PATH, MAIN_IFACE, "RequestsActive", NULL);
  failed = get (PATH, MAIN_IFACE, "RequestsFailed", NULL);
  errors = get (PATH, MAIN_IFACE, "PluginLoadErrors", NULL);

  g_print (_("cc-proxyd %s listening on %s\n"), g_variant_get_string (version, NULL), g_variant_get_string (address, NULL));
  g_print (_("Active provider: %s\n"), g_variant_get_string (active, NULL));
  if (g_variant_get_string (note, NULL)[0] != '\0')
    g_print ("  %s\n", g_variant_get_string (note, NULL));
  g_print (_("Requests: %" G_GUINT64_FORMAT " total, %u in progress, %" G_GUINT64_FORMAT " failed\n"),
           g_variant_get_uint64 (total), g_variant_get_uint32 (running), g_variant_get_uint64 (failed));
  if (g_variant_n_children (errors) > 0)
    {
      g_print (_("Plugins not loaded:\n"));
      g_variant_iter_init (&iter, errors);
      while (g_variant_iter_next (&iter, "{&s&s}", &module, &message))
        g_print ("  %s: %s\n", module, message);
    }
  return 0;
}

static int
cmd_providers (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) providers = get (PATH, MAIN_IFACE, "Providers", &error);
  g_autoptr(GVariant) active = NULL;
  GVariantIter iter;
  const char *id;

  if (providers == NULL)
    return fail (error);
  active = get (PATH, MAIN_IFACE, "ActiveProvider", NULL);
  g_variant_iter_init (&iter, providers);
  while (g_variant_iter_next (&iter, "&s", &id))
    {
      g_autofree char *path = provider_path (id);
      g_autoptr(GVariant) name = get (path, PROVIDER_IFACE, "DisplayName", NULL);

      g_print ("%s %-16s %s\n", g_str_equal (id, g_variant_get_string (active, NULL)) ? "*" : " ",
               id, name ? g_variant_get_string (name, NULL) : "");
    }
  return 0;
}

static void
print_value (const char *key,
             GVariant   *entry,
             gboolean    with_key)
{
  const char *value = NULL;
  gboolean set = FALSE, from_env = FALSE;
  g_autofree char *shown = NULL;

  g_variant_lookup (entry, "set", "b", &set);
  g_variant_lookup (entry, "from-environment", "b", &from_env);
  if (g_variant_lookup (entry, "value", "&s", &value))
    shown = g_strdup (value);
  else
    shown = g_strdup (set ? _("(secret, set)") : _("(secret, not set)"));

  if (with_key)
    g_print ("%-20s %s%s\n", key, shown, from_env ? _("  [from the environment]") : "");
  else
    g_print ("%s\n", shown);
}

static int
cmd_get (const char *id,
         const char *key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) descriptors = provider_settings (id, &error);
  g_autofree char *path = provider_path (id);
  g_autoptr(GVariant) values = NULL;
  GVariantIter iter;
  const char *name;
  GVariant *entry;

  if (descriptors == NULL)
    return fail (error);
  values = get (path, PROVIDER_IFACE, "Values", &error);
  if (values == NULL)
    return fail (error);

  if (key != NULL)
    {
      g_autoptr(GVariant) one = g_variant_lookup_value (values, key, G_VARIANT_TYPE_VARDICT);

      if (one == NULL)
        {
          g_printerr (_("cc-proxyctl: Provider “%s” has no setting “%s”\n"), id, key);
          return 1;
        }
      print_value (key, one, FALSE);
      return 0;
    }

  g_variant_iter_init (&iter, values);
  while (g_variant_iter_next (&iter, "{&s@a{sv}}", &name, &entry))
    {
      print_value (name, entry, TRUE);
      g_variant_unref (entry);
    }
  return 0;
}

/* A secret comes from standard input: asked for without echo on a
 * terminal, else the first line of what is piped in. */
static char *
read_secret (const char *id,
             const char *key)
{
  struct termios old, quiet;
  gboolean tty = isatty (STDIN_FILENO);
  char line[4096];
  char *value;

  if (tty)
    {
      g_printerr (_("Value for %s %s (not shown): "), id, key);
      tcgetattr (STDIN_FILENO, &old);
      quiet = old;
      quiet.c_lflag &= ~ECHO;
      tcsetattr (STDIN_FILENO, TCSANOW, &quiet);
    }
  value = fgets (line, sizeof line, stdin) ? g_strdup (line) : NULL;
  if (tty)
    {
      tcsetattr (STDIN_FILENO, TCSANOW, &old);
      g_printerr ("\n");
    }
  if (value != NULL)
    g_strchomp (value);
  return value;
}

static int
cmd_set (const char *id,
         const char *key,
         const char *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) descriptors = provider_settings (id, &error);
  g_autoptr(GVariant) setting = NULL;
  g_autofree char *path = provider_path (id);
  g_autofree char *secret = NULL;
  gboolean is_secret = FALSE;

  if (descriptors == NULL)
    return fail (error);
  setting = find_setting (descriptors, key);
  if (setting != NULL)
    g_variant_lookup (setting, "secret", "b", &is_secret);

  if (is_secret)
    {
      if (value != NULL)
        {
          /* argv is visible to every process and lands in shell history. */
          g_printerr (_("cc-proxyctl: %s is a secret: give it on standard input, not on the command line\n"
                        "  e.g.  cc-proxyctl set %s %s < file   (or run it without a value to be asked)\n"),
                      key, id, key);
          return 2;
        }
      secret = read_secret (id, key);
      if (secret == NULL || secret[0] == '\0')
        {
          g_printerr (_("cc-proxyctl: no value given for %s\n"), key);
          return 1;
        }
      value = secret;
    }
  else if (value == NULL)
    {
      g_printerr (_("cc-proxyctl: set needs a VALUE for %s\n"), key);
      return 2;
    }

  if (!call (path, PROVIDER_IFACE, "SetValue", g_variant_new ("(ss)", key, value), &error))
    return fail (error);
  return 0;
}

static int
cmd_reset (const char *id,
           const char *key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) descriptors = provider_settings (id, &error);
  g_autofree char *path = provider_path (id);

  if (descriptors == NULL)
    return fail (error);
  if (!call (path, PROVIDER_IFACE, "ResetValue", g_variant_new ("(s)", key), &error))
    return fail (error);
  return 0;
}

static int
cmd_use (const char *id)
{
  g_autoptr(GError) error = NULL;

  if (!call (PATH, "org.freedesktop.DBus.Properties", "Set",
             g_variant_new ("(ssv)", MAIN_IFACE, "ActiveProvider", g_variant_new_string (id)), &error))
    return fail (error);
  return 0;
}

typedef struct
{
  GMainLoop *loop;
  char      *path;
  gboolean   shown;
  int        status;
} Login;

static void
show_prompt (Login      *login,
             const char *url,
             const char *code,
             const char *message)
{
  if (login->shown || url == NULL || url[0] == '\0')
    return;
  login->shown = TRUE;
  if (message != NULL && message[0] != '\0')
    g_print ("%s\n", message);
  g_print (_("  Open:  %s\n  Code:  %s\n"), url, code);
  g_print (_("Waiting… (Ctrl-C cancels)\n"));
}

static void
finish_login (Login      *login,
              const char *state,
              const char *message)
{
  if (g_str_equal (state, "succeeded"))
    {
      g_print ("%s\n", message);
      login->status = 0;
    }
  else
    {
      g_printerr ("cc-proxyctl: %s\n", message);
      login->status = 1;
    }
  g_main_loop_quit (login->loop);
}

static void
on_flow_signal (GDBusConnection *connection,
                const char      *sender,
                const char      *path,
                const char      *interface,
                const char      *signal,
                GVariant        *parameters,
                gpointer         user_data)
{
  Login *login = user_data;
  const char *a, *b, *c;

  if (g_str_equal (signal, "PromptReady"))
    {
      g_variant_get (parameters, "(&s&s&s)", &a, &b, &c);
      show_prompt (login, a, b, c);
    }
  else if (g_str_equal (signal, "Completed"))
    {
      g_variant_get (parameters, "(&s&s)", &a, &b);
      finish_login (login, a, b);
    }
}

static gboolean
on_interrupt (gpointer user_data)
{
  Login *login = user_data;

  /* The flow answers with Completed (cancelled); then we leave. */
  call (login->path, "org.ccproxy.Proxy1.AuthFlow", "Cancel", NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static int
cmd_auth (const char *id,
          gboolean    force)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) descriptors = provider_settings (id, &error);
  g_autofree char *provider = provider_path (id);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) state = NULL, url = NULL, code = NULL, message = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Login login = { loop, NULL, FALSE, 1 };
  guint subscription;
  guint sigint;

  if (descriptors == NULL)
    return fail (error);
  reply = g_dbus_connection_call_sync (bus, NAME, provider, PROVIDER_IFACE, "Authenticate", g_variant_new ("(b)", force),
                                       G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  if (reply == NULL)
    return fail (error);
  g_variant_get (reply, "(o)", &login.path);
  /* Before anything is shown: Ctrl-C must cancel, not kill. */
  sigint = g_unix_signal_add (SIGINT, on_interrupt, &login);

  /* Listen first, then read the state: nothing is missed either way. */
  subscription = g_dbus_connection_signal_subscribe (bus, NAME, "org.ccproxy.Proxy1.AuthFlow", NULL, login.path, NULL,
                                                     G_DBUS_SIGNAL_FLAGS_NONE, on_flow_signal, &login, NULL);
  state = get (login.path, "org.ccproxy.Proxy1.AuthFlow", "State", NULL);
  url = get (login.path, "org.ccproxy.Proxy1.AuthFlow", "VerificationUrl", NULL);
  code = get (login.path, "org.ccproxy.Proxy1.AuthFlow", "UserCode", NULL);
  message = get (login.path, "org.ccproxy.Proxy1.AuthFlow", "Message", NULL);

  if (state != NULL)
    {
      const char *now = g_variant_get_string (state, NULL);

      show_prompt (&login, g_variant_get_string (url, NULL), g_variant_get_string (code, NULL),
                   g_variant_get_string (message, NULL));
      if (g_str_equal (now, "succeeded") || g_str_equal (now, "failed") || g_str_equal (now, "cancelled"))
        finish_login (&login, now, g_variant_get_string (message, NULL));
    }

  if (state == NULL || !(g_str_equal (g_variant_get_string (state, NULL), "succeeded") ||
                         g_str_equal (g_variant_get_string (state, NULL), "failed") ||
                         g_str_equal (g_variant_get_string (state, NULL), "cancelled")))
    g_main_loop_run (loop);

  g_source_remove (sigint);
  g_dbus_connection_signal_unsubscribe (bus, subscription);
  g_free (login.path);
  return login.status;
}

static int
bad_usage (const char *message)
{
  if (message != NULL)
    g_printerr ("cc-proxyctl: %s\n", message);
  g_printerr ("%s", _(usage));
  return 2;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  const char *command;
  int n;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2)
    return bad_usage (NULL);
  command = argv[1];
  n = argc - 2;

  if (g_str_equal (command, "--help") || g_str_equal (command, "-h") || g_str_equal (command, "help"))
    {
      g_print ("%s", _(usage));
      return 0;
    }
  if (g_str_equal (command, "--version"))
    {
      g_print ("cc-proxyctl %s\n", PACKAGE_VERSION);
      return 0;
    }

  /* The command line first: a typo is a usage error, whatever the bus. */
  {
    static const struct { const char *name; int min, max; } commands[] = {
      { "status", 0, 0 }, { "providers", 0, 0 }, { "get", 1, 2 }, { "set", 2, 3 },
      { "reset", 2, 2 }, { "use", 1, 1 }, { "reload", 0, 0 }, { "auth", 1, 2 },
    };
    gboolean known = FALSE;

    for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
      if (g_str_equal (command, commands[i].name))
        {
          g_autofree char *message = NULL;

          known = TRUE;
          if (n >= commands[i].min && n <= commands[i].max)
            break;
          message = g_strdup_printf (_("wrong number of arguments for “%s”"), command);
          return bad_usage (message);
        }
    if (!known)
      {
        g_autofree char *message = g_strdup_printf (_("unknown command “%s”"), command);

        return bad_usage (message);
      }
  }

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (bus == NULL)
    {
      g_printerr (_("cc-proxyctl: cannot reach the session bus: %s\n"), error->message);
      return 1;
    }

  if (g_str_equal (command, "status"))
    return cmd_status ();
  if (g_str_equal (command, "providers"))
    return cmd_providers ();
  if (g_str_equal (command, "get"))
    return cmd_get (argv[2], n == 2 ? argv[3] : NULL);
  if (g_str_equal (command, "set"))
    return cmd_set (argv[2], argv[3], n == 3 ? argv[4] : NULL);
  if (g_str_equal (command, "reset"))
    return cmd_reset (argv[2], argv[3]);
  if (g_str_equal (command, "use"))
    return cmd_use (argv[2]);
  if (g_str_equal (command, "auth"))
    {
      if (n == 2 && !g_str_equal (argv[3], "--force"))
        {
          g_autofree char *message = g_strdup_printf (_("unknown option “%s” for auth"), argv[3]);

          return bad_usage (message);
        }
      return cmd_auth (argv[2], n == 2);
    }

  /* reload */
  if (!call (PATH, MAIN_IFACE, "Reload", NULL, &error))
    return fail (error);
  return 0;
}
