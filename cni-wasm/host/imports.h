/*
 * Every function the host grants a module, in wasm2c's naming: Z_<import module>Z_<name>. This list is
 * the C side of cni-wasm/assembly/imports/bindings.ts (macvtap_host) plus the WASI preview1 subset. The
 * header wasm2c writes for a module declares the same prototypes for what that module imports; a
 * module that imports anything not defined here fails to link, so it is refused at build time.
 */
#ifndef MACVTAP_IMPORTS_H
#define MACVTAP_IMPORTS_H

#include <stdint.h>

#include "host.h"

/* The same spelling as wasm2c's generated headers, so both declarations agree. */
#ifndef WASM_RT_CORE_TYPES_DEFINED
#define WASM_RT_CORE_TYPES_DEFINED
typedef uint8_t u8;
typedef int8_t s8;
typedef uint16_t u16;
typedef int16_t s16;
typedef uint32_t u32;
typedef int32_t s32;
typedef uint64_t u64;
typedef int64_t s64;
typedef float f32;
typedef double f64;
#endif

typedef struct Z_macvtap_host_instance_t macvtap_host;
typedef struct Z_wasi_snapshot_preview1_instance_t wasi;

/* wasi.c */
u32 Z_wasi_snapshot_preview1Z_args_sizes_get(wasi *, u32 count, u32 size);
u32 Z_wasi_snapshot_preview1Z_args_get(wasi *, u32 pointers, u32 buffer);
u32 Z_wasi_snapshot_preview1Z_environ_sizes_get(wasi *, u32 count, u32 size);
u32 Z_wasi_snapshot_preview1Z_environ_get(wasi *, u32 pointers, u32 buffer);
u32 Z_wasi_snapshot_preview1Z_fd_read(wasi *, u32 fd, u32 iovs, u32 count, u32 nread);
u32 Z_wasi_snapshot_preview1Z_fd_write(wasi *, u32 fd, u32 iovs, u32 count, u32 nwritten);
u32 Z_wasi_snapshot_preview1Z_fd_close(wasi *, u32 fd);
u32 Z_wasi_snapshot_preview1Z_clock_time_get(wasi *, u32 id, u64 precision, u32 out);
u32 Z_wasi_snapshot_preview1Z_random_get(wasi *, u32 buffer, u32 len);
void Z_wasi_snapshot_preview1Z_proc_exit(wasi *, u32 code);

/* trap.c */
void Z_macvtap_hostZ_trap(macvtap_host *, u32 msg, u32 msg_len, u32 file, u32 file_len, u32 line, u32 col);
/* netns.c */
u32 Z_macvtap_hostZ_netns_open(macvtap_host *, u32 path, u32 path_len);
u32 Z_macvtap_hostZ_netns_close(macvtap_host *, u32 netns);
/* netlink.c */
u32 Z_macvtap_hostZ_nl_open(macvtap_host *, u32 netns, u32 groups);
u32 Z_macvtap_hostZ_nl_send(macvtap_host *, u32 sock, u32 buf, u32 len);
u32 Z_macvtap_hostZ_nl_recv(macvtap_host *, u32 sock, u32 buf, u32 cap, u32 timeout_ms);
u32 Z_macvtap_hostZ_nl_port(macvtap_host *, u32 sock, u32 out);
u32 Z_macvtap_hostZ_nl_close(macvtap_host *, u32 sock);
/* tap_device.c */
u32 Z_macvtap_hostZ_tap_chown(macvtap_host *, u32 ifindex, u32 uid, u32 gid);
u32 Z_macvtap_hostZ_tap_stat(macvtap_host *, u32 ifindex, u32 out);
/* ipam_exec.c */
u32 Z_macvtap_hostZ_ipam_exec(macvtap_host *, u32 type, u32 type_len, u32 command, u32 command_len, u32 input,
                              u32 input_len, u32 status_out);
u32 Z_macvtap_hostZ_ipam_output(macvtap_host *, u32 buf, u32 cap);
/* wait.c */
u32 Z_macvtap_hostZ_wait_readable(macvtap_host *, u32 handles, u32 count, u32 timeout_ms);
/* sysfs.c */
u32 Z_macvtap_hostZ_link_numa_node(macvtap_host *, u32 name, u32 name_len);
u32 Z_macvtap_hostZ_bus_device_link(macvtap_host *, u32 bus, u32 bus_len, u32 device, u32 device_len, u32 which,
                                    u32 buf, u32 cap);
/* sysctl.c */
u32 Z_macvtap_hostZ_sysctl_set(macvtap_host *, u32 netns, u32 key, u32 key_len, u32 value, u32 value_len);

#endif
