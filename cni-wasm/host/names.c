/*
 * What a name from the module must look like before the host puts it into a path. Each check is the
 * whole boundary for its import: a name that passes cannot climb out of the folder it is joined to.
 */
#include <string.h>

#include "host.h"

static bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* `^[A-Za-z0-9][A-Za-z0-9<extra>]*$` of at most `max` bytes. */
static bool is_simple_name(const char *name, const char *extra, size_t max) {
  size_t len = strlen(name);
  if (len == 0 || len > max || !is_alnum(name[0])) return false;
  for (size_t i = 1; i < len; i++) {
    if (!is_alnum(name[i]) && strchr(extra, name[i]) == NULL) return false;
  }
  return true;
}

/* What the kernel accepts as an interface name (dev_valid_name): 1-15 bytes, not "." or "..", no '/',
 * ':' or whitespace. */
bool is_interface_name(const char *name) {
  size_t len = strlen(name);
  if (len == 0 || len > 15 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return false;
  return strpbrk(name, "/: \t\n\v\f\r") == NULL;
}

/* Bus and device names as sysfs spells them (`pci`, `virtio`, `0000:3b:00.0`, `virtio2`). */
bool is_bus_name(const char *name) {
  return is_simple_name(name, "_.:-", 64);
}

/* A CNI plugin type: a bare file name, never a path (the first character also rules out "." and ".."). */
bool is_plugin_name(const char *name) {
  return is_simple_name(name, "_.-", 255);
}
