/*
 * The module's linear memory as the imports see it, and the two ways a run ends early.
 *
 * Every pointer and length the module passes is checked against the memory's current size before
 * the host touches a byte; a pair outside it ends the run as a trap (CNI error 999). Pointers into
 * the memory are taken per call and never kept: memory.grow may move it between calls.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "host.h"

/* The size of the last memory.grow the host refused (0: none), to name an out-of-memory trap. */
static uint32_t refused_grow_pages;

uint32_t __real_wasm_rt_grow_memory(wasm_rt_memory_t *memory, uint32_t pages);

/*
 * Every memory.grow of the module passes here (the build links with --wrap=wasm_rt_grow_memory): a grow
 * past the host's limit fails as the wasm spec says (the module sees -1), and is remembered, because
 * AssemblyScript answers it with `unreachable` and the trap alone would not say why.
 */
uint32_t __wrap_wasm_rt_grow_memory(wasm_rt_memory_t *memory, uint32_t pages) {
  uint32_t previous = __real_wasm_rt_grow_memory(memory, pages);
  if (previous == UINT32_MAX) refused_grow_pages = pages;
  return previous;
}

uint32_t memory_refused_grow_pages(void) {
  return refused_grow_pages;
}

uint8_t *module_span(struct host *host, uint32_t ptr, uint32_t len, const char *what) {
  uint64_t end = (uint64_t)ptr + len;
  if (host->memory == NULL || end > host->memory->size) {
    host_trap(host, "%s: bytes %u..%llu lie outside the module's memory (%u bytes)", what, ptr,
              (unsigned long long)end, host->memory == NULL ? 0 : host->memory->size);
  }
  return host->memory->data + ptr;
}

void module_store_u32(struct host *host, uint32_t ptr, uint32_t value, const char *what) {
  memcpy(module_span(host, ptr, 4, what), &value, 4);
}

/*
 * Copies (ptr, len) into `out` as a NUL-terminated string. Traps when the bytes lie outside the
 * memory; false when they hold a NUL or do not fit in `cap` (the caller answers -EINVAL).
 */
bool module_cstring(struct host *host, uint32_t ptr, uint32_t len, char *out, size_t cap, const char *what) {
  const uint8_t *bytes = module_span(host, ptr, len, what);
  if (len >= cap || memchr(bytes, '\0', len) != NULL) return false;
  memcpy(out, bytes, len);
  out[len] = '\0';
  return true;
}

_Noreturn void host_trap(struct host *host, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(host->trap_reason, sizeof host->trap_reason, format, args);
  va_end(args);
  host->end = HOST_TRAPPED;
  /* Unwinds to the wasm_rt_impl_try in main, whatever the module's call depth. */
  wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);
}

_Noreturn void host_exit(struct host *host, int code) {
  host->end = HOST_EXITED;
  host->exit_code = code;
  wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);
}
