/*
 * Owner and mode of a macvtap's character device, /dev/tap<ifindex>.
 *
 * The host builds the path itself from a positive ifindex (the module never names a file), opens it
 * with O_PATH|O_NOFOLLOW (a symlink stays a symlink, a device is not opened for I/O), checks the type on
 * that descriptor and changes the owner through the same descriptor: nothing can swap the path between
 * the check and the chown.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "imports.h"

/* An O_PATH descriptor of /dev/tap<ifindex> known to be a character device, or -errno. */
static int open_tap(int32_t ifindex, struct stat *status) {
  if (ifindex <= 0) return -EINVAL;
  char path[32];
  snprintf(path, sizeof path, "/dev/tap%d", ifindex);
  int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -errno;
  int rc = fstatat(fd, "", status, AT_EMPTY_PATH) != 0 ? -errno
           : S_ISLNK(status->st_mode)                  ? -ELOOP
           : !S_ISCHR(status->st_mode)                 ? -ENODEV
                                                       : fd;
  if (rc < 0) close(fd);
  return rc;
}

/* uid/gid -1 leaves that id unchanged (as fchownat does); other negative values are refused. */
u32 Z_macvtap_hostZ_tap_chown(macvtap_host *imports, u32 ifindex, u32 uid, u32 gid) {
  (void)imports;
  if ((int32_t)uid < -1 || (int32_t)gid < -1) return (u32)-EINVAL;
  struct stat status;
  int fd = open_tap((int32_t)ifindex, &status);
  if (fd < 0) return (u32)fd;
  int rc = fchownat(fd, "", (uid_t)(int32_t)uid, (gid_t)(int32_t)gid, AT_EMPTY_PATH) == 0 ? 0 : -errno;
  close(fd);
  return (u32)rc;
}

/* u32 uid, u32 gid, u32 st_mode at `out`. */
u32 Z_macvtap_hostZ_tap_stat(macvtap_host *imports, u32 ifindex, u32 out) {
  module_span(imports->host, out, 12, "tap_stat result");
  struct stat status;
  int fd = open_tap((int32_t)ifindex, &status);
  if (fd < 0) return (u32)fd;
  close(fd);
  module_store_u32(imports->host, out, status.st_uid, "tap_stat result");
  module_store_u32(imports->host, out + 4, status.st_gid, "tap_stat result");
  module_store_u32(imports->host, out + 8, status.st_mode, "tap_stat result");
  return 0;
}
