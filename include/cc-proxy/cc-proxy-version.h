/* cc-proxy-version.h: which provider API a module was built against
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(CC_PROXY_INSIDE) && !defined(CC_PROXY_COMPILATION)
#error "Only <cc-proxy/cc-proxy.h> can be included directly."
#endif

#include <gmodule.h>

/**
 * CC_PROXY_EXPORT:
 *
 * Marks a declaration as part of libcc-proxy's ABI. The library is built
 * with hidden visibility: what these headers do not declare with it is
 * not exported, and a test keeps the two lists equal.
 */
#if defined(__GNUC__) || defined(__clang__)
#define CC_PROXY_EXPORT __attribute__((visibility ("default"))) extern
#else
#define CC_PROXY_EXPORT extern
#endif

/**
 * CC_PROXY_API_VERSION:
 *
 * The provider API these headers describe: the "2" of cc-proxy-2.pc and
 * libcc-proxy-2.so. It changes only when a change would break a module
 * built against the previous headers; see "Versions" in the plugin guide.
 */
#define CC_PROXY_API_VERSION 2

/**
 * CC_PROXY_PROVIDER_MODULE:
 *
 * Put once, at file scope, in a provider module. It exports the provider
 * API version the module is built against; cc-proxyd reads it before it
 * runs any of the module's code, and refuses a module without it or with
 * another version, with a load error that says which.
 */
#define CC_PROXY_PROVIDER_MODULE \
  G_MODULE_EXPORT extern const int cc_proxy_provider_module_api_version; \
  G_MODULE_EXPORT const int cc_proxy_provider_module_api_version = CC_PROXY_API_VERSION
