/* int: integer arithmetic. One op = one byte through a bitwise CRC-32 (8 shift/xor/and
 * rounds) plus a multiply-xorshift mix, over a 4 KiB buffer that stays in L1. */
#include "bench.h"

int main(int argc, char **argv)
{
    long ops = bench_ops(argc, argv, 40000000);
    static uint8_t buf[4096];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 131 + 7);

    int64_t t0 = bench_now_ns();
    uint32_t crc = 0xffffffffu, h = 0x9e3779b9u;
    for (long n = 0; n < ops; n++) {
        uint8_t b = buf[n & (sizeof buf - 1)];
        crc ^= b;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
        h = (h ^ b) * 0x01000193u;
        h ^= h >> 15;
    }
    int64_t t1 = bench_now_ns();
    bench_sink = crc ^ h;
    bench_report("int", ops, t0, t1);
    return 0;
}
