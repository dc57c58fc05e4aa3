/* cc-proxy-registry.c: the built-in provider plus every module found
 *
 * Modules are loaded once per process: GType registrations cannot be
 * undone, so the registry keeps them for the life of the service. Every
 * way a module can fail is recorded as one string per module and the
 * service goes on with the healthy ones. Failures are logged with
 * g_message(), not g_warning(): a broken plugin must not abort a daemon
 * that runs with fatal warnings.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "cc-proxy-registry"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <gmodule.h>
#include <string.h>

#include "cc-proxy-anthropic-provider.h"
#include "cc-proxy-module-info.h"
#include "cc-proxy-registry.h"
#include "cc-proxy-remote-provider.h"
#include "cc-proxy-version.h"

struct _CcProxyRegistry
{
  GObject     parent_instance;

  GPtrArray  *providers;    /* CcProxyProvider, in load order */
  GHashTable *by_id;        /* id → CcProxyProvider (unowned) */
  GHashTable *load_errors;  /* module file name → message */
  GPtrArray  *directories;  /* where modules were looked for, to rescan */
  GHashTable *attempted;    /* module paths tried: a module loads once */
  char       *host_program; /* set: modules run in provider hosts */
};

G_DEFINE_QUARK (cc-proxy-registry-error-quark, cc_proxy_registry_error)

G_DEFINE_FINAL_TYPE (CcProxyRegistry, cc_proxy_registry, G_TYPE_OBJECT)

/* Names GSettings paths, D-Bus object paths and keyring items can all
 * hold as they are, short enough for a status line. */
#define INSTANCE_NAME_MAX 32

enum {
  SIGNAL_INSTANCE_ADDED,
  SIGNAL_INSTANCE_REMOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
cc_proxy_registry_finalize (GObject *object)
{
  CcProxyRegistry *self = (CcProxyRegistry *) object;

  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->providers, g_ptr_array_unref);
  g_clear_pointer (&self->load_errors, g_hash_table_unref);
  g_clear_pointer (&self->directories, g_ptr_array_unref);
  g_clear_pointer (&self->attempted, g_hash_table_unref);
  g_free (self->host_program);

  G_OBJECT_CLASS (cc_proxy_registry_parent_class)->finalize (object);
}

