/*
 * The CNI error object the HOST prints when the module cannot: a trap, or a failure around the module
 * (stdin unreadable, the way back from a netns failing). Always code 999 (SPEC.md "Error codes"), in
 * the cniVersion of the config on stdin when it is valid JSON with one, else 1.1.0. Everything else is
 * printed by the module's own dispatcher; this is the last resort.
 *
 * Finding cniVersion needs a JSON reader; this one only checks the grammar and looks at the top-level
 * keys, and refuses (falls back to 1.1.0) anything it does not fully understand.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host.h"

#define FALLBACK_CNI_VERSION "1.1.0"
/* Deeper documents are not worth reading for a version; they fall back. */
#define MAX_DEPTH 64

struct reader {
  const uint8_t *at, *end;
};

static void skip_space(struct reader *r) {
  while (r->at < r->end && (*r->at == ' ' || *r->at == '\t' || *r->at == '\n' || *r->at == '\r')) r->at++;
}

static bool take(struct reader *r, char c) {
  skip_space(r);
  if (r->at >= r->end || *r->at != (uint8_t)c) return false;
  r->at++;
  return true;
}

/* A string token; (start, len) of its raw bytes between the quotes. */
static bool read_string(struct reader *r, const uint8_t **start, size_t *len) {
  if (!take(r, '"')) return false;
  *start = r->at;
  while (r->at < r->end && *r->at != '"') {
    if (*r->at < 0x20 || (*r->at == '\\' && r->end - r->at < 2)) return false;
    r->at += *r->at == '\\' ? 2 : 1;
  }
  if (r->at >= r->end) return false;
  *len = (size_t)(r->at++ - *start);
  return true;
}

static bool skip_value(struct reader *r, int depth);

static bool skip_container(struct reader *r, int depth, char close, bool keyed) {
  if (depth > MAX_DEPTH) return false;
  if (take(r, close)) return true;
  do {
    const uint8_t *key;
    size_t key_len;
    if (keyed && (!read_string(r, &key, &key_len) || !take(r, ':'))) return false;
    if (!skip_value(r, depth + 1)) return false;
  } while (take(r, ','));
  return take(r, close);
}

static bool skip_digits(struct reader *r) {
  const uint8_t *start = r->at;
  while (r->at < r->end && *r->at >= '0' && *r->at <= '9') r->at++;
  return r->at > start;
}

/* -?digits(.digits)?([eE][+-]?digits)? (leading zeros are let through: only the structure matters here). */
static bool skip_number(struct reader *r) {
  if (r->at < r->end && *r->at == '-') r->at++;
  if (!skip_digits(r)) return false;
  if (r->at < r->end && *r->at == '.' && (r->at++, !skip_digits(r))) return false;
  if (r->at < r->end && (*r->at == 'e' || *r->at == 'E')) {
    r->at++;
    if (r->at < r->end && (*r->at == '+' || *r->at == '-')) r->at++;
    if (!skip_digits(r)) return false;
  }
  return true;
}

static bool skip_literal(struct reader *r, const char *word) {
  size_t len = strlen(word);
  if ((size_t)(r->end - r->at) < len || memcmp(r->at, word, len) != 0) return false;
  r->at += len;
  return true;
}

static bool skip_value(struct reader *r, int depth) {
  const uint8_t *start;
  size_t len;
  skip_space(r);
  if (r->at >= r->end) return false;
  if (*r->at == '"') return read_string(r, &start, &len);
  if (take(r, '{')) return skip_container(r, depth, '}', true);
  if (take(r, '[')) return skip_container(r, depth, ']', false);
  return skip_literal(r, "true") || skip_literal(r, "false") || skip_literal(r, "null") || skip_number(r);
}

static bool is_version(const uint8_t *text, size_t len) {
  int dots = 0, digits = 0;
  for (size_t i = 0; i < len; i++) {
    if (text[i] == '.' && digits > 0) dots++, digits = 0;
    else if (text[i] >= '0' && text[i] <= '9') digits++;
    else return false;
  }
  return dots == 2 && digits > 0 && len < 32;
}

/* The config's top-level cniVersion when stdin is a JSON object that has a valid one. */
static void cni_version_of(const struct bytes *stdin_data, char *out, size_t cap) {
  struct reader r = {stdin_data->data, stdin_data->data + stdin_data->len};
  snprintf(out, cap, "%s", FALLBACK_CNI_VERSION);
  char found[32] = "";
  if (stdin_data->data == NULL || !take(&r, '{')) return;
  if (!take(&r, '}')) {
    do {
      const uint8_t *key, *value = NULL;
      size_t key_len, value_len = 0;
      if (!read_string(&r, &key, &key_len) || !take(&r, ':')) return;
      skip_space(&r);
      const uint8_t *before = r.at;
      if (!skip_value(&r, 1)) return;
      if (*before == '"') value = before + 1, value_len = (size_t)(r.at - before) - 2;
      if (key_len == 10 && memcmp(key, "cniVersion", 10) == 0 && value != NULL && is_version(value, value_len)) {
        snprintf(found, sizeof found, "%.*s", (int)value_len, (const char *)value);
      }
    } while (take(&r, ','));
    if (!take(&r, '}')) return;
  }
  skip_space(&r);
  if (r.at == r.end && found[0] != '\0') snprintf(out, cap, "%s", found);
}

/* `text` as the inside of a JSON string: quotes, backslashes and control characters escaped. */
static void json_escape(const char *text, char *out, size_t cap) {
  size_t at = 0;
  for (; *text != '\0' && at + 7 < cap; text++) {
    unsigned char c = (unsigned char)*text;
    if (c == '"' || c == '\\') at += (size_t)snprintf(out + at, cap - at, "\\%c", c);
    else if (c < 0x20) at += (size_t)snprintf(out + at, cap - at, "\\u%04x", c);
    else out[at++] = (char)c;
  }
  out[at] = '\0';
}

void print_internal_error(const struct host *host, const char *msg, const char *details) {
  char version[32], escaped_msg[256], escaped_details[2048], line[2600];
  cni_version_of(&host->stdin_data, version, sizeof version);
  json_escape(msg, escaped_msg, sizeof escaped_msg);
  json_escape(details, escaped_details, sizeof escaped_details);
  int len = snprintf(line, sizeof line, "{\"cniVersion\":\"%s\",\"code\":999,\"msg\":\"%s\",\"details\":\"%s\"}\n",
                     version, escaped_msg, escaped_details);
  write_all(1, (const uint8_t *)line, (size_t)len);
  len = snprintf(line, sizeof line, "%s: %s\n", msg, details);
  write_all(2, (const uint8_t *)line, (size_t)len);
}
