/* cc-proxy-dbus-interface.c: one interface of cc-proxyd's, as a
 * GDBusInterfaceSkeleton
 *
 * The service answers calls and property reads itself, through a
 * GDBusInterfaceVTable and its own user data. Wrapped in a skeleton, an
 * interface can go into a GDBusObjectSkeleton and be published by a
 * GDBusObjectManagerServer, which lists its properties in
 * GetManagedObjects and InterfacesAdded: they are read through the same
 * vtable, so the two views never disagree.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cc-proxy-dbus-interface.h"

struct _CcProxyDBusInterface
{
  GDBusInterfaceSkeleton      parent_instance;
  GDBusInterfaceInfo         *info;
  const GDBusInterfaceVTable *vtable;
  gpointer                    user_data;
};

G_DEFINE_FINAL_TYPE (CcProxyDBusInterface, cc_proxy_dbus_interface, G_TYPE_DBUS_INTERFACE_SKELETON)

/* GDBus hands the skeleton to the vtable; the service wants its own data. */
static void
forward_method_call (GDBusConnection       *connection,
                     const char            *sender,
                     const char            *object_path,
                     const char            *interface_name,
                     const char            *method_name,
                     GVariant              *parameters,
                     GDBusMethodInvocation *invocation,
                     gpointer               user_data)
{
  CcProxyDBusInterface *self = user_data;

  self->vtable->method_call (connection, sender, object_path, interface_name, method_name, parameters,
                             invocation, self->user_data);
}

static GVariant *
forward_get_property (GDBusConnection  *connection,
                      const char       *sender,
                      const char       *object_path,
                      const char       *interface_name,
                      const char       *property_name,
                      GError          **error,
                      gpointer          user_data)
{
  CcProxyDBusInterface *self = user_data;

  return self->vtable->get_property (connection, sender, object_path, interface_name, property_name, error,
                                     self->user_data);
}

static gboolean
forward_set_property (GDBusConnection  *connection,
                      const char       *sender,
                      const char       *object_path,
                      const char       *interface_name,
                      const char       *property_name,
                      GVariant         *value,
                      GError          **error,
                      gpointer          user_data)
{
  CcProxyDBusInterface *self = user_data;

  if (self->vtable->set_property == NULL)
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_PROPERTY_READ_ONLY, "%s is read-only", property_name);
      return FALSE;
    }
  return self->vtable->set_property (connection, sender, object_path, interface_name, property_name, value,
                                     error, self->user_data);
}

static GDBusInterfaceInfo *
cc_proxy_dbus_interface_get_info (GDBusInterfaceSkeleton *skeleton)
{
  return CC_PROXY_DBUS_INTERFACE (skeleton)->info;
}

static GDBusInterfaceVTable *
cc_proxy_dbus_interface_get_vtable (GDBusInterfaceSkeleton *skeleton)
{
  static GDBusInterfaceVTable forward = { forward_method_call, forward_get_property, forward_set_property, { NULL } };

  return &forward;
}

/* Every readable property, for GetManagedObjects and InterfacesAdded:
 * read with no sender, so what is only for one caller stays hidden. */
static GVariant *
cc_proxy_dbus_interface_get_properties (GDBusInterfaceSkeleton *skeleton)
{
  CcProxyDBusInterface *self = CC_PROXY_DBUS_INTERFACE (skeleton);
  g_autoptr(GVariantBuilder) builder = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
  GDBusConnection *connection = g_dbus_interface_skeleton_get_connection (skeleton);
  const char *path = g_dbus_interface_skeleton_get_object_path (skeleton);

  for (guint i = 0; self->info->properties != NULL && self->info->properties[i] != NULL; i++)
    {
      GDBusPropertyInfo *property = self->info->properties[i];
      g_autoptr(GVariant) value = NULL;

      if (!(property->flags & G_DBUS_PROPERTY_INFO_FLAGS_READABLE))
        continue;
      value = self->vtable->get_property (connection, NULL, path, self->info->name, property->name, NULL,
                                          self->user_data);
      if (value != NULL)
        g_variant_ref_sink (value);
      if (value != NULL)
        g_variant_builder_add (builder, "{sv}", property->name, value);
    }
  return g_variant_builder_end (builder);
}

static void
cc_proxy_dbus_interface_flush (GDBusInterfaceSkeleton *skeleton)
{
  /* Nothing held back: the service sends PropertiesChanged as it goes. */
}

static void
cc_proxy_dbus_interface_finalize (GObject *object)
{
  CcProxyDBusInterface *self = CC_PROXY_DBUS_INTERFACE (object);

  g_dbus_interface_info_unref (self->info);
  G_OBJECT_CLASS (cc_proxy_dbus_interface_parent_class)->finalize (object);
}

static void
cc_proxy_dbus_interface_class_init (CcProxyDBusInterfaceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GDBusInterfaceSkeletonClass *skeleton_class = G_DBUS_INTERFACE_SKELETON_CLASS (klass);

  object_class->finalize = cc_proxy_dbus_interface_finalize;
  skeleton_class->get_info = cc_proxy_dbus_interface_get_info;
  skeleton_class->get_vtable = cc_proxy_dbus_interface_get_vtable;
  skeleton_class->get_properties = cc_proxy_dbus_interface_get_properties;
  skeleton_class->flush = cc_proxy_dbus_interface_flush;
}

static void
cc_proxy_dbus_interface_init (CcProxyDBusInterface *self)
{
}

/**
 * cc_proxy_dbus_interface_new:
 * @info: what the interface is
 * @vtable: (not nullable): how it is served
 * @user_data: what @vtable's functions get
 *
 * Returns: (transfer full): a skeleton to export or to add to an object
 */
CcProxyDBusInterface *
cc_proxy_dbus_interface_new (GDBusInterfaceInfo         *info,
                             const GDBusInterfaceVTable *vtable,
                             gpointer                    user_data)
{
  CcProxyDBusInterface *self = g_object_new (CC_PROXY_TYPE_DBUS_INTERFACE, NULL);

  self->info = g_dbus_interface_info_ref (info);
  self->vtable = vtable;
  self->user_data = user_data;
  return self;
}
