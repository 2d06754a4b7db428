/*
 * ipam_exec / ipam_output: runs a delegated IPAM plugin for the module (CNI spec, "Delegated plugins").
 *
 * The plugin is <dir>/<type> for the first absolute CNI_PATH entry holding an executable regular file of
 * that name; `type` must be a bare name (names.c), the command one of the CNI verbs. It runs with the
 * runtime's whole environment (the spec: a delegate gets the same environment), CNI_COMMAND replaced,
 * the module's bytes on stdin, its stdout captured and its stderr passed through, in a process group of
 * its own that is ended at the timeout (child_process.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "child_process.h"
#include "host.h"
#include "imports.h"

/* An IPAM result is a few KB; the module reads at most as much as a config may hold. */
#define IPAM_OUTPUT_LIMIT (4u << 20)

static const char *const COMMANDS[] = {"ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"};

static bool is_command(const char *command) {
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++) {
    if (strcmp(command, COMMANDS[i]) == 0) return true;
  }
  return false;
}

static const char *env_value(char **environ, const char *name) {
  size_t len = strlen(name);
  for (char **entry = environ; *entry != NULL; entry++) {
    if (strncmp(*entry, name, len) == 0 && (*entry)[len] == '=') return *entry + len + 1;
  }
  return NULL;
}

/* <dir>/<type> for the first absolute CNI_PATH entry with an executable regular file of that name. */
static bool find_plugin(const char *cni_path, const char *type, char *out, size_t cap) {
  for (const char *dir = cni_path; dir != NULL && *dir != '\0';) {
    const char *colon = strchr(dir, ':');
    size_t len = colon == NULL ? strlen(dir) : (size_t)(colon - dir);
    while (len > 1 && dir[len - 1] == '/') len--;
    struct stat status;
    if (dir[0] == '/' && snprintf(out, cap, "%.*s/%s", (int)len, dir, type) < (int)cap &&
        stat(out, &status) == 0 && S_ISREG(status.st_mode) && (status.st_mode & 0111) != 0) {
      return true;
    }
    dir = colon == NULL ? NULL : colon + 1;
  }
  return false;
}

/* The runtime's environment with CNI_COMMAND set to `command`; NULL when memory runs out. */
static char **plugin_environ(char **runtime, char *command_entry) {
  size_t count = 0;
  while (runtime[count] != NULL) count++;
  char **env = calloc(count + 2, sizeof *env);
  if (env == NULL) return NULL;
  size_t at = 0;
  env[at++] = command_entry;
  for (size_t i = 0; i < count; i++) {
    if (strncmp(runtime[i], "CNI_COMMAND=", 12) != 0) env[at++] = runtime[i];
  }
  return env;
}

static int32_t run_plugin(struct host *host, const char *type, const char *command, const uint8_t *input,
                          uint32_t input_len, int *status) {
  char program[4096], command_entry[32];
  if (!find_plugin(env_value(host->runtime_environ, "CNI_PATH"), type, program, sizeof program)) return -ENOENT;
  snprintf(command_entry, sizeof command_entry, "CNI_COMMAND=%s", command);
  char **envp = plugin_environ(host->runtime_environ, command_entry);
  if (envp == NULL) return -ENOMEM;
  char *argv[] = {program, NULL};
  struct child_run run = {
      .program = program,
      .argv = argv,
      .envp = envp,
      .input = input,
      .input_len = input_len,
      .output = &host->ipam_output,
      .output_limit = IPAM_OUTPUT_LIMIT,
      .timeout_ms = host->ipam_timeout_ms,
  };
  int rc = run_child(&run);
  free(envp);
  *status = run.status;
  return rc;
}

u32 Z_macvtap_hostZ_ipam_exec(macvtap_host *imports, u32 type, u32 type_len, u32 command, u32 command_len, u32 input,
                              u32 input_len, u32 status_out) {
  struct host *host = imports->host;
  char type_text[256], command_text[16];
  bytes_clear(&host->ipam_output);
  bool type_ok = module_cstring(host, type, type_len, type_text, sizeof type_text, "ipam_exec type");
  bool command_ok = module_cstring(host, command, command_len, command_text, sizeof command_text, "ipam_exec command");
  const uint8_t *input_bytes = module_span(host, input, input_len, "ipam_exec stdin");
  module_span(host, status_out, 4, "ipam_exec status");
  if (!type_ok || !command_ok || !is_plugin_name(type_text) || !is_command(command_text)) return (u32)-EINVAL;
  int status = 0;
  int32_t rc = run_plugin(host, type_text, command_text, input_bytes, input_len, &status);
  if (rc < 0) {
    bytes_clear(&host->ipam_output);
    return (u32)rc;
  }
  module_store_u32(host, status_out, (uint32_t)status, "ipam_exec status");
  return (u32)host->ipam_output.len;
}

u32 Z_macvtap_hostZ_ipam_output(macvtap_host *imports, u32 buf, u32 cap) {
  struct host *host = imports->host;
  uint8_t *into = module_span(host, buf, cap, "ipam_output buffer");
  size_t n = host->ipam_output.len < cap ? host->ipam_output.len : cap;
  if (n > 0) memcpy(into, host->ipam_output.data, n);
  return (u32)n;
}
