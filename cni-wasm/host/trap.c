/*
 * The `trap` import: AssemblyScript's abort (a failed assertion, a bounds check, out of memory) ends the
 * run as a trap, reported as CNI error 999. Message and file arrive as UTF-16 (AssemblyScript's own
 * strings, so aborting needs no allocation in the module).
 */
#include <stdio.h>
#include <string.h>

#include "host.h"
#include "imports.h"

/* UTF-16LE code units to UTF-8 in out (always terminated); unpaired surrogates become U+FFFD. */
static void utf16_to_utf8(const uint8_t *units, uint32_t count, char *out, size_t cap) {
  size_t at = 0;
  for (uint32_t i = 0; i < count && at + 5 < cap; i++) {
    uint32_t c = (uint32_t)units[2 * i] | (uint32_t)units[2 * i + 1] << 8;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < count) {
      uint32_t low = (uint32_t)units[2 * i + 2] | (uint32_t)units[2 * i + 3] << 8;
      if (low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) {
      out[at++] = (char)c;
    } else if (c < 0x800) {
      out[at++] = (char)(0xc0 | c >> 6);
      out[at++] = (char)(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      out[at++] = (char)(0xe0 | c >> 12);
      out[at++] = (char)(0x80 | (c >> 6 & 0x3f));
      out[at++] = (char)(0x80 | (c & 0x3f));
    } else {
      out[at++] = (char)(0xf0 | c >> 18);
      out[at++] = (char)(0x80 | (c >> 12 & 0x3f));
      out[at++] = (char)(0x80 | (c >> 6 & 0x3f));
      out[at++] = (char)(0x80 | (c & 0x3f));
    }
  }
  out[at] = '\0';
}

/* The text of a UTF-16 string, or a placeholder when it lies outside the memory (still a trap). */
static void utf16_text(struct host *host, uint32_t ptr, uint32_t units, char *out, size_t cap) {
  uint64_t end = (uint64_t)ptr + (uint64_t)units * 2;
  if (end > host->memory->size) {
    snprintf(out, cap, "<%u code units at %u, outside the module's memory>", units, ptr);
    return;
  }
  utf16_to_utf8(host->memory->data + ptr, units, out, cap);
}

void Z_macvtap_hostZ_trap(macvtap_host *imports, u32 msg, u32 msg_len, u32 file, u32 file_len, u32 line, u32 col) {
  struct host *host = imports->host;
  char text[256], where[160];
  utf16_text(host, msg, msg_len, text, sizeof text);
  utf16_text(host, file, file_len, where, sizeof where);
  host_trap(host, "abort: %s at %s:%u:%u", text, where, line, col);
}
