/* cc-proxy-dbus-interface.c: generated skeletons served with the
 * documented interface description
 *
 * cc-proxyd's objects are subclasses of gdbus-codegen skeletons: typed
 * properties that send PropertiesChanged by themselves, and a handle-*
 * signal per method. gdbus-codegen leaves the org.gtk.GDBus.DocString
 * annotations out of the interface info it generates, so the subclasses
 * publish the documented copy the build compiles in. Calls then arrive
 * carrying that copy's method info, which the generated dispatcher
 * cannot read: they are dispatched here to the same handle-* signals,
 * from the call's name and arguments. (For the same reason the objects
 * are plain GDBusObjectSkeletons: the generated object type reads its
 * interfaces' info as its own.)
 *
 * Reads and writes go through the subclass's hooks first: a property
 * kept elsewhere is brought up to date when read, a value meant for one
 * caller is hidden from the others, and a bad write is refused with an
 * error (the generated skeleton accepts any).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-proxy-dbus-interface.h"
#include "cc-proxy-dbus-resources.h"

static const GDBusErrorEntry error_entries[] = {
  { CC_PROXY_DBUS_ERROR_FAILED, "org.ccproxy.Proxy1.Error.Failed" },
  { CC_PROXY_DBUS_ERROR_UNKNOWN_PROVIDER, "org.ccproxy.Proxy1.Error.UnknownProvider" },
  { CC_PROXY_DBUS_ERROR_UNKNOWN_SETTING, "org.ccproxy.Proxy1.Error.UnknownSetting" },
  { CC_PROXY_DBUS_ERROR_INVALID_VALUE, "org.ccproxy.Proxy1.Error.InvalidValue" },
  { CC_PROXY_DBUS_ERROR_KEYRING_UNAVAILABLE, "org.ccproxy.Proxy1.Error.KeyringUnavailable" },
  { CC_PROXY_DBUS_ERROR_AUTH_FAILED, "org.ccproxy.Proxy1.Error.AuthFailed" },
};

GQuark
cc_proxy_dbus_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("cc-proxy-dbus-error-quark", &quark,
                                      error_entries, G_N_ELEMENTS (error_entries));
  return (GQuark) quark;
}

/**
 * cc_proxy_dbus_error_from_settings:
 * @error: an error of the settings
 *
 * Returns: (transfer full): @error as the bus names it
 */
GError *
cc_proxy_dbus_error_from_settings (const GError *error)
{
  CcProxyDBusError code = CC_PROXY_DBUS_ERROR_FAILED;

  if (error->domain == CC_PROXY_SETTINGS_ERROR)
    {
      switch ((CcProxySettingsError) error->code)
        {
        case CC_PROXY_SETTINGS_ERROR_UNKNOWN_PROVIDER:
          code = CC_PROXY_DBUS_ERROR_UNKNOWN_PROVIDER;
          break;
        case CC_PROXY_SETTINGS_ERROR_UNKNOWN_SETTING:
          code = CC_PROXY_DBUS_ERROR_UNKNOWN_SETTING;
          break;
        case CC_PROXY_SETTINGS_ERROR_KEYRING_UNAVAILABLE:
          code = CC_PROXY_DBUS_ERROR_KEYRING_UNAVAILABLE;
          break;
        case CC_PROXY_SETTINGS_ERROR_INVALID_VALUE:
        default:
          code = CC_PROXY_DBUS_ERROR_INVALID_VALUE;
          break;
        }
    }
  return g_error_new_literal (CC_PROXY_DBUS_ERROR, code, error->message);
}

/* Ends a call the settings answered: done, or refused in their words. */
void
cc_proxy_dbus_complete_settings_call (GDBusMethodInvocation *invocation,
                                      gboolean               done,
                                      const GError          *error)
{
  if (done)
    g_dbus_method_invocation_return_value (invocation, NULL);
  else
    g_dbus_method_invocation_take_error (invocation, cc_proxy_dbus_error_from_settings (error));
}

