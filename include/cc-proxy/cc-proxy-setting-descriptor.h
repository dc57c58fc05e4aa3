/* cc-proxy-setting-descriptor.h: one setting a provider declares
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(CC_PROXY_INSIDE) && !defined(CC_PROXY_COMPILATION)
#error "Only <cc-proxy/cc-proxy.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * CcProxySettingKind:
 * @CC_PROXY_SETTING_KIND_TEXT: free text (a string)
 * @CC_PROXY_SETTING_KIND_BOOL: a boolean
 * @CC_PROXY_SETTING_KIND_SELECT: one of a fixed list of options
 * @CC_PROXY_SETTING_KIND_INT: a whole number within a range, in a unit
 *   (see cc_proxy_setting_descriptor_new_int())
 * @CC_PROXY_SETTING_KIND_URL: an `http` or `https` address, or empty
 *
 * The type of a setting's value. It decides the GSettings type (`s`, `b`
 * or `i` with its range), what the bus shows, and what is refused when
 * set, from every door.
 */
typedef enum {
  CC_PROXY_SETTING_KIND_TEXT,
  CC_PROXY_SETTING_KIND_BOOL,
  CC_PROXY_SETTING_KIND_SELECT,
  CC_PROXY_SETTING_KIND_INT,
  CC_PROXY_SETTING_KIND_URL,
} CcProxySettingKind;

#define CC_PROXY_TYPE_SETTING_DESCRIPTOR (cc_proxy_setting_descriptor_get_type ())

/**
 * CcProxySettingDescriptor:
 *
 * An immutable, reference-counted description of one setting: the one
 * source from which GSettings schemas, the D-Bus view, environment
 * overrides and documentation are derived.
 */
typedef struct _CcProxySettingDescriptor CcProxySettingDescriptor;

CC_PROXY_EXPORT
GType                      cc_proxy_setting_descriptor_get_type        (void) G_GNUC_CONST;
CC_PROXY_EXPORT
CcProxySettingDescriptor  *cc_proxy_setting_descriptor_new             (const char          *key,
                                                                        const char          *label,
                                                                        const char          *description,
                                                                        CcProxySettingKind   kind,
                                                                        const char          *default_value,
                                                                        const char * const  *options,
                                                                        gboolean             secret,
                                                                        const char * const  *env_vars);
CC_PROXY_EXPORT
CcProxySettingDescriptor  *cc_proxy_setting_descriptor_new_int         (const char          *key,
                                                                        const char          *label,
                                                                        const char          *description,
                                                                        gint                 default_value,
                                                                        gint                 minimum,
                                                                        gint                 maximum,
                                                                        const char          *unit,
                                                                        const char * const  *env_vars);
CC_PROXY_EXPORT
CcProxySettingDescriptor  *cc_proxy_setting_descriptor_ref             (CcProxySettingDescriptor *self);
CC_PROXY_EXPORT
void                       cc_proxy_setting_descriptor_unref           (CcProxySettingDescriptor *self);
CC_PROXY_EXPORT
const char                *cc_proxy_setting_descriptor_get_key         (const CcProxySettingDescriptor *self);
CC_PROXY_EXPORT
const char                *cc_proxy_setting_descriptor_get_label       (const CcProxySettingDescriptor *self);
CC_PROXY_EXPORT
const char                *cc_proxy_setting_descriptor_get_description (const CcProxySettingDescriptor *self);
CC_PROXY_EXPORT
CcProxySettingKind         cc_proxy_setting_descriptor_get_kind        (const CcProxySettingDescriptor *self);
CC_PROXY_EXPORT
const char                *cc_proxy_setting_descriptor_get_default     (const CcProxySettingDescriptor *self);
CC_PROXY_EXPORT
const char * const        *cc_proxy_setting_descriptor_get_options     (const CcProxySettingDescriptor *self);
CC_PROXY_EXPORT
gboolean                   cc_proxy_setting_descriptor_is_secret       (const CcProxySettingDescriptor *self);
CC_PROXY_EXPORT
gboolean                   cc_proxy_setting_descriptor_get_range       (const CcProxySettingDescriptor *self,
                                                                        gint                           *minimum,
                                                                        gint                           *maximum);
CC_PROXY_EXPORT
const char                *cc_proxy_setting_descriptor_get_unit        (const CcProxySettingDescriptor *self);
CC_PROXY_EXPORT
const GVariantType        *cc_proxy_setting_descriptor_get_value_type  (const CcProxySettingDescriptor *self);
CC_PROXY_EXPORT
const char * const        *cc_proxy_setting_descriptor_get_env_vars    (const CcProxySettingDescriptor *self);
CC_PROXY_EXPORT
char                      *cc_proxy_setting_descriptor_normalize       (const CcProxySettingDescriptor *self,
                                                                        const char                     *value,
                                                                        GError                        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CcProxySettingDescriptor, cc_proxy_setting_descriptor_unref)

G_END_DECLS
