#include "CDLCData.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int dlc_inflate(const uint8_t *src, size_t src_len, int window_bits,
                uint8_t **out, size_t *out_len, size_t *consumed, const char **message) {
    *out = NULL; *out_len = 0; *consumed = 0; *message = "";
    z_stream s;
    memset(&s, 0, sizeof s);
    int rc = inflateInit2(&s, window_bits);
    if (rc != Z_OK) { *message = "cannot initialise zlib"; return rc; }
    size_t cap = src_len * 4 + 1024, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) { inflateEnd(&s); *message = "out of memory"; return Z_MEM_ERROR; }
    size_t fed = 0;
    for (;;) {
        if (s.avail_in == 0 && fed < src_len) {
            size_t chunk = src_len - fed > (1u << 30) ? (1u << 30) : src_len - fed;
            s.next_in = (Bytef *)(src + fed); s.avail_in = (uInt)chunk; fed += chunk;
        }
        if (len == cap) {
            size_t ncap = cap * 2;
            uint8_t *nbuf = realloc(buf, ncap);
            if (!nbuf) { free(buf); inflateEnd(&s); *message = "out of memory"; return Z_MEM_ERROR; }
            buf = nbuf; cap = ncap;
        }
        size_t room = cap - len > (1u << 30) ? (1u << 30) : cap - len;
        s.next_out = buf + len; s.avail_out = (uInt)room;
        rc = inflate(&s, Z_NO_FLUSH);
        len += room - s.avail_out;
        if (rc == Z_STREAM_END) break;
        if (rc == Z_BUF_ERROR && s.avail_in == 0 && fed == src_len && s.avail_out != 0) {
            free(buf); inflateEnd(&s); *message = "the compressed stream ends early"; return -100;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            *message = s.msg ? s.msg : "corrupt compressed data";
            free(buf); inflateEnd(&s); return rc;
        }
    }
    *consumed = s.total_in;
    inflateEnd(&s);
    *out = buf; *out_len = len;
    return 0;
}

uint32_t dlc_crc32(const uint8_t *buf, size_t len) {
    uLong c = crc32(0L, Z_NULL, 0);
    while (len > 0) {
        uInt chunk = len > (1u << 30) ? (1u << 30) : (uInt)len;
        c = crc32(c, buf, chunk); buf += chunk; len -= chunk;
    }
    return (uint32_t)c;
}

int dlc_deflate(const uint8_t *src, size_t src_len, uint8_t **out, size_t *out_len) {
    *out = NULL; *out_len = 0;
    uLongf cap = compressBound((uLong)src_len);
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf) return Z_MEM_ERROR;
    int rc = compress2(buf, &cap, src, (uLong)src_len, 9);
    if (rc != Z_OK) { free(buf); return rc; }
    *out = buf; *out_len = cap;
    return 0;
}