static void
cc_proxy_registry_class_init (CcProxyRegistryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cc_proxy_registry_finalize;

  /**
   * CcProxyRegistry::instance-added:
   * @provider: the new instance
   */
  signals[SIGNAL_INSTANCE_ADDED] =
    g_signal_new ("instance-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CC_PROXY_TYPE_PROVIDER);
  /**
   * CcProxyRegistry::instance-removed:
   * @provider: the instance, no longer in the registry
   */
  signals[SIGNAL_INSTANCE_REMOVED] =
    g_signal_new ("instance-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CC_PROXY_TYPE_PROVIDER);
}

static void
cc_proxy_registry_init (CcProxyRegistry *self)
{
  self->providers = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->load_errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->directories = g_ptr_array_new_with_free_func (g_free);
  self->attempted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

void
cc_proxy_registry_record_error (CcProxyRegistry *self,
                                const char      *source,
                                const char      *message)
{
  g_message (_("Provider module %s was not loaded: %s"), source, message);
  g_hash_table_replace (self->load_errors, g_strdup (source), g_strdup (message));
}

/* Validates and adds one provider instance; takes @provider. */
static gboolean
add_provider (CcProxyRegistry  *self,
              CcProxyProvider  *provider,
              GError          **error)
{
  g_autoptr(CcProxyProvider) owned = provider;
  CcProxyProviderDescriptor *descriptor = cc_proxy_provider_get_descriptor (provider);
  g_autoptr(GError) local_error = NULL;
  const char *id;

  if (descriptor == NULL)
    {
      g_set_error_literal (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_INVALID_DESCRIPTOR,
                           _("invalid descriptor: the provider returned none"));
      return FALSE;
    }

  id = cc_proxy_provider_descriptor_get_id (descriptor);
  if (id[0] == '\0')
    {
      g_set_error_literal (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_EMPTY_ID,
                           _("the provider id is empty"));
      return FALSE;
    }
  if (g_hash_table_contains (self->by_id, id))
    {
      g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_DUPLICATE_ID,
                   _("duplicate provider id “%s”: the first provider with this id is kept"), id);
      return FALSE;
    }
  if (!cc_proxy_provider_descriptor_validate (descriptor, &local_error))
    {
      g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_INVALID_DESCRIPTOR,
                   _("invalid descriptor: %s"), local_error->message);
      return FALSE;
    }

  g_ptr_array_add (self->providers, g_steal_pointer (&owned));
  g_hash_table_insert (self->by_id, (gpointer) id, provider);
  g_debug ("Provider %s ready", id);
  return TRUE;
}

/**
 * cc_proxy_registry_new:
 *
 * Returns: (transfer full): a registry holding the built-in provider
 */
CcProxyRegistry *
cc_proxy_registry_new (void)
{
  CcProxyRegistry *self = g_object_new (CC_PROXY_TYPE_REGISTRY, NULL);
  g_autoptr(GError) error = NULL;

  if (!add_provider (self, g_object_new (CC_PROXY_TYPE_ANTHROPIC_PROVIDER, NULL), &error))
    g_error ("Built-in provider is broken: %s", error->message);

  return self;
}

static GIOExtensionPoint *
ensure_extension_point (void)
{
  GIOExtensionPoint *point = g_io_extension_point_lookup (CC_PROXY_PROVIDER_EXTENSION_POINT_NAME);

  /* No required type: GIO answers a wrong type with g_warning(), which
   * would abort under fatal warnings. add_from_module() checks instead. */
  if (point == NULL)
    point = g_io_extension_point_register (CC_PROXY_PROVIDER_EXTENSION_POINT_NAME);
  return point;
}

static GHashTable *
extension_types (GIOExtensionPoint *point)
{
  GHashTable *types = g_hash_table_new (NULL, NULL);

  for (GList *l = g_io_extension_point_get_extensions (point); l != NULL; l = l->next)
    g_hash_table_add (types, GSIZE_TO_POINTER (g_io_extension_get_type (l->data)));
  return types;
}

/* Opens the file once with GModule to learn why it cannot be a module:
 * GIOModule only prints the reason to stderr. */
static gboolean
check_module_file (const char  *path,
                   GError     **error)
{
  GModule *module = g_module_open (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  gpointer symbol;
  gboolean ok;

  if (module == NULL)
    {
      g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_OPEN_FAILED,
                   _("could not be opened: %s"), g_module_error ());
      return FALSE;
    }

  ok = g_module_symbol (module, "g_io_module_load", &symbol) &&
       g_module_symbol (module, "g_io_module_unload", &symbol);
  if (!ok)
    {
      g_set_error_literal (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_NO_LOAD_FUNCTION,
                           _("not a provider module: it has no g_io_module_load()/g_io_module_unload() function"));
    }
  /* Read before g_io_module_load() runs: a module built for another API
   * would misread every structure we hand it. */
  else if (!g_module_symbol (module, "cc_proxy_provider_module_api_version", &symbol))
    {
      ok = FALSE;
      g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_API_VERSION,
                   _("no provider API version: the module does not say CC_PROXY_PROVIDER_MODULE; rebuild it against cc-proxy-%d"),
                   CC_PROXY_API_VERSION);
    }
  else if (*(const int *) symbol != CC_PROXY_API_VERSION)
    {
      ok = FALSE;
      g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_API_VERSION,
                   _("built for provider API %d; this cc-proxyd speaks provider API %d"),
                   *(const int *) symbol, CC_PROXY_API_VERSION);
    }
  g_module_close (module);
  return ok;
}

static CcProxyProvider *
instantiate (GType    type,
             GError **error)
{
  g_autoptr(GError) local_error = NULL;
  GObject *object;

  if (!g_type_is_a (type, CC_PROXY_TYPE_PROVIDER))
    {
      g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_FACTORY_FAILED,
                   _("type %s does not implement CcProxyProvider"), g_type_name (type));
      return NULL;
    }

  if (g_type_is_a (type, G_TYPE_INITABLE))
    object = g_initable_new (type, NULL, &local_error, NULL);
  else
    object = g_object_new (type, NULL);

  if (object == NULL)
    {
      g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_FACTORY_FAILED,
                   _("the provider could not be created: %s"),
                   local_error ? local_error->message : _("unknown error"));
      return NULL;
    }
  return CC_PROXY_PROVIDER (object);
}

