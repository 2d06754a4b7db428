/*
 * Entry point of the capability host (wiring only): one module run per process.
 *
 * The module is a WASI command that wasm2c compiled to plugin.c (every module is generated under the
 * name "plugin"). The build defines HOST_STREAM_MODE for the link broker and MEMORY_LIMIT_MIB. main
 * sets up what the module may see, runs _start, and turns every way the run can end into an exit code:
 *   _start returns or proc_exit(n)     stdout printed (CNI mode: held back until now), exit 0 / n
 *   a trap of any kind                 stdout dropped, CNI error 999 on stdout and stderr, exit 1
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "plugin.h"
#include "wasm-rt-impl.h"

#ifndef HOST_STREAM_MODE
#define HOST_STREAM_MODE 0
#endif
/* The most linear memory a module may grow to; memory.grow beyond it fails (the module then traps). */
#ifndef MEMORY_LIMIT_MIB
#define MEMORY_LIMIT_MIB 256
#endif

#define DEFAULT_IPAM_TIMEOUT_MS 30000
/* The module refuses configs over 4 MiB itself (with a clear error); reading more than this is pointless. */
#define STDIN_LIMIT ((4u << 20) + 1)

/* The variables a CNI module sees (CNI_* only: not PATH, not HOME). */
static const char *const CNI_VARIABLES[] = {"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS",
                                            "CNI_IFNAME",  "CNI_ARGS",        "CNI_PATH"};

extern char **environ;

static struct host host;
static Z_plugin_instance_t instance;
static struct Z_macvtap_host_instance_t host_imports = {&host};
static struct Z_wasi_snapshot_preview1_instance_t wasi_imports = {&host};

/* A runtime may start us with fd 0, 1 or 2 closed: reopen them on /dev/null so no pipe or socket lands there. */
static void ensure_standard_fds(void) {
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) < 0) open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
  }
}

static char **cni_environ(void) {
  static char *picked[sizeof CNI_VARIABLES / sizeof CNI_VARIABLES[0] + 1];
  size_t at = 0;
  for (size_t i = 0; i < sizeof CNI_VARIABLES / sizeof CNI_VARIABLES[0]; i++) {
    size_t len = strlen(CNI_VARIABLES[i]);
    for (char **entry = environ; *entry != NULL; entry++) {
      if (strncmp(*entry, CNI_VARIABLES[i], len) == 0 && (*entry)[len] == '=') {
        picked[at++] = *entry;
        break;
      }
    }
  }
  picked[at] = NULL;
  return picked;
}

/* MACVTAP_IPAM_TIMEOUT_MS when it is a positive whole number of milliseconds, else 30 s. */
static int ipam_timeout_ms(void) {
  const char *text = getenv("MACVTAP_IPAM_TIMEOUT_MS");
  if (text == NULL || text[0] < '1' || text[0] > '9' || strlen(text) > 9) return DEFAULT_IPAM_TIMEOUT_MS;
  char *end;
  long value = strtol(text, &end, 10);
  return *end == '\0' ? (int)value : DEFAULT_IPAM_TIMEOUT_MS;
}

static bool read_stdin(void) {
  uint8_t chunk[65536];
  for (;;) {
    ssize_t got = read(0, chunk, sizeof chunk);
    if (got == 0) return true;
    if (got < 0) return false;
    /* Past the limit the module sees more than it accepts and refuses it: stop reading there. */
    if (!bytes_append(&host.stdin_data, chunk, (size_t)got, STDIN_LIMIT + sizeof chunk)) return true;
  }
}

static void init_host(char **argv) {
  host.mode = HOST_STREAM_MODE ? HOST_MODE_STREAM : HOST_MODE_CNI;
  host.module_argv = argv;
  static char *no_environ[] = {NULL};
  host.module_environ = host.mode == HOST_MODE_CNI ? cni_environ() : no_environ;
  host.runtime_environ = environ;
  host.ipam_timeout_ms = ipam_timeout_ms();
  host.home_netns_fd = -1;
  for (int i = 0; i < HOST_MAX_HANDLES; i++) host.netns_fds[i] = host.socket_fds[i] = -1;
}

static void run_module(void) {
  Z_plugin_instantiate(&instance, &host_imports, &wasi_imports);
  host.memory = Z_pluginZ_memory(&instance);
  uint32_t limit_pages = (uint32_t)MEMORY_LIMIT_MIB * 16;
  if (host.memory->max_pages > limit_pages) host.memory->max_pages = limit_pages;
  Z_pluginZ__start(&instance);
  host.end = HOST_EXITED;
  host.exit_code = 0;
}

static int finish(wasm_rt_trap_t trap) {
  if (host.in_foreign_netns) leave_foreign_netns(&host);
  sockets_close_all(&host);
  netns_close_all(&host);
  if (host.end == HOST_EXITED) {
    if (host.mode == HOST_MODE_CNI) write_all(1, host.stdout_data.data, host.stdout_data.len);
    return host.exit_code;
  }
  char details[600];
  if (host.end == HOST_TRAPPED) {
    snprintf(details, sizeof details, "%s", host.trap_reason);
  } else if (memory_refused_grow_pages() > 0) {
    snprintf(details, sizeof details, "out of memory: the module needed more than %u MiB of linear memory (%s)",
             host.memory->max_pages / 16, wasm_rt_strerror(trap));
  } else {
    snprintf(details, sizeof details, "wasm trap: %s", wasm_rt_strerror(trap));
  }
  print_internal_error(&host, "macvtap plugin trapped", details);
  return 1;
}

int main(int argc, char **argv) {
  (void)argc;
  ensure_standard_fds();
  /* A reader that went away (an IPAM plugin, the daemon) is a write error, not a reason to die. */
  signal(SIGPIPE, SIG_IGN);
  init_host(argv);
  if (host.mode == HOST_MODE_CNI && !read_stdin()) {
    print_internal_error(&host, "macvtap plugin host failed", "cannot read the network configuration on stdin");
    return 1;
  }
  wasm_rt_init();
  Z_plugin_init_module();
  wasm_rt_trap_t trap = wasm_rt_impl_try();
  if (trap == WASM_RT_TRAP_NONE) run_module();
  return finish(trap);
}
