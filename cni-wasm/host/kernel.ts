/**
 * Kernel and libc constants the host passes to libc, kept in their kernel
 * spelling so `grep` finds them in the uapi headers. Values are the same on
 * x86_64 and aarch64 unless a per-architecture table says otherwise.
 *
 * @module
 */

/** errno values (asm-generic/errno-base.h, asm-generic/errno.h). */
export const EPERM = 1;
/** No such file or directory. */
export const ENOENT = 2;
/** Interrupted system call. */
export const EINTR = 4;
/** Argument list too long (used for an IPAM stdin larger than a pipe can hold). */
export const E2BIG = 7;
/** Bad file descriptor (also: unknown handle). */
export const EBADF = 9;
/** Try again (also: receive timeout). */
export const EAGAIN = 11;
/** Bad address (a pointer/length outside the module's memory). */
export const EFAULT = 14;
/** No such device (a /dev path that is not a character device). */
export const ENODEV = 19;
/** Invalid argument. */
export const EINVAL = 22;
/** Too many open files (the host's handle tables are full). */
export const EMFILE = 24;
/** Result too large (a module buffer too small for the answer). */
export const ERANGE = 34;
/** Not a typewriter: what ioctl(NS_GET_NSTYPE) answers for a non-nsfs file. */
export const ENOTTY = 25;
/** Too many symbolic links (what O_NOFOLLOW answers for a symlink). */
export const ELOOP = 40;
/** Connection timed out (an IPAM plugin killed by the timeout). */
export const ETIMEDOUT = 110;

/** Address family of netlink sockets (linux/socket.h). */
export const AF_NETLINK = 16;
/** Datagram-like raw socket. */
export const SOCK_RAW = 3;
/** Close the socket on exec (an IPAM plugin must never inherit it). */
export const SOCK_CLOEXEC = 0o2000000;
/** rtnetlink protocol (linux/netlink.h). */
export const NETLINK_ROUTE = 0;
/** setsockopt level of netlink options. */
export const SOL_NETLINK = 270;
/** Do not echo the request's payload in ACKs/errors. */
export const NETLINK_CAP_ACK = 10;
/** Ask for extended ACK TLVs (error message + offset). */
export const NETLINK_EXT_ACK = 11;
/** sizeof(struct sockaddr_nl). */
export const SOCKADDR_NL_SIZE = 12;

/** poll(2) event: data to read. */
export const POLLIN = 0x1;
/** recv(2) flag: never block. */
export const MSG_DONTWAIT = 0x40;

/** Read-only open. */
export const O_RDONLY = 0;
/** Write-only open. */
export const O_WRONLY = 1;
/** Close on exec. */
export const O_CLOEXEC = 0o2000000;
/** Path-only handle: no read access needed, works on device nodes without opening them. */
export const O_PATH = 0o10000000;
/** Do not follow a final symlink; per architecture (asm-generic vs arch/arm64 fcntl.h). */
export const O_NOFOLLOW: number = Deno.build.arch === "aarch64" ? 0o100000 : 0o400000;

/** dirfd meaning "the cwd". */
export const AT_FDCWD = -100;
/** Operate on dirfd itself when the path is "". */
export const AT_EMPTY_PATH = 0x1000;
/** statx/fchownat: do not follow a final symlink. */
export const AT_SYMLINK_NOFOLLOW = 0x100;

/** statx mask bits (linux/stat.h). */
export const STATX_TYPE = 0x1;
/** File mode bits. */
export const STATX_MODE = 0x2;
/** Owner. */
export const STATX_UID = 0x8;
/** Group. */
export const STATX_GID = 0x10;
/** sizeof(struct statx). */
export const STATX_SIZE = 256;
/** Offsets of the fields read from struct statx. */
export const STATX_UID_OFFSET = 20;
/** Offset of stx_gid. */
export const STATX_GID_OFFSET = 24;
/** Offset of stx_mode (u16). */
export const STATX_MODE_OFFSET = 28;

/** File type mask and types (linux/stat.h). */
export const S_IFMT = 0o170000;
/** Character device. */
export const S_IFCHR = 0o020000;
/** Regular file. */
export const S_IFREG = 0o100000;
/** Symbolic link. */
export const S_IFLNK = 0o120000;

/** setns/unshare flag of a network namespace (linux/sched.h). */
export const CLONE_NEWNET = 0x40000000;
/** ioctl on an nsfs fd that returns its CLONE_NEW* type: _IO(NSIO 0xb7, 0x3) (linux/nsfs.h). */
export const NS_GET_NSTYPE = 0xb703;

/** fcntl: duplicate to the lowest fd >= arg with FD_CLOEXEC set. */
export const F_DUPFD_CLOEXEC = 1030;
/** fcntl: resize a pipe (bytes). */
export const F_SETPIPE_SZ = 1031;
/** Pipe size an unprivileged process may always request (/proc/sys/fs/pipe-max-size default). */
export const PIPE_MAX_SIZE = 1 << 20;