/* A hosted module is never opened here: its descriptor file says what
 * the daemon needs, and its host process loads it. */
static void
load_hosted (CcProxyRegistry *self,
             const char      *path,
             const char      *name)
{
  g_autofree char *info_path = cc_proxy_module_info_path_for (path);
  g_autoptr(CcProxyProviderDescriptor) descriptor = NULL;
  g_autoptr(GError) error = NULL;
  CcProxyProvider *provider = NULL;
  gboolean auth_capable = FALSE;

  if (!g_file_test (info_path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *info_name = g_path_get_basename (info_path);
      g_autofree char *message = g_strdup_printf (_("no descriptor file %s beside it: write one with "
                                                    "cc-proxy-schema-gen --descriptor (see the plugin guide), "
                                                    "or run with CC_PROXY_PROVIDER_IN_PROCESS=1"),
                                                  info_name);

      cc_proxy_registry_record_error (self, name, message);
      return;
    }

  descriptor = cc_proxy_module_info_load (info_path, &auth_capable, &error);
  if (descriptor != NULL)
    provider = cc_proxy_remote_provider_new (self->host_program, path, descriptor, auth_capable, &error);
  if (descriptor == NULL || provider == NULL || !add_provider (self, provider, &error))
    cc_proxy_registry_record_error (self, name, error->message);
}

static void
load_module_from (CcProxyRegistry   *self,
                  GIOExtensionPoint *point,
                  const char        *directory,
                  const char        *name)
{
  g_autofree char *path = g_build_filename (directory, name, NULL);
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GError) error = NULL;
  GIOModule *module;
  guint added = 0;

  /* Types register once per process: a module is never loaded twice. */
  if (!g_hash_table_add (self->attempted, g_strdup (path)))
    return;

  if (self->host_program != NULL)
    {
      load_hosted (self, path, name);
      return;
    }

  if (!check_module_file (path, &error))
    {
      cc_proxy_registry_record_error (self, name, error->message);
      return;
    }

  before = extension_types (point);
  /* The type system keeps the module for the life of the process: a
   * GTypeModule with registered types is never finalised. */
  module = g_io_module_new (path);
  if (!g_type_module_use (G_TYPE_MODULE (module)))
    {
      cc_proxy_registry_record_error (self, name, _("the module failed to load"));
      return;
    }

  for (GList *l = g_io_extension_point_get_extensions (point); l != NULL; l = l->next)
    {
      GType type = g_io_extension_get_type (l->data);
      CcProxyProvider *provider;

      if (g_hash_table_contains (before, GSIZE_TO_POINTER (type)))
        continue;
      added++;

      g_clear_error (&error);
      provider = instantiate (type, &error);
      if (provider == NULL || !add_provider (self, provider, &error))
        cc_proxy_registry_record_error (self, name, error->message);
    }

  if (added == 0)
    {
      cc_proxy_registry_record_error (self, name,
                                      _("the module registered no provider on the “" CC_PROXY_PROVIDER_EXTENSION_POINT_NAME "” extension point"));
      /* With no type registered, nothing else holds the module. */
      g_type_module_unuse (G_TYPE_MODULE (module));
      g_object_unref (module);
    }
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/**
 * cc_proxy_registry_load_modules:
 * @self: a registry
 * @directory: where provider modules live
 *
 * Loads every shared object in @directory, in name order (so that "the
 * first one wins" for duplicate ids is stable). A missing directory is
 * not an error: there are just no plugins.
 */
void
cc_proxy_registry_load_modules (CcProxyRegistry *self,
                                const char      *directory)
{
  GIOExtensionPoint *point = ensure_extension_point ();
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  const char *name;

  if (!g_ptr_array_find_with_equal_func (self->directories, directory, g_str_equal, NULL))
    g_ptr_array_add (self->directories, g_strdup (directory));
  dir = g_dir_open (directory, 0, &error);
  if (dir == NULL)
    {
      g_debug ("No provider modules in %s: %s", directory, error->message);
      return;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, "." G_MODULE_SUFFIX))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    load_module_from (self, point, directory, g_ptr_array_index (names, i));
}

