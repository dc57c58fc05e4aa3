/* cc-proxy-host-sandbox.c: what a provider host may touch
 *
 * A provider module is code from elsewhere that holds a login. Before
 * the host loads it, the host confines itself, for good (children
 * inherit it, nothing can lift it):
 *
 * - Landlock, files: read (and map as code) the system's libraries and
 *   data (/usr, /lib*), the module's folder and the library path, the
 *   few files of /etc that name resolution and TLS read, and the host's
 *   own /proc entry; write /dev/null. Nothing else: not the home folder
 *   (keys, the browser's profile), not other users' files, not /tmp.
 * - Landlock, network (ABI 4): no TCP port may be bound. Landlock
 *   restricts ports, not hosts, and not UDP: connecting to an upstream
 *   (any host, any port) and DNS stay open.
 * - Landlock, scopes (ABI 6): no connecting to abstract Unix sockets
 *   made outside the host, and no signals to processes outside it.
 * - seccomp: no new Unix sockets. Landlock (up to ABI 7) does not
 *   govern connect() to a named socket, and through the session bus
 *   (/run/user/UID/bus) the Secret Service hands out every keyring item
 *   of the user's; so do ssh-agent, gpg-agent and others.
 *
 * Each part applies as far as the kernel has it; what it lacks is said
 * in the description that cc-proxyctl status shows. docs/architecture.md
 * ("Confinement") has the same list.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE  /* O_PATH */
#define G_LOG_DOMAIN "cc-proxy-provider-host"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "cc-proxy-host-sandbox.h"

/* Debian 12's headers stop at Landlock ABI 2; the kernel may know more. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* struct landlock_ruleset_attr as of ABI 6; older kernels take the
 * first member or two (the size passed says which). */
typedef struct
{
  guint64 handled_access_fs;
  guint64 handled_access_net;
  guint64 scoped;
} RulesetAttr;

typedef struct __attribute__((packed))
{
  guint64 allowed_access;
  gint32  parent_fd;
} PathBeneathAttr;

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_EXECUTE)
#define FS_WRITE (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE)
/* What a rule on a file (not a folder) may grant. */
#define FS_FILE_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | \
                        LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | \
                        LANDLOCK_ACCESS_FS_IOCTL_DEV)

/* Read, and map as code. Missing ones are passed over. */
static const char * const read_paths[] = {
  "/usr", "/lib", "/lib64", "/lib32", "/libx32",
  /* TLS: certificates and crypto policy */
  "/etc/ssl", "/etc/ca-certificates", "/etc/pki", "/etc/crypto-policies", "/etc/gnutls", "/etc/pkcs11",
  /* names and addresses */
  "/etc/resolv.conf", "/run/systemd/resolve", "/etc/hosts", "/etc/host.conf", "/etc/nsswitch.conf",
  "/etc/gai.conf", "/etc/services", "/etc/protocols", "/etc/passwd", "/etc/group",
  /* the loader, time and locale */
  "/etc/ld.so.cache", "/etc/localtime", "/etc/mime.types",
  "/proc/self", "/sys/devices/system/cpu",
  "/dev/urandom", "/dev/random",
  LOCALEDIR,
};

static const char * const write_paths[] = {
  "/dev/null",
};

/* Environment variables that name more to read: libraries, GIO
 * modules, certificates. */
static const char * const read_path_variables[] = {
  "LD_LIBRARY_PATH", "GIO_MODULE_DIR", "GIO_EXTRA_MODULES", "SSL_CERT_FILE", "SSL_CERT_DIR",
};

