/* Growable byte buffers and a write(2) that finishes the job. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"

/* Appends, doubling the capacity as needed; false when the total would pass `limit` or memory runs out. */
bool bytes_append(struct bytes *buffer, const uint8_t *data, size_t len, size_t limit) {
  if (len > limit || buffer->len > limit - len) return false;
  if (buffer->len + len > buffer->cap) {
    size_t cap = buffer->cap == 0 ? 4096 : buffer->cap;
    while (cap < buffer->len + len) cap *= 2;
    uint8_t *grown = realloc(buffer->data, cap);
    if (grown == NULL) return false;
    buffer->data = grown;
    buffer->cap = cap;
  }
  if (len > 0) memcpy(buffer->data + buffer->len, data, len);
  buffer->len += len;
  return true;
}

void bytes_clear(struct bytes *buffer) {
  free(buffer->data);
  buffer->data = NULL;
  buffer->len = 0;
  buffer->cap = 0;
}

/* write(2) until every byte is out (pipes accept partial writes); false on an error such as EPIPE. */
bool write_all(int fd, const uint8_t *data, size_t len) {
  while (len > 0) {
    ssize_t written = write(fd, data, len);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    data += written;
    len -= (size_t)written;
  }
  return true;
}