static gpointer
parse_description (gpointer data)
{
  g_autoptr(GBytes) xml = g_resource_lookup_data (cc_proxy_dbus_get_resource (),
                                                  "/org/ccproxy/Proxy1/org.ccproxy.Proxy1.xml",
                                                  G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_autoptr(GError) error = NULL;
  GDBusNodeInfo *node = g_dbus_node_info_new_for_xml (g_bytes_get_data (xml, NULL), &error);

  /* Built in and checked by the build: failing here is a packaging bug. */
  g_assert_no_error (error);
  return node;
}

typedef struct
{
  CcProxyDBusReadFunc  read;
  CcProxyDBusWriteFunc write;
} Hooks;

static GQuark
hooks_quark (void)
{
  return g_quark_from_static_string ("cc-proxy-dbus-interface-hooks");
}

static Hooks *
hooks_of (gpointer skeleton)
{
  return g_type_get_qdata (G_OBJECT_TYPE (skeleton), hooks_quark ());
}

/* The generated skeleton the subclass derives from. */
static GDBusInterfaceSkeletonClass *
generated_class (gpointer skeleton)
{
  return g_type_class_peek_parent (G_OBJECT_GET_CLASS (skeleton));
}

/* The documented copy of the interface the generated code serves, read
 * once and kept for the life of the process, as generated info is. */
static GDBusInterfaceInfo *
documented_get_info (GDBusInterfaceSkeleton *skeleton)
{
  static GOnce once = G_ONCE_INIT;
  const char *name = generated_class (skeleton)->get_info (skeleton)->name;
  GDBusInterfaceInfo *info;

  g_once (&once, parse_description, NULL);
  info = g_dbus_node_info_lookup_interface (once.retval, name);
  g_assert (info != NULL);
  return info;
}

/* "GetClientEnvironment" → "handle-get-client-environment", as
 * gdbus-codegen names the signal. */
static char *
handler_signal_name (const char *method_name)
{
  GString *name = g_string_new ("handle-");

  for (const char *c = method_name; *c != '\0'; c++)
    {
      if (g_ascii_isupper (*c) && c != method_name)
        g_string_append_c (name, '-');
      g_string_append_c (name, g_ascii_tolower (*c));
    }
  return g_string_free (name, FALSE);
}

/* Emits the generated handle-* signal of the method, with its arguments
 * as the generated code passes them. */
static void
documented_method_call (GDBusConnection       *connection,
                        const char            *sender,
                        const char            *object_path,
                        const char            *interface_name,
                        const char            *method_name,
                        GVariant              *parameters,
                        GDBusMethodInvocation *invocation,
                        gpointer               user_data)
{
  GObject *skeleton = user_data;
  g_autofree char *signal_name = handler_signal_name (method_name);
  guint signal_id = g_signal_lookup (signal_name, G_OBJECT_TYPE (skeleton));
  gsize n_args = g_variant_n_children (parameters);
  GSignalQuery query = { 0, };
  g_autofree GValue *values = NULL;
  GValue handled = G_VALUE_INIT;

  if (signal_id != 0)
    g_signal_query (signal_id, &query);
  /* GDBus checked the arguments against the same description. */
  if (signal_id == 0 || query.n_params != n_args + 1)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                             "No method %s on %s", method_name, interface_name);
      return;
    }

  values = g_new0 (GValue, n_args + 2);
  g_value_init (&values[0], G_OBJECT_TYPE (skeleton));
  g_value_set_object (&values[0], skeleton);
  g_value_init (&values[1], G_TYPE_DBUS_METHOD_INVOCATION);
  g_value_set_object (&values[1], invocation);
  for (gsize i = 0; i < n_args; i++)
    {
      g_autoptr(GVariant) arg = g_variant_get_child_value (parameters, i);

      if ((query.param_types[i + 1] & ~G_SIGNAL_TYPE_STATIC_SCOPE) == G_TYPE_VARIANT)
        {
          g_value_init (&values[i + 2], G_TYPE_VARIANT);
          g_value_set_variant (&values[i + 2], arg);
        }
      else
        g_dbus_gvariant_to_gvalue (arg, &values[i + 2]);
    }
  g_value_init (&handled, G_TYPE_BOOLEAN);
  g_signal_emitv (values, signal_id, 0, &handled);
  if (!g_value_get_boolean (&handled))
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                           "%s is not implemented on %s", method_name, interface_name);
  for (gsize i = 0; i < n_args + 2; i++)
    g_value_unset (&values[i]);
}

