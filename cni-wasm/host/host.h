/*
 * The capability host: the state one module run shares with every import, and the helpers every
 * import uses (module memory access, traps, handle lookup).
 *
 * The module is a WASI command compiled ahead of time by wasm2c. Its imports are C functions named
 * Z_<import module>Z_<name> that receive a pointer to the instance struct of their import module;
 * both instance structs below carry the one `struct host` of the process.
 */
#ifndef MACVTAP_HOST_H
#define MACVTAP_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm-rt.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the host stores module values little-endian in place: big-endian machines are not supported"
#endif

/* How stdin and stdout behave. */
enum host_mode {
  /* A CNI call: stdin is read whole before the module starts, stdout is held back until it exits
   * normally (so a trap can replace half a Result with an error object). */
  HOST_MODE_CNI,
  /* The link broker: stdin is read on demand, stdout is written through. */
  HOST_MODE_STREAM,
};

/* How the run ended. */
enum host_end {
  HOST_RUNNING,
  HOST_EXITED,  /* _start returned or proc_exit was called */
  HOST_TRAPPED, /* the module aborted, or handed the host something it must not */
};

/* Handle tables hold at most this many entries each (a CNI call needs two of each). */
#define HOST_MAX_HANDLES 64

/* A growable byte buffer. */
struct bytes {
  uint8_t *data;
  size_t len;
  size_t cap;
};

struct host {
  enum host_mode mode;
  /* The module's linear memory (exported by the module; set right after instantiation). */
  wasm_rt_memory_t *memory;
  /* What the module sees as argv and environ (NULL-terminated, owned by the process). */
  char **module_argv;
  char **module_environ;
  /* The runtime's whole environment: a delegated IPAM plugin is run with it (CNI_COMMAND replaced). */
  char **runtime_environ;
  int ipam_timeout_ms;
  /* CNI mode: all of stdin, and how far the module has read it. */
  struct bytes stdin_data;
  size_t stdin_offset;
  /* CNI mode: what the module wrote to stdout, printed only when it exits normally. */
  struct bytes stdout_data;
  bool fd_closed[3];
  /* Netns handles are fds (see bindings.ts); -1 marks a free slot. */
  int netns_fds[HOST_MAX_HANDLES];
  /* Socket handle h is slot h-1; -1 marks a free slot. */
  int socket_fds[HOST_MAX_HANDLES];
  /* Stdout of the last ipam_exec. */
  struct bytes ipam_output;
  /* The netns the process runs in, opened on first use; and whether a switch is under way. */
  int home_netns_fd;
  bool in_foreign_netns;
  enum host_end end;
  int exit_code;
  char trap_reason[512];
};

/* The instance structs wasm2c passes to imports: one per import module, both pointing at the host. */
struct Z_macvtap_host_instance_t {
  struct host *host;
};
struct Z_wasi_snapshot_preview1_instance_t {
  struct host *host;
};

/* memory.c: bounds-checked access to the module's memory. Every (ptr, len) the module hands over
 * goes through module_span: outside the memory is a trap, never a host read or write. */
uint8_t *module_span(struct host *host, uint32_t ptr, uint32_t len, const char *what);
void module_store_u32(struct host *host, uint32_t ptr, uint32_t value, const char *what);
bool module_cstring(struct host *host, uint32_t ptr, uint32_t len, char *out, size_t cap, const char *what);
/* Pages of the last memory.grow refused at the host's limit, or 0. */
uint32_t memory_refused_grow_pages(void);
/* Ends the run as a trap with a reason (printf format); unwinds to main. */
_Noreturn void host_trap(struct host *host, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Ends the run normally with an exit code; unwinds to main. */
_Noreturn void host_exit(struct host *host, int code);

/* bytes.c: growable buffers. */
bool bytes_append(struct bytes *buffer, const uint8_t *data, size_t len, size_t limit);
void bytes_clear(struct bytes *buffer);
bool write_all(int fd, const uint8_t *data, size_t len);

/* netns.c */
#define CURRENT_NETNS (-1)
bool netns_known(const struct host *host, int fd);
/* Runs body(context) with the process inside netns `target` and switches back; -errno when it cannot
 * enter. If switching back fails the process ends at once: it must never go on in the wrong netns. */
int within_netns(struct host *host, int target, int (*body)(void *context), void *context);
/* After a trap that hit while the process was switched (a host bug): back home, or end the process. */
void leave_foreign_netns(struct host *host);
void netns_close_all(struct host *host);

/* netlink.c */
int socket_fd_of(const struct host *host, int32_t handle);
void sockets_close_all(struct host *host);

/* names.c: what a name must look like before the host builds a path from it. */
bool is_interface_name(const char *name);
bool is_bus_name(const char *name);
bool is_plugin_name(const char *name);

/* cni_error.c: the CNI error object the host prints when the module cannot (code 999). */
void print_internal_error(const struct host *host, const char *msg, const char *details);

/* wait.c: poll(2) with a deadline. */
int64_t deadline_after(int timeout_ms);
int remaining_ms(int64_t deadline);

#endif
