/* Running one program to its end with piped stdin/stdout and a deadline (child_process.c). */
#ifndef MACVTAP_CHILD_PROCESS_H
#define MACVTAP_CHILD_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "host.h"

struct child_run {
  const char *program;
  char *const *argv;
  char *const *envp;
  /* Written to its stdin; the pipe is closed after it (or when the program stops reading). */
  const uint8_t *input;
  size_t input_len;
  /* Its stdout is appended here, at most output_limit bytes. */
  struct bytes *output;
  size_t output_limit;
  int timeout_ms;
  /* Set when it ran to its end: its exit code, or 128 + the signal that ended it. */
  int status;
};

/*
 * Runs the program. Returns 0 when it ended by itself (status set); -ETIMEDOUT when its group was
 * ended at the deadline; -EMSGSIZE when its stdout passed the limit (its group is killed at once);
 * -errno when it could not be started.
 */
int run_child(struct child_run *run);

#endif