/**
 * cc_proxy_registry_rescan:
 * @self: a registry
 *
 * Looks again in every directory modules were loaded from, and loads the
 * modules that were not there before. Modules already loaded (or tried)
 * stay as they are: the type system cannot unload them.
 *
 * Returns: how many providers were added
 */
guint
cc_proxy_registry_rescan (CcProxyRegistry *self)
{
  guint before = self->providers->len;

  /* A directory already listed is not added again while we go. */
  for (guint i = 0; i < self->directories->len; i++)
    cc_proxy_registry_load_modules (self, g_ptr_array_index (self->directories, i));
  return self->providers->len - before;
}

/**
 * cc_proxy_registry_load_module:
 * @self: a registry
 * @directory: where the module is
 * @name: its file name
 *
 * Loads one module, with the same checks as a directory scan.
 */
void
cc_proxy_registry_load_module (CcProxyRegistry *self,
                               const char      *directory,
                               const char      *name)
{
  load_module_from (self, ensure_extension_point (), directory, name);
}

/**
 * cc_proxy_registry_set_host_program:
 * @program: (nullable): the cc-proxy-provider-host executable, or %NULL
 *   to load modules into this process
 *
 * From now on, modules are not loaded here but each in a host process
 * running @program; see #CcProxyRemoteProvider.
 */
void
cc_proxy_registry_set_host_program (CcProxyRegistry *self,
                                    const char      *program)
{
  g_free (self->host_program);
  self->host_program = g_strdup (program);
}

/**
 * cc_proxy_registry_lookup:
 *
 * Returns: (transfer none) (nullable): the provider with @id
 */
CcProxyProvider *
cc_proxy_registry_lookup (CcProxyRegistry *self,
                          const char      *id)
{
  return id ? g_hash_table_lookup (self->by_id, id) : NULL;
}

/**
 * cc_proxy_registry_get_providers:
 *
 * Returns: (transfer none) (element-type CcProxyProvider): every healthy
 *   provider, the built-in one first
 */
GPtrArray *
cc_proxy_registry_get_providers (CcProxyRegistry *self)
{
  return self->providers;
}

/**
 * cc_proxy_registry_get_load_errors:
 *
 * Returns: (transfer none) (element-type utf8 utf8): module file name →
 *   why it was not loaded
 */
GHashTable *
cc_proxy_registry_get_load_errors (CcProxyRegistry *self)
{
  return self->load_errors;
}

/**
 * cc_proxy_registry_dup_known_ids:
 *
 * Returns: (transfer full): the provider ids, comma-separated, for
 *   error messages
 */
char *
cc_proxy_registry_dup_known_ids (CcProxyRegistry *self)
{
  GString *ids = g_string_new (NULL);

  for (guint i = 0; i < self->providers->len; i++)
    g_string_append_printf (ids, "%s%s", i ? ", " : "",
                            cc_proxy_provider_get_id (g_ptr_array_index (self->providers, i)));
  return g_string_free (ids, FALSE);
}

/**
 * cc_proxy_registry_get_kind:
 *
 * Returns: what module serves @provider: its own id, or for an
 *   instance, its kind's
 */
const char *
cc_proxy_registry_get_kind (CcProxyProvider *provider)
{
  if (CC_PROXY_IS_REMOTE_PROVIDER (provider))
    return cc_proxy_remote_provider_get_kind (CC_PROXY_REMOTE_PROVIDER (provider));
  return cc_proxy_provider_get_id (provider);
}

gboolean
cc_proxy_registry_is_instance (CcProxyProvider *provider)
{
  return CC_PROXY_IS_REMOTE_PROVIDER (provider) &&
         cc_proxy_remote_provider_is_instance (CC_PROXY_REMOTE_PROVIDER (provider));
}

/* A module's own provider that instances can be made of. */
static CcProxyRemoteProvider *
lookup_kind (CcProxyRegistry *self,
             const char      *kind)
{
  CcProxyProvider *provider = cc_proxy_registry_lookup (self, kind);

  if (provider == NULL || !CC_PROXY_IS_REMOTE_PROVIDER (provider) || cc_proxy_registry_is_instance (provider))
    return NULL;
  return CC_PROXY_REMOTE_PROVIDER (provider);
}

/**
 * cc_proxy_registry_dup_kinds:
 *
 * Returns: (transfer full): the kinds instances can be made of,
 *   comma-separated, for error messages
 */
