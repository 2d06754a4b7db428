/**
 * Owner and mode of a macvtap's character device, /dev/tap<ifindex>.
 *
 * The host builds the path itself from a positive ifindex (the module never
 * names a file), opens it with O_PATH|O_NOFOLLOW (a symlink stays a symlink, a
 * device is not opened for I/O), checks the type on that descriptor, and
 * changes the owner through the same descriptor: no window in which the path
 * could be swapped between the check and the chown.
 *
 * Requires `--allow-ffi=<libc path>`.
 *
 * @module
 */
import {
  AT_EMPTY_PATH,
  EINVAL,
  ELOOP,
  ENODEV,
  O_CLOEXEC,
  O_NOFOLLOW,
  O_PATH,
  S_IFCHR,
  S_IFLNK,
  S_IFMT,
  STATX_GID,
  STATX_GID_OFFSET,
  STATX_MODE,
  STATX_MODE_OFFSET,
  STATX_SIZE,
  STATX_TYPE,
  STATX_UID,
  STATX_UID_OFFSET,
} from "./kernel.ts";
import { cString, type Libc } from "./libc.ts";

/** What tap_stat reports. */
export interface TapStat {
  /** Owner uid. */
  uid: number;
  /** Owner gid. */
  gid: number;
  /** st_mode: type and permission bits. */
  mode: number;
}

/** Device node path of a macvtap, or null when `ifindex` is not a positive integer. */
export function tapPath(ifindex: number): string | null {
  return Number.isInteger(ifindex) && ifindex > 0 ? `/dev/tap${ifindex}` : null;
}

/**
 * Owner and mode of /dev/tap<ifindex>.
 *
 * @returns the stat, or -EINVAL (bad ifindex), -ENOENT (no node), -ELOOP (symlink), -ENODEV (not a char device)
 */
export function tapStat(libc: Libc, ifindex: number): TapStat | number {
  const fd = openTapDevice(libc, ifindex);
  if (fd < 0) return fd;
  try {
    return statDevice(libc, fd);
  } finally {
    libc.core.close(fd);
  }
}

/**
 * Changes the owner of /dev/tap<ifindex>; -1 keeps the uid or gid as it is.
 *
 * @returns 0, or the errors of {@link tapStat}, or -EPERM/-errno from fchownat
 */
export function tapChown(libc: Libc, ifindex: number, uid: number, gid: number): number {
  if (!isOwnerId(uid) || !isOwnerId(gid)) return -EINVAL;
  const fd = openTapDevice(libc, ifindex);
  if (fd < 0) return fd;
  try {
    const stat = statDevice(libc, fd);
    if (typeof stat === "number") return stat;
    return libc.check(libc.files.fchownat(fd, EMPTY_PATH, uid >>> 0, gid >>> 0, AT_EMPTY_PATH));
  } finally {
    libc.core.close(fd);
  }
}

const EMPTY_PATH = cString("");

/** -1 (unchanged) or a valid uid/gid below 2^32-1. */
function isOwnerId(id: number): boolean {
  return Number.isInteger(id) && id >= -1 && id < 0xffffffff;
}

function openTapDevice(libc: Libc, ifindex: number): number {
  const path = tapPath(ifindex);
  if (path === null) return -EINVAL;
  return libc.check(libc.core.open(cString(path), O_PATH | O_NOFOLLOW | O_CLOEXEC, 0));
}

/** statx on the O_PATH fd; refuses symlinks (-ELOOP) and anything but a character device (-ENODEV). */
function statDevice(libc: Libc, fd: number): TapStat | number {
  const buffer = new Uint8Array(STATX_SIZE);
  const mask = STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID;
  const result = libc.check(libc.files.statx(fd, EMPTY_PATH, AT_EMPTY_PATH, mask, buffer));
  if (result < 0) return result;
  const view = new DataView(buffer.buffer);
  const mode = view.getUint16(STATX_MODE_OFFSET, true);
  if ((mode & S_IFMT) === S_IFLNK) return -ELOOP;
  if ((mode & S_IFMT) !== S_IFCHR) return -ENODEV;
  return {
    uid: view.getUint32(STATX_UID_OFFSET, true),
    gid: view.getUint32(STATX_GID_OFFSET, true),
    mode,
  };
}
