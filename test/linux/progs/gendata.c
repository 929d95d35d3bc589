/* gendata: write exactly SIZE bytes of deterministic text to stdout (default 10 MiB):
 * lines of two to nine words drawn by an xorshift generator from a small vocabulary, so
 * that sort and uniq have duplicates to find. The same SEED and SIZE give the same bytes
 * on any machine; the last byte is always a newline.
 * Usage: gendata [SIZE [SEED]] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t state;
static uint32_t next(void)
{
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

int main(int argc, char **argv)
{
    unsigned long size = argc > 1 ? strtoul(argv[1], NULL, 0) : 10ul << 20;
    state = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 20240501u;
    if (!state)
        state = 1;
    static const char *const words[] = {
        "ring", "shift", "guest", "host",  "page",  "table", "trap",  "gate", "segment", "selector",
        "tss",  "cr3",   "tlb",   "cache", "block", "chain", "jump",  "call", "return",  "interrupt",
        "pic",  "pit",   "uart",  "fifo",  "byte",  "word",  "dword", "x87",  "sse",     "mmx"};
    const unsigned nwords = sizeof words / sizeof *words;
    static char buf[1 << 16];
    size_t used = 0;
    unsigned long written = 0;
    while (written < size) {
        char line[128];
        size_t len = 0;
        unsigned n = 2 + next() % 8;
        for (unsigned i = 0; i < n; i++) {
            const char *w = words[next() % nwords];
            size_t wl = strlen(w);
            if (i)
                line[len++] = ' ';
            memcpy(line + len, w, wl);
            len += wl;
            if (next() % 4 == 0) /* a number now and then */
                len += (size_t)snprintf(line + len, sizeof line - len, "%u", next() % 1000);
        }
        line[len++] = '\n';
        if (written + len > size) { /* the last line: cut to fit, still ending in \n */
            len = size - written;
            line[len - 1] = '\n';
        }
        if (used + len > sizeof buf) {
            if (fwrite(buf, 1, used, stdout) != used)
                return 1;
            used = 0;
        }
        memcpy(buf + used, line, len);
        used += len;
        written += len;
    }
    if (fwrite(buf, 1, used, stdout) != used)
        return 1;
    return fflush(stdout) ? 1 : 0;
}