static int
landlock_abi (void)
{
  return syscall (SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
}

static void
allow_path (int         ruleset,
            const char *path,
            guint64     access,
            guint64     handled)
{
  PathBeneathAttr rule;
  struct stat st;
  int fd;

  if (path == NULL || path[0] != '/')
    return;
  fd = open (path, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return;
  if (fstat (fd, &st) == 0 && !S_ISDIR (st.st_mode))
    access &= FS_FILE_RIGHTS;
  rule.allowed_access = access & handled;
  rule.parent_fd = fd;
  if (syscall (SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0)
    g_debug ("Landlock: no rule for %s: %s", path, g_strerror (errno));
  close (fd);
}

static void
allow_path_list (int         ruleset,
                 const char *list,
                 guint64     handled)
{
  g_auto(GStrv) paths = NULL;

  if (list == NULL)
    return;
  paths = g_strsplit (list, ":", -1);
  for (guint i = 0; paths[i] != NULL; i++)
    allow_path (ruleset, paths[i], FS_READ, handled);
}

/* The Landlock part; returns what it confines, or NULL with @why. */
static char *
apply_landlock (const char  *module_path,
                char       **why)
{
  RulesetAttr attr = { 0 };
  g_autofree char *module_dir = g_path_get_dirname (module_path);
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  g_autofree char *joined = NULL;
  gsize attr_size;
  int abi = landlock_abi ();
  int ruleset;

  if (abi < 0)
    {
      *why = g_strdup_printf (_("the kernel has no Landlock (%s)"), g_strerror (errno));
      return NULL;
    }

  /* Every right the kernel knows is handled: what no rule grants is denied. */
  attr.handled_access_fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;
  if (abi >= 2)
    attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3)
    attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
  if (abi >= 5)
    attr.handled_access_fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
  attr_size = sizeof attr.handled_access_fs;
  g_ptr_array_add (parts, (gpointer) _("files"));
  if (abi >= 4)
    {
      attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP;
      attr_size = offsetof (RulesetAttr, scoped);
      g_ptr_array_add (parts, (gpointer) _("no TCP listening"));
    }
  if (abi >= 6)
    {
      attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
      attr_size = sizeof attr;
      g_ptr_array_add (parts, (gpointer) _("no abstract sockets or signals outside"));
    }

  ruleset = syscall (SYS_landlock_create_ruleset, &attr, attr_size, 0);
  if (ruleset < 0)
    {
      *why = g_strdup_printf (_("no Landlock ruleset (%s)"), g_strerror (errno));
      return NULL;
    }
  for (guint i = 0; i < G_N_ELEMENTS (read_paths); i++)
    allow_path (ruleset, read_paths[i], FS_READ, attr.handled_access_fs);
  for (guint i = 0; i < G_N_ELEMENTS (write_paths); i++)
    allow_path (ruleset, write_paths[i], FS_READ | FS_WRITE, attr.handled_access_fs);
  for (guint i = 0; i < G_N_ELEMENTS (read_path_variables); i++)
    allow_path_list (ruleset, g_getenv (read_path_variables[i]), attr.handled_access_fs);
  allow_path (ruleset, module_dir, FS_READ, attr.handled_access_fs);
  /* Our own program, for whoever reads it back (a sanitizer's symbolizer). */
  {
    g_autofree char *program = g_file_read_link ("/proc/self/exe", NULL);
    g_autofree char *program_dir = program != NULL ? g_path_get_dirname (program) : NULL;

    allow_path (ruleset, program_dir, FS_READ, attr.handled_access_fs);
  }

  if (syscall (SYS_landlock_restrict_self, ruleset, 0) != 0)
    {
      *why = g_strdup_printf (_("Landlock refused the ruleset (%s)"), g_strerror (errno));
      close (ruleset);
      return NULL;
    }
  close (ruleset);
  g_ptr_array_add (parts, NULL);
  joined = g_strjoinv (", ", (char **) parts->pdata);
  return g_strdup_printf ("Landlock ABI %d (%s)", abi, joined);
}

#if defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#endif

/* The seccomp part: socket() and socketpair() fail with EACCES for
 * AF_UNIX; calls of any other architecture than ours fail, so that the
 * filter cannot be gone round. */
static gboolean
apply_seccomp (char **why)
{
#ifdef SECCOMP_ARCH
  struct sock_filter filter[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    /* x32 calls come with our architecture and this bit. */
    BPF_JUMP (BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 2, 0),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_socketpair, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    /* The domain, as the int the kernel reads from the first argument. */
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, args[0])),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = { G_N_ELEMENTS (filter), filter };

  if (prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) != 0)
    {
      *why = g_strdup_printf (_("no seccomp filter (%s)"), g_strerror (errno));
      return FALSE;
    }
  return TRUE;
#else
  *why = g_strdup (_("no seccomp filter for this architecture"));
  return FALSE;
#endif
}

/**
 * cc_proxy_host_sandbox_confine:
 * @module_path: the module about to be loaded
 *
 * Confines this process for good, as far as the kernel allows, and logs
 * what it could not do.
 *
 * Returns: (transfer full): the confinement, in words, for the status
 */
char *
cc_proxy_host_sandbox_confine (const char *module_path)
{
  g_autofree char *landlock_why = NULL;
  g_autofree char *seccomp_why = NULL;
  g_autofree char *landlock = NULL;
  gboolean seccomp;

  /* Both need it; cc-proxyd sets it at spawn already. */
  prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  landlock = apply_landlock (module_path, &landlock_why);
  seccomp = apply_seccomp (&seccomp_why);

  if (landlock_why != NULL)
    g_message (_("Provider host not confined by Landlock: %s"), landlock_why);
  if (seccomp_why != NULL)
    g_message (_("Provider host may open Unix sockets: %s"), seccomp_why);
  return g_strdup_printf ("%s; %s", landlock != NULL ? landlock : landlock_why,
                          seccomp ? _("no Unix sockets") : seccomp_why);
}
