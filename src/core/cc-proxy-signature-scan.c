/* cc-proxy-signature-scan.c: the thinking signatures in a body or stream
 *
 * A thinking block's signature is accepted only by the provider that
 * made it. To tell whose a signature is when a conversation moves, the
 * daemon notes the signatures each provider's answers carry, and finds
 * them again in later requests. Both sides read the bytes as they are,
 * a piece at a time (a stream splits anywhere): a "signature" member's
 * string value, hashed as it goes by, nothing kept. Escaped quotes do
 * not match, so text that mentions a signature is not one.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "cc-proxy-signature-scan.h"

static const char needle[] = "\"signature\"";
#define NEEDLE_LEN (sizeof needle - 1)

/* FNV-1a, 64 bits: enough that two signatures of one daemon's life do
 * not collide, and it runs a byte at a time. */
#define FNV_OFFSET G_GUINT64_CONSTANT (0xcbf29ce484222325)
#define FNV_PRIME  G_GUINT64_CONSTANT (0x100000001b3)

typedef enum {
  SEEK,         /* matching the needle; pos is how much matched */
  BEFORE_COLON,
  BEFORE_VALUE,
  IN_VALUE,
} State;

struct _CcProxySignatureScan
{
  State                 state;
  guint                 pos;
  gboolean              escaped;
  guint64               hash;
  gsize                 length;
  CcProxySignatureFunc  func;
  gpointer              user_data;
  GDestroyNotify        destroy;
};

/* Signatures are a few KB; anything longer is not one to remember. */
#define MAX_SIGNATURE (1024 * 1024)

CcProxySignatureScan *
cc_proxy_signature_scan_new (CcProxySignatureFunc func,
                             gpointer             user_data,
                             GDestroyNotify       destroy)
{
  CcProxySignatureScan *self = g_new0 (CcProxySignatureScan, 1);

  self->func = func;
  self->user_data = user_data;
  self->destroy = destroy;
  return self;
}

void
cc_proxy_signature_scan_free (CcProxySignatureScan *self)
{
  if (self->destroy != NULL)
    self->destroy (self->user_data);
  g_free (self);
}

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void
cc_proxy_signature_scan_feed (CcProxySignatureScan *self,
                              const char           *data,
                              gsize                 len)
{
  const char *p = data;
  const char *end = data + len;

  while (p < end)
    {
      char c = *p;

      switch (self->state)
        {
        case SEEK:
          if (self->pos == 0)
            {
              /* Most bytes are not a quote: skip to the next one. */
              const char *quote = memchr (p, '"', end - p);

              if (quote == NULL)
                return;
              p = quote + 1;
              self->pos = 1;
              continue;
            }
          if (c == needle[self->pos])
            {
              if (++self->pos == NEEDLE_LEN)
                {
                  self->state = BEFORE_COLON;
                  self->pos = 0;
                }
            }
          else
            {
              /* A quote may start the needle again. */
              self->pos = c == '"' ? 1 : 0;
            }
          break;

        case BEFORE_COLON:
          if (c == ':')
            self->state = BEFORE_VALUE;
          else if (!is_space (c))
            self->state = SEEK;
          break;

        case BEFORE_VALUE:
          if (c == '"')
            {
              self->state = IN_VALUE;
              self->hash = FNV_OFFSET;
              self->length = 0;
              self->escaped = FALSE;
            }
          else if (!is_space (c))
            {
              self->state = SEEK;
              continue;
            }
          break;

        case IN_VALUE:
          if (c == '"' && !self->escaped)
            {
              if (self->length > 0 && self->length <= MAX_SIGNATURE)
                self->func (self->hash, self->user_data);
              self->state = SEEK;
              break;
            }
          self->escaped = c == '\\' && !self->escaped;
          self->hash = (self->hash ^ (guchar) c) * FNV_PRIME;
          self->length++;
          break;

        default:
          g_assert_not_reached ();
        }
      p++;
    }
}

/**
 * cc_proxy_signature_hash:
 * @value: a signature, as the bytes between its quotes
 * @len: its length, or -1 when NUL-terminated
 *
 * Returns: the hash a scan reports for @value
 */
guint64
cc_proxy_signature_hash (const char *value,
                         gssize      len)
{
  guint64 hash = FNV_OFFSET;
  gsize n = len < 0 ? strlen (value) : (gsize) len;

  for (gsize i = 0; i < n; i++)
    hash = (hash ^ (guchar) value[i]) * FNV_PRIME;
  return hash;
}

/* The signatures in one whole body. */
void
cc_proxy_signatures_in (const char           *data,
                        gsize                 len,
                        CcProxySignatureFunc  func,
                        gpointer              user_data)
{
  CcProxySignatureScan scan = { SEEK, 0, FALSE, 0, 0, func, user_data, NULL };

  cc_proxy_signature_scan_feed (&scan, data, len);
}