static GVariant *
documented_get_property (GDBusConnection  *connection,
                         const char       *sender,
                         const char       *object_path,
                         const char       *interface_name,
                         const char       *property_name,
                         GError          **error,
                         gpointer          user_data)
{
  Hooks *hooks = hooks_of (user_data);
  GVariant *value = hooks->read != NULL ? hooks->read (user_data, sender, property_name) : NULL;

  if (value != NULL)
    return value;
  return generated_class (user_data)->get_vtable (user_data)->get_property (connection, sender, object_path,
                                                                            interface_name, property_name, error,
                                                                            user_data);
}

static gboolean
documented_set_property (GDBusConnection  *connection,
                         const char       *sender,
                         const char       *object_path,
                         const char       *interface_name,
                         const char       *property_name,
                         GVariant         *value,
                         GError          **error,
                         gpointer          user_data)
{
  Hooks *hooks = hooks_of (user_data);

  if (hooks->write != NULL)
    return hooks->write (user_data, property_name, value, error);
  return generated_class (user_data)->get_vtable (user_data)->set_property (connection, sender, object_path,
                                                                            interface_name, property_name, value,
                                                                            error, user_data);
}

static GDBusInterfaceVTable *
documented_get_vtable (GDBusInterfaceSkeleton *skeleton)
{
  static GDBusInterfaceVTable vtable = {
    documented_method_call, documented_get_property, documented_set_property, { NULL }
  };

  return &vtable;
}

/* Every readable property, for GetManagedObjects and InterfacesAdded,
 * read as the bus reads them but by no one in particular: what is for
 * one caller only stays hidden. */
static GVariant *
documented_get_properties (GDBusInterfaceSkeleton *skeleton)
{
  GDBusInterfaceInfo *info = g_dbus_interface_skeleton_get_info (skeleton);
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  for (guint i = 0; info->properties != NULL && info->properties[i] != NULL; i++)
    {
      GDBusPropertyInfo *property = info->properties[i];
      g_autoptr(GVariant) value = NULL;

      if (!(property->flags & G_DBUS_PROPERTY_INFO_FLAGS_READABLE))
        continue;
      value = documented_get_property (g_dbus_interface_skeleton_get_connection (skeleton), NULL,
                                       g_dbus_interface_skeleton_get_object_path (skeleton), info->name,
                                       property->name, NULL, skeleton);
      if (value != NULL)
        g_variant_builder_add (&builder, "{sv}", property->name, g_variant_take_ref (value));
    }
  return g_variant_builder_end (&builder);
}

/**
 * cc_proxy_dbus_interface_class_init:
 * @klass: the class of a direct subclass of a generated skeleton
 * @read: (nullable): comes before each read of a property
 * @write: (nullable): takes each write of a property
 *
 * Makes @klass publish the documented interface and serve it through
 * the generated skeleton, with @read and @write in front.
 */
void
cc_proxy_dbus_interface_class_init (GDBusInterfaceSkeletonClass *klass,
                                    CcProxyDBusReadFunc          read,
                                    CcProxyDBusWriteFunc         write)
{
  /* Class data: it lives as long as the type does. */
  Hooks *hooks = g_new0 (Hooks, 1);

  hooks->read = read;
  hooks->write = write;
  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), hooks_quark (), hooks);
  klass->get_info = documented_get_info;
  klass->get_vtable = documented_get_vtable;
  klass->get_properties = documented_get_properties;
}
