/* cc-proxy-registry.h: the providers this service knows
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-proxy.h"

G_BEGIN_DECLS

#define CC_PROXY_REGISTRY_ERROR (cc_proxy_registry_error_quark ())

typedef enum {
  CC_PROXY_REGISTRY_ERROR_OPEN_FAILED,
  CC_PROXY_REGISTRY_ERROR_NO_LOAD_FUNCTION,
  CC_PROXY_REGISTRY_ERROR_API_VERSION,
  CC_PROXY_REGISTRY_ERROR_NOTHING_REGISTERED,
  CC_PROXY_REGISTRY_ERROR_FACTORY_FAILED,
  CC_PROXY_REGISTRY_ERROR_EMPTY_ID,
  CC_PROXY_REGISTRY_ERROR_DUPLICATE_ID,
  CC_PROXY_REGISTRY_ERROR_INVALID_DESCRIPTOR,
  CC_PROXY_REGISTRY_ERROR_INVALID_NAME,
  CC_PROXY_REGISTRY_ERROR_UNKNOWN_KIND,
  CC_PROXY_REGISTRY_ERROR_NOT_AN_INSTANCE,
} CcProxyRegistryError;

GQuark cc_proxy_registry_error_quark (void);

#define CC_PROXY_TYPE_REGISTRY (cc_proxy_registry_get_type ())
G_DECLARE_FINAL_TYPE (CcProxyRegistry, cc_proxy_registry, CC_PROXY, REGISTRY, GObject)

CcProxyRegistry *cc_proxy_registry_new              (void);
void             cc_proxy_registry_load_modules     (CcProxyRegistry *self,
                                                     const char      *directory);
void             cc_proxy_registry_load_module      (CcProxyRegistry *self,
                                                     const char      *directory,
                                                     const char      *name);
void             cc_proxy_registry_set_host_program (CcProxyRegistry *self,
                                                     const char      *program);
CcProxyProvider *cc_proxy_registry_lookup           (CcProxyRegistry *self,
                                                     const char      *id);
GPtrArray       *cc_proxy_registry_get_providers    (CcProxyRegistry *self);
GHashTable      *cc_proxy_registry_get_load_errors  (CcProxyRegistry *self);
char            *cc_proxy_registry_dup_known_ids    (CcProxyRegistry *self);
void             cc_proxy_registry_record_error     (CcProxyRegistry *self,
                                                     const char      *source,
                                                     const char      *message);

guint            cc_proxy_registry_rescan           (CcProxyRegistry *self);

gboolean         cc_proxy_registry_check_instance   (CcProxyRegistry  *self,
                                                     const char       *kind,
                                                     const char       *name,
                                                     GError          **error);
gboolean         cc_proxy_registry_add_instance     (CcProxyRegistry  *self,
                                                     const char       *kind,
                                                     const char       *name,
                                                     GError          **error);
gboolean         cc_proxy_registry_remove_instance  (CcProxyRegistry  *self,
                                                     const char       *name,
                                                     GError          **error);
const char      *cc_proxy_registry_get_kind         (CcProxyProvider  *provider);
gboolean         cc_proxy_registry_is_instance      (CcProxyProvider  *provider);
char            *cc_proxy_registry_dup_kinds        (CcProxyRegistry  *self);

G_END_DECLS