char *
cc_proxy_registry_dup_kinds (CcProxyRegistry *self)
{
  GString *kinds = g_string_new (NULL);

  for (guint i = 0; i < self->providers->len; i++)
    {
      const char *id = cc_proxy_provider_get_id (g_ptr_array_index (self->providers, i));

      if (lookup_kind (self, id) != NULL)
        g_string_append_printf (kinds, "%s%s", kinds->len ? ", " : "", id);
    }
  return g_string_free (kinds, FALSE);
}

/**
 * cc_proxy_registry_check_instance:
 * @kind: a module's provider id
 * @name: the instance's name
 *
 * Whether an instance @name of @kind can be added: a module that runs
 * in a host (instances are hosts of their own), and a name of lower-case
 * letters, digits and dashes, starting with a letter, that no provider
 * has.
 */
gboolean
cc_proxy_registry_check_instance (CcProxyRegistry  *self,
                                  const char       *kind,
                                  const char       *name,
                                  GError          **error)
{
  gsize length = strlen (name);

  if (lookup_kind (self, kind) == NULL)
    {
      g_autofree char *kinds = cc_proxy_registry_dup_kinds (self);

      if (cc_proxy_registry_lookup (self, kind) != NULL)
        g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_UNKNOWN_KIND,
                     _("Provider “%s” has no instances: only modules that run in a provider host do "
                       "(the kinds are: %s)"), kind, kinds[0] ? kinds : _("none"));
      else
        g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_UNKNOWN_KIND,
                     _("There is no provider kind “%s” (the kinds are: %s)"), kind, kinds[0] ? kinds : _("none"));
      return FALSE;
    }
  if (length == 0 || length > INSTANCE_NAME_MAX || !g_ascii_islower (name[0]) ||
      strspn (name, "abcdefghijklmnopqrstuvwxyz0123456789-") != length)
    {
      g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_INVALID_NAME,
                   _("“%s” cannot name an instance: use up to %d lower-case letters, digits and dashes, "
                     "starting with a letter"), name, INSTANCE_NAME_MAX);
      return FALSE;
    }
  if (cc_proxy_registry_lookup (self, name) != NULL)
    {
      g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_DUPLICATE_ID,
                   _("There is a provider “%s” already"), name);
      return FALSE;
    }
  return TRUE;
}

/**
 * cc_proxy_registry_add_instance:
 *
 * Adds an instance @name of @kind (see cc_proxy_registry_check_instance())
 * and says so with #CcProxyRegistry::instance-added.
 */
gboolean
cc_proxy_registry_add_instance (CcProxyRegistry  *self,
                                const char       *kind,
                                const char       *name,
                                GError          **error)
{
  CcProxyProvider *provider;

  if (!cc_proxy_registry_check_instance (self, kind, name, error))
    return FALSE;
  provider = cc_proxy_remote_provider_new_instance (lookup_kind (self, kind), name, error);
  if (provider == NULL || !add_provider (self, provider, error))
    return FALSE;
  g_signal_emit (self, signals[SIGNAL_INSTANCE_ADDED], 0, provider);
  return TRUE;
}

/**
 * cc_proxy_registry_remove_instance:
 *
 * Removes the instance @name and says so with
 * #CcProxyRegistry::instance-removed. A module's own provider cannot be
 * removed.
 */
gboolean
cc_proxy_registry_remove_instance (CcProxyRegistry  *self,
                                   const char       *name,
                                   GError          **error)
{
  CcProxyProvider *provider = cc_proxy_registry_lookup (self, name);
  g_autoptr(CcProxyProvider) removed = NULL;

  if (provider == NULL || !cc_proxy_registry_is_instance (provider))
    {
      g_set_error (error, CC_PROXY_REGISTRY_ERROR, CC_PROXY_REGISTRY_ERROR_NOT_AN_INSTANCE,
                   provider ? _("“%s” is not an instance: a provider module's own provider stays as long as its module")
                            : _("There is no instance “%s”"), name);
      return FALSE;
    }
  removed = g_object_ref (provider);
  g_hash_table_remove (self->by_id, name);
  g_ptr_array_remove (self->providers, provider);
  g_signal_emit (self, signals[SIGNAL_INSTANCE_REMOVED], 0, removed);
  return TRUE;
}
