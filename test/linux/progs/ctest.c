/* ctest: deterministic user-mode workout for the Linux boot test (test/linux).
 *
 * Built with `gcc -m32 -static -O2 -msse2` and run twice: natively on the host (the
 * oracle) and inside the guest. Every line it prints must be the same in both runs, so
 * nothing here depends on time, addresses (except as differences between two labels of
 * this program, which are fixed at link time), the environment or CPU features.
 *
 * Sections: integer arithmetic (32/64-bit mul/div/shifts/rotates/bit operations), x87
 * (long double arithmetic, libm and the x87 transcendental instructions themselves, the
 * control word's rounding and precision), SSE/SSE2 (scalar double through -mfpmath=sse,
 * packed intrinsics, MXCSR rounding), string functions over many alignments and sizes,
 * setjmp/longjmp, and signals (raise, SIGSEGV from a NULL write, SIGFPE from an integer
 * divide by zero, SIGILL from ud2, SIGTRAP from int3, SIGALRM from an interval timer),
 * and memory management the kernel does behind the program's back (mremap moving pages
 * as realloc does, mprotect, munmap, copy-on-write after fork).
 * The line before the last is a checksum over everything printed before it except the
 * "x87t" and "ssea" lines.
 *
 * Lines starting "x87t " hold results of x87 transcendental instructions (fsin, fcos,
 * fptan, fsincos, ...): a real CPU computes them in microcode, so ringshift (which runs
 * them natively) must reproduce them bit for bit, but QEMU TCG computes some of them
 * through the host's double-precision libm, and the test driver tolerates differences in
 * those lines under --qemu only. The same goes for "ssea" lines (rcpps, an approximation
 * whose exact bits are implementation-specific).
 */
#define _GNU_SOURCE
#include <emmintrin.h>
#include <fenv.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------ output */

static uint64_t sum = 1469598103934665603ull; /* FNV-1a over all output */

static void out(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if (n >= (int)sizeof buf)
        n = sizeof buf - 1;
    int n_hashed;
    /* "x87t" and "ssea" lines are compared line by line but left out of the checksum,
     * so that the checksum is the same under QEMU too (see the comment at the top). */
    if (!strncmp(buf, "x87t", 4) || !strncmp(buf, "ssea", 4))
        n_hashed = 0;
    else
        n_hashed = n;
    for (int i = 0; i < n_hashed; i++) {
        sum ^= (unsigned char)buf[i];
        sum *= 1099511628211ull;
    }
    fwrite(buf, 1, (size_t)n, stdout);
}

/* Keeps the compiler from folding computations at build time. */
static volatile uint32_t v_one = 1;
#define OPAQUE32(x) ((x) * v_one)

static uint32_t rng_state = 0x12345678u;
static uint32_t rng(void)
{
    /* xorshift32 */
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}
static uint64_t rng64(void) { return ((uint64_t)rng() << 32) | rng(); }

/* ------------------------------------------------------------------ integers */

static void test_integer(void)
{
    uint32_t acc = 0;
    uint64_t acc64 = 0;
    for (int i = 0; i < 2000; i++) {
        uint32_t a = rng(), b = rng() | 1;
        int32_t sa = (int32_t)a, sb = (int32_t)b;
        unsigned s = rng() & 31;
        acc += a * b;
        acc ^= a / b + a % b;
        if (!(sa == INT32_MIN && sb == -1))
            acc += (uint32_t)(sa / sb) ^ (uint32_t)(sa % sb);
        acc += (a << s) ^ (a >> s) ^ (uint32_t)(sa >> s);
        acc += (a << s) | (a >> ((32 - s) & 31)); /* rotate */
        acc += (uint32_t)__builtin_popcount(a) + (uint32_t)__builtin_clz(b) + (uint32_t)__builtin_ctz(b);
        acc += __builtin_bswap32(a);
        uint64_t x = rng64(), y = rng64() | 1;
        int64_t sx = (int64_t)x, sy = (int64_t)y;
        unsigned s64 = rng() & 63;
        acc64 += x * y;
        acc64 ^= x / y + x % y;
        if (!(sx == INT64_MIN && sy == -1))
            acc64 += (uint64_t)(sx / sy) ^ (uint64_t)(sx % sy);
        acc64 += (x << s64) ^ (x >> s64) ^ (uint64_t)(sx >> s64);
        acc64 += (uint64_t)a * b; /* 32x32->64 mul */
        acc64 += (uint64_t)((int64_t)sa * sb);
        acc64 += (uint64_t)__builtin_popcountll(x) + __builtin_bswap64(y);
        /* small divisors too, so the quotients are large */
        uint32_t d = (rng() & 0xff) + 1;
        acc64 += x / d + x % d;
    }
    out("int: acc32=%08" PRIx32 " acc64=%016" PRIx64 "\n", acc, acc64);

    /* edge cases */
    volatile int32_t imin = INT32_MIN;
    volatile int64_t lmin = INT64_MIN;
    out("int: edges %d %d %u %lld %lld %llu\n", imin / 2, imin % 7, (uint32_t)imin / 3u,
        (long long)(lmin / 3), (long long)(lmin % 10), (unsigned long long)((uint64_t)lmin / 7));
    /* multiplication overflow flags via builtins (imul/mul + jo/jc) */
    int32_t r1, r2;
    int64_t r3, r4;
    int o1 = __builtin_mul_overflow((int32_t)OPAQUE32(65536), (int32_t)OPAQUE32(32768), &r1);
    int o2 = __builtin_mul_overflow((int32_t)OPAQUE32(46340), (int32_t)OPAQUE32(46340), &r2);
    int o3 = __builtin_add_overflow((int64_t)INT64_MAX - (int64_t)OPAQUE32(1), (int64_t)OPAQUE32(2), &r3);
    int o4 = __builtin_sub_overflow((int64_t)OPAQUE32(5), (int64_t)OPAQUE32(3), &r4);
    out("int: ovf %d %d %d %d -> %d %d %lld %lld\n", o1, o2, o3, o4, r1, r2, (long long)r3, (long long)r4);

    /* a few primes and a gcd chain */
    unsigned primes = 0;
    for (uint32_t n = 2; n < 20000; n++) {
        uint32_t d = 2;
        while (d * d <= n && n % d)
            d++;
        primes += d * d > n;
    }
    uint64_t a = 0x9E3779B97F4A7C15ull, b = 0xC2B2AE3D27D4EB4Full, t;
    while (b) {
        t = a % b;
        a = b;
        b = t;
    }
    out("int: primes<20000=%u gcd=%llu\n", primes, (unsigned long long)a);
}

/* ------------------------------------------------------------------ x87 */

static void print_ld(const char *tag, const char *name, long double v)
{
    unsigned char b[16] = {0};
    memcpy(b, &v, 10);
    uint64_t mant;
    uint16_t se;
    memcpy(&mant, b, 8);
    memcpy(&se, b + 8, 2);
    out("%s %s = %.21Lg [%04x:%016" PRIx64 "]\n", tag, name, v, se, mant);
}

/* The x87 transcendental and related instructions themselves (inline asm, so the result
 * is the instruction's, not a library's). */
static long double x87_1(const char *op, long double x)
{
    long double r = x;
    if (!strcmp(op, "fsin"))
        __asm__("fsin" : "+t"(r));
    else if (!strcmp(op, "fcos"))
        __asm__("fcos" : "+t"(r));
    else if (!strcmp(op, "fsqrt"))
        __asm__("fsqrt" : "+t"(r));
    else if (!strcmp(op, "f2xm1"))
        __asm__("f2xm1" : "+t"(r));
    else if (!strcmp(op, "frndint"))
        __asm__("frndint" : "+t"(r));
    return r;
}

static void test_x87(void)
{
    static const long double args[] = {0.5L, 1.0L, -0.75L, 3.0L, 0.1L, 100.25L, 1e-5L, -2.5L};
    static const char *const ops[] = {"fsin", "fcos", "fsqrt", "f2xm1", "frndint"};
    for (unsigned o = 0; o < sizeof ops / sizeof *ops; o++) {
        for (unsigned i = 0; i < sizeof args / sizeof *args; i++) {
            long double x = args[i];
            if (!strcmp(ops[o], "fsqrt"))
                x = fabsl(x);
            if (!strcmp(ops[o], "f2xm1") && fabsl(x) > 1)
                x = x / 4;
            char name[40];
            snprintf(name, sizeof name, "%s(%Lg)", ops[o], x);
            /* fsqrt and frndint are exact (IEEE): plain "x87" lines */
            int exact = !strcmp(ops[o], "fsqrt") || !strcmp(ops[o], "frndint");
            print_ld(exact ? "x87 " : "x87t", name, x87_1(ops[o], x));
        }
    }
    for (unsigned i = 0; i < sizeof args / sizeof *args; i++) {
        long double x = args[i], s, c, t, one, y = 1.5L, l, a, sc, m, e;
        __asm__("fsincos" : "=t"(c), "=u"(s) : "0"(x));
        __asm__("fptan" : "=t"(one), "=u"(t) : "0"(x));
        __asm__("fyl2x" : "=t"(l) : "0"(fabsl(x)), "u"(y) : "st(1)");
        __asm__("fpatan" : "=t"(a) : "0"(x), "u"(y) : "st(1)");
        __asm__("fscale" : "=t"(sc) : "0"(x), "u"(y));
        __asm__("fxtract" : "=t"(m), "=u"(e) : "0"(x));
        char name[40];
        snprintf(name, sizeof name, "fsincos.sin(%Lg)", x);
        print_ld("x87t", name, s);
        snprintf(name, sizeof name, "fsincos.cos(%Lg)", x);
        print_ld("x87t", name, c);
        snprintf(name, sizeof name, "fptan(%Lg)", x);
        print_ld("x87t", name, t);
        print_ld("x87 ", "fptan.one", one);
        snprintf(name, sizeof name, "fyl2x(%Lg,1.5)", fabsl(x));
        print_ld("x87t", name, l);
        snprintf(name, sizeof name, "fpatan(1.5,%Lg)", x);
        print_ld("x87t", name, a);
        snprintf(name, sizeof name, "fscale(%Lg,1.5)", x);
        print_ld("x87 ", name, sc);
        snprintf(name, sizeof name, "fxtract(%Lg)", x);
        print_ld("x87 ", name, m);
        print_ld("x87 ", "fxtract.exp", e);
        long double p, p1, d = 0.7L;
        __asm__("1: fprem; fnstsw %%ax; testb $4, %%ah; jnz 1b" : "=t"(p) : "0"(x * 7), "u"(d) : "ax");
        __asm__("1: fprem1; fnstsw %%ax; testb $4, %%ah; jnz 1b" : "=t"(p1) : "0"(x * 7), "u"(d) : "ax");
        snprintf(name, sizeof name, "fprem(%Lg,0.7)", x * 7);
        print_ld("x87 ", name, p);
        snprintf(name, sizeof name, "fprem1(%Lg,0.7)", x * 7);
        print_ld("x87 ", name, p1);
    }

    /* libm: double functions (glibc's own code, basic arithmetic: exact match expected
     * everywhere) and long double ones (some use the x87 instructions: x87t). */
    static const double dargs[] = {0.5, 1.0, 2.0, 10.0, 0.001, 123.456, 1e10, 3.14159};
    for (unsigned i = 0; i < sizeof dargs / sizeof *dargs; i++) {
        volatile double x = dargs[i];
        out("libm %g: sin=%.17g cos=%.17g exp=%.17g log=%.17g sqrt=%.17g atan=%.17g pow=%.17g\n", x, sin(x),
            cos(x), exp(x / 10), log(x), sqrt(x), atan(x), pow(x, 0.3));
        volatile long double lx = dargs[i];
        out("x87t libml %g: sinl=%.21Lg cosl=%.21Lg expl=%.21Lg logl=%.21Lg atanl=%.21Lg\n", x, sinl(lx), cosl(lx),
            expl(lx / 10), logl(lx), atanl(lx));
        out("x87  libml %g: sqrtl=%.21Lg cbrt=%.17g hypot=%.17g fmod=%.17g\n", x, sqrtl(lx), cbrt(x), hypot(x, 3.0),
            fmod(x * 7.3, 1.1));
    }

    /* long double arithmetic, a series, and the precision / rounding control */
    long double e = 1, term = 1;
    for (int n = 1; n < 30; n++) {
        term /= n;
        e += term;
    }
    print_ld("x87 ", "e-series", e);
    long double third = 1.0L / 3.0L;
    print_ld("x87 ", "1/3", third);
    static const int modes[] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
    static const char *const mname[] = {"nearest", "down", "up", "zero"};
    for (int m = 0; m < 4; m++) {
        fesetround(modes[m]);
        volatile long double one = 1, three = 3, mtwo = -2;
        long double q = one / three, r = mtwo / three;
        long double ri = 2.5L * one, rn = -2.5L * one;
        __asm__("frndint" : "+t"(ri));
        __asm__("frndint" : "+t"(rn));
        char name[40];
        snprintf(name, sizeof name, "round-%s 1/3", mname[m]);
        print_ld("x87 ", name, q);
        snprintf(name, sizeof name, "round-%s -2/3", mname[m]);
        print_ld("x87 ", name, r);
        out("x87  round-%s frndint(2.5)=%Lg frndint(-2.5)=%Lg lrint(2.5)=%ld\n", mname[m], ri, rn, lrintl(2.5L * one));
    }
    fesetround(FE_TONEAREST);
    /* precision control: 24 and 53 bits, then back to 64 */
    static const unsigned short pcs[] = {0x007f, 0x027f, 0x037f};
    for (int i = 0; i < 3; i++) {
        unsigned short cw = pcs[i], old;
        __asm__ volatile("fnstcw %0" : "=m"(old));
        __asm__ volatile("fldcw %0" : : "m"(cw));
        volatile long double one = 1, seven = 7;
        long double q = one / seven;
        __asm__ volatile("fldcw %0" : : "m"(old));
        char name[40];
        snprintf(name, sizeof name, "pc=%04x 1/7", cw);
        print_ld("x87 ", name, q);
    }
    /* status word after an invalid operation and a divide by zero (masked) */
    feclearexcept(FE_ALL_EXCEPT);
    volatile long double z = 0, m1 = -1;
    volatile long double inv = sqrtl(m1), dz = 1 / z;
    out("x87  exceptions: invalid=%d divbyzero=%d isnan=%d isinf=%d\n", !!fetestexcept(FE_INVALID),
        !!fetestexcept(FE_DIVBYZERO), isnan(inv), isinf(dz));
    feclearexcept(FE_ALL_EXCEPT);
}

/* ------------------------------------------------------------------ SSE */

static void test_sse(void)
{
    /* scalar double through SSE2 (-mfpmath=sse) */
    double acc = 0;
    for (int i = 1; i <= 100000; i++)
        acc += 1.0 / ((double)i * i);
    out("sse: basel=%.17g\n", acc);
    float facc = 0;
    for (int i = 1; i <= 10000; i++)
        facc += 1.0f / (float)i;
    out("sse: harmonicf=%.9g\n", facc);

    /* packed arithmetic */
    __m128d a = _mm_set_pd(1.25, -3.5), b = _mm_set_pd(0.1, 7.0);
    __m128d c = _mm_add_pd(_mm_mul_pd(a, b), _mm_sqrt_pd(_mm_set_pd(2.0, 3.0)));
    __m128d d = _mm_div_pd(c, _mm_set_pd(3.0, -0.3));
    double dd[2];
    _mm_storeu_pd(dd, d);
    out("sse: pd %.17g %.17g\n", dd[0], dd[1]);
    __m128 fa = _mm_set_ps(1.5f, -2.25f, 1e10f, 3.0f);
    __m128 fr = _mm_rcp_ps(fa); /* approximation: same CPU model -> same bits */
    __m128 fs = _mm_sqrt_ps(_mm_mul_ps(fa, fa));
    __m128 fm = _mm_max_ps(_mm_min_ps(fa, _mm_set1_ps(2.0f)), _mm_set1_ps(-1.0f));
    float ff[12];
    _mm_storeu_ps(ff, fr);
    _mm_storeu_ps(ff + 4, fs);
    _mm_storeu_ps(ff + 8, fm);
    uint32_t bits[12];
    memcpy(bits, ff, sizeof bits);
    /* rcpps is implementation-specific: printed as a line the QEMU run may differ in */
    out("ssea rcpps %08x %08x %08x %08x\n", bits[0], bits[1], bits[2], bits[3]);
    out("sse: ps %08x %08x %08x %08x | %08x %08x %08x %08x\n", bits[4], bits[5], bits[6], bits[7], bits[8], bits[9],
        bits[10], bits[11]);

    __m128i x = _mm_set_epi32(0x7fffffff, -5, 123456789, 0x80000000);
    __m128i y = _mm_set_epi32(1, 7, -987654321, 0x7fffffff);
    __m128i s1 = _mm_add_epi32(x, y), s2 = _mm_adds_epi16(x, y), s3 = _mm_mullo_epi16(x, y);
    __m128i s4 = _mm_mul_epu32(x, y), s5 = _mm_sad_epu8(x, y), s6 = _mm_packs_epi32(x, y);
    __m128i s7 = _mm_shuffle_epi32(x, 0x1b), s8 = _mm_srai_epi32(x, 3), s9 = _mm_cmpgt_epi32(x, y);
    __m128i all[] = {s1, s2, s3, s4, s5, s6, s7, s8, s9};
    uint64_t h = 0;
    for (unsigned i = 0; i < sizeof all / sizeof *all; i++) {
        uint64_t q[2];
        _mm_storeu_si128((__m128i *)q, all[i]);
        h = h * 31 + q[0];
        h = h * 31 + q[1];
    }
    out("sse: int hash=%016" PRIx64 " movemask=%x\n", h, _mm_movemask_epi8(s9));

    /* conversions and MXCSR rounding */
    static const unsigned rc[] = {_MM_ROUND_NEAREST, _MM_ROUND_DOWN, _MM_ROUND_UP, _MM_ROUND_TOWARD_ZERO};
    unsigned saved = _mm_getcsr();
    for (int i = 0; i < 4; i++) {
        _mm_setcsr((saved & ~0x6000u) | rc[i]);
        volatile double one = 1, three = 3, v = -2.5;
        double q = one / three;
        uint64_t qb;
        memcpy(&qb, &q, 8);
        out("sse: mxcsr-rc%d 1/3=%016" PRIx64 " cvtsd2si(-2.5)=%d cvttsd2si(-2.5)=%d\n", i, qb, _mm_cvtsd_si32(_mm_set_sd(v)),
            _mm_cvttsd_si32(_mm_set_sd(v)));
    }
    _mm_setcsr(saved);
    volatile double big = 1e20, nan_ = NAN;
    out("sse: cvt big=%d nan=%d\n", _mm_cvttsd_si32(_mm_set_sd(big)), _mm_cvttsd_si32(_mm_set_sd(nan_)));
}

/* ------------------------------------------------------------------ strings */

static void test_strings(void)
{
    enum { N = 8192 };
    static unsigned char src[N + 64], dst[N + 64], ref[N + 64];
    uint64_t h = 0;
    unsigned cases = 0;
    for (unsigned i = 0; i < sizeof src; i++)
        src[i] = (unsigned char)rng();
    static const size_t sizes[] = {0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 255, 256,
                                   511, 1000, 1024, 4095, 4096, 4097, 8000};
    for (unsigned si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        for (unsigned sa = 0; sa < 16; sa += 3) {
            for (unsigned da = 0; da < 16; da += 5) {
                size_t n = sizes[si];
                memset(dst, 0xa5, sizeof dst);
                memcpy(dst + da, src + sa, n);
                /* reference: byte loop */
                memset(ref, 0xa5, sizeof ref);
                for (size_t k = 0; k < n; k++)
                    ((volatile unsigned char *)ref)[da + k] = src[sa + k];
                if (memcmp(dst, ref, sizeof dst)) {
                    out("strings: memcpy mismatch n=%zu sa=%u da=%u\n", n, sa, da);
                }
                /* overlapping memmove both ways */
                memmove(dst + da + 3, dst + da, n);
                memmove(dst + sa, dst + sa + 5, n);
                for (size_t k = 0; k < sizeof dst; k++)
                    h = h * 1099511628211ull + dst[k];
                /* only the sign of memcmp is defined (glibc's variants differ) */
                int cmp = memcmp(dst, src, n);
                h ^= (uint64_t)((cmp > 0) - (cmp < 0) + 1) << 7;
                cases++;
            }
        }
    }
    out("strings: memcpy/memmove cases=%u hash=%016" PRIx64 "\n", cases, h);

    /* str* over strings at every alignment */
    static char s[600], t[600];
    h = 0;
    for (unsigned al = 0; al < 16; al++) {
        for (unsigned len = 0; len < 300; len += 7) {
            char *p = s + al, *q = t + (15 - al);
            for (unsigned k = 0; k < len; k++)
                p[k] = (char)('a' + (rng() % 26));
            p[len] = 0;
            strcpy(q, p);
            h = h * 31 + strlen(p);
            h = h * 31 + (uint64_t)(strcmp(p, q) != 0);
            if (len > 2) {
                q[len / 2] = (char)(q[len / 2] + 1);
                h = h * 31 + (uint64_t)(strcmp(p, q) < 0) + 2 * (uint64_t)(strncmp(p, q, len / 2) == 0);
                q[len / 2] = (char)(q[len / 2] - 1);
            }
            h = h * 31 + (strchr(p, 'q') ? (uint64_t)(strchr(p, 'q') - p) : 999);
            h = h * 31 + (strrchr(p, 'e') ? (uint64_t)(strrchr(p, 'e') - p) : 999);
            h = h * 31 + (memchr(p, 'z', len) ? (uint64_t)((char *)memchr(p, 'z', len) - p) : 999);
            if (len >= 10) {
                char needle[4] = {p[len - 5], p[len - 4], p[len - 3], 0};
                h = h * 31 + (uint64_t)(strstr(p, needle) - p);
            }
            h = h * 31 + strspn(p, "abcdefghijklm") + strcspn(p, "xyz");
        }
    }
    out("strings: str* hash=%016" PRIx64 "\n", h);

    char buf[256];
    int n = snprintf(buf, sizeof buf, "%d|%-8s|%08.3f|%x|%lld|%e|%c|%5.2s|%+d|%#o", -42, "pad", 3.14159, 0xbeefu,
                     -1234567890123ll, 6.02214076e23, 'Z', "truncate", 7, 8);
    out("strings: snprintf %d \"%s\"\n", n, buf);
    static const char *volatile longstr = "0123456789abcdef";
    n = snprintf(buf, 10, "%s", longstr);
    out("strings: snprintf-trunc %d \"%s\"\n", n, buf);
    long v = strtol("  -0x7fff", NULL, 16);
    double dv = strtod("2.718281828459045235360287", NULL);
    out("strings: strtol=%ld strtod=%.17g atoi=%d\n", v, dv, atoi("12345xyz"));
}

/* ------------------------------------------------------------------ setjmp */

static jmp_buf jb;
static int depth_reached;

static void dive(int depth)
{
    volatile char pad[64];
    pad[0] = (char)depth;
    if (depth > 1000)
        return; /* never: the jump below happens at 50 */
    if (depth >= 50) {
        depth_reached = depth + pad[0] - depth;
        longjmp(jb, depth);
    }
    dive(depth + 1);
    pad[1] = 0; /* not reached */
}

static void test_setjmp(void)
{
    volatile int count = 0;
    int r = setjmp(jb);
    count++;
    if (r == 0)
        dive(0);
    out("setjmp: returned %d after %d entries, depth %d\n", r, count, depth_reached);
    count = 0;
    r = setjmp(jb);
    if (++count < 5)
        longjmp(jb, 0); /* longjmp(..., 0) returns 1 */
    out("setjmp: loop count=%d last=%d\n", count, r);
}

/* ------------------------------------------------------------------ signals */

static sigjmp_buf sjb;
static volatile sig_atomic_t got_usr1, got_alrm;
static volatile int last_sig, last_code, last_trapno, last_err;
static volatile uintptr_t last_addr, last_eip;

static void on_signal(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    last_sig = sig;
    last_code = si->si_code;
    last_addr = (uintptr_t)si->si_addr;
    last_eip = (uintptr_t)uc->uc_mcontext.gregs[REG_EIP];
    last_trapno = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
    last_err = (int)uc->uc_mcontext.gregs[REG_ERR];
    if (sig == SIGUSR1) {
        got_usr1++;
        return;
    }
    if (sig == SIGALRM) {
        got_alrm++;
        return;
    }
    siglongjmp(sjb, sig);
}

extern const char fault_segv[], fault_fpe[], fault_ill[], fault_trap_after[];

static void test_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGUSR1, SIGSEGV, SIGFPE, SIGILL, SIGTRAP, SIGALRM};
    for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaction(sigs[i], &sa, NULL);

    raise(SIGUSR1);
    out("signals: SIGUSR1 delivered %d time(s), code=%d\n", (int)got_usr1, last_code);

    /* For the hardware exceptions print the signal, si_code, si_addr and the trap number
     * and error code the kernel put into the signal frame, and whether the saved EIP is
     * the faulting instruction (a label in this program). */
    int r = sigsetjmp(sjb, 1);
    if (r == 0) {
        __asm__ volatile(".globl fault_segv\nfault_segv: movl $1, 0" ::: "memory");
    }
    out("signals: NULL write -> sig=%d code=%d addr=%#lx trapno=%d err=%d eip-at-insn=%d\n", r, last_code,
        (unsigned long)last_addr, last_trapno, last_err, last_eip == (uintptr_t)fault_segv);

    r = sigsetjmp(sjb, 1);
    if (r == 0) {
        __asm__ volatile(".globl fault_fpe\nfault_fpe: xorl %%ecx, %%ecx\n divl %%ecx"
                         :
                         : "a"(1), "d"(0)
                         : "ecx", "memory");
    }
    /* si_addr and EIP point at the div, two bytes after the label */
    out("signals: divide by zero -> sig=%d code=%d addr-off=%ld trapno=%d eip-off=%ld\n", r, last_code,
        (long)(last_addr - (uintptr_t)fault_fpe), last_trapno, (long)(last_eip - (uintptr_t)fault_fpe));

    r = sigsetjmp(sjb, 1);
    if (r == 0) {
        __asm__ volatile(".globl fault_ill\nfault_ill: ud2" ::: "memory");
    }
    out("signals: ud2 -> sig=%d code=%d addr-at-insn=%d trapno=%d eip-at-insn=%d\n", r, last_code,
        last_addr == (uintptr_t)fault_ill, last_trapno, last_eip == (uintptr_t)fault_ill);

    r = sigsetjmp(sjb, 1);
    if (r == 0) {
        __asm__ volatile("int3\n.globl fault_trap_after\nfault_trap_after: nop" ::: "memory");
    }
    out("signals: int3 -> sig=%d code=%d trapno=%d eip-after-insn=%d\n", r, last_code, last_trapno,
        last_eip == (uintptr_t)fault_trap_after);

    /* a blocked signal stays pending until unblocked */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    raise(SIGUSR1);
    sigset_t pend;
    sigpending(&pend);
    int was_pending = sigismember(&pend, SIGUSR1);
    int before = got_usr1;
    sigprocmask(SIG_SETMASK, &old, NULL);
    out("signals: blocked SIGUSR1 pending=%d delivered-before-unblock=%d after=%d\n", was_pending, before - 1,
        (int)got_usr1 - 1);

    /* an interval timer: three SIGALRMs, waited for with sigsuspend */
    struct itimerval it = {{0, 10000}, {0, 10000}};
    sigset_t alrm, oldm, waitm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alrm, &oldm);
    setitimer(ITIMER_REAL, &it, NULL);
    waitm = oldm;
    sigdelset(&waitm, SIGALRM);
    while (got_alrm < 3)
        sigsuspend(&waitm);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    sigprocmask(SIG_SETMASK, &oldm, NULL);
    out("signals: SIGALRM x%d from setitimer, code=%d\n", got_alrm >= 3 ? 3 : (int)got_alrm, last_code);
}

/* ------------------------------------------------------------------ memory */

static uint32_t page_sum(const uint32_t *p, size_t words)
{
    uint32_t h = 0;
    for (size_t i = 0; i < words; i += 97)
        h = h * 31 + p[i];
    return h;
}

/* Writes V to *A; returns 0, or the signal the write raised (caught by on_signal). */
static int try_write(uint32_t *a, uint32_t v)
{
    if (sigsetjmp(sjb, 1) == 0) {
        *(volatile uint32_t *)a = v;
        return 0;
    }
    return last_sig;
}

static void test_memory(void)
{
    /* grow a mapping by mremap(MREMAP_MAYMOVE) step by step, as realloc does for large
     * blocks: the kernel moves the page table entries, the contents must follow */
    size_t size = 64 << 10;
    uint32_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        out("memory: mmap failed\n");
        return;
    }
    size_t filled = 0;
    unsigned bad = 0, moves = 0, steps = 0;
    /* a neighbour mapping right after it makes some of the moves real moves */
    void *fence = NULL;
    while (size < (24u << 20)) {
        for (size_t i = filled; i < size / 4; i++)
            p[i] = (uint32_t)i * 2654435761u;
        filled = size / 4;
        if (fence)
            munmap(fence, 4096);
        fence = mmap((char *)p + size, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        size_t nsize = size + size / 2;
        uint32_t *q = mremap(p, size, nsize, MREMAP_MAYMOVE);
        if (q == MAP_FAILED) {
            out("memory: mremap failed\n");
            return;
        }
        moves += q != p;
        p = q;
        size = nsize;
        steps++;
        for (size_t i = 0; i < filled; i += 1021)
            bad += p[i] != (uint32_t)i * 2654435761u;
        bad += p[filled - 1] != (uint32_t)(filled - 1) * 2654435761u;
    }
    for (size_t i = 0; i < filled; i++)
        bad += p[i] != (uint32_t)i * 2654435761u;
    out("memory: mremap %u steps to %zu KiB, moved=%s, bad words %u, sum %08x\n", steps, size >> 10,
        moves ? "yes" : "no", bad, page_sum(p, filled));
    munmap(fence, 4096);

    /* shrink in place, then touch what was cut off: SIGSEGV */
    size_t keep = 1 << 20;
    p = mremap(p, size, keep, 0);
    int r = try_write(p + keep / 4 + 10, 1);
    out("memory: after shrinking, a write past the end -> sig=%d err=%d; last word kept=%d\n", r, last_err,
        p[keep / 4 - 1] == (uint32_t)(keep / 4 - 1) * 2654435761u);

    /* mprotect read-only: reads work, writes fault with a protection error */
    mprotect(p, keep, PROT_READ);
    uint32_t v = ((volatile uint32_t *)p)[5000];
    r = try_write(p + 5000, 0);
    out("memory: read-only page: read %08x, write -> sig=%d code=%d err=%d\n", v, r, last_code, last_err);
    mprotect(p, keep, PROT_READ | PROT_WRITE);
    p[5000] = 0xdeadbeef;
    out("memory: writable again: %08x\n", p[5000]);

    /* copy-on-write: the child's writes stay in the child */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        for (size_t i = 0; i < keep / 4; i += 1024)
            p[i] = 0x11111111;
        _exit(p[0] == 0x11111111 && p[keep / 4 - 1024] == 0x11111111 ? 7 : 8);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    p[1024] ^= 1; /* the parent writes too, after the child has gone */
    out("memory: fork child status %d, parent's page 0 kept %08x, sum %08x\n",
        WIFEXITED(status) ? WEXITSTATUS(status) : -1, p[0], page_sum(p, keep / 4));
    munmap(p, keep);

    /* malloc/realloc/free churn through glibc (brk and mmap'd chunks) */
    uint32_t h = 0;
    char *blocks[64] = {0};
    size_t sizes[64] = {0};
    for (int i = 0; i < 4000; i++) {
        int k = (int)(rng() % 64);
        size_t n = (rng() % 8 == 0) ? (rng() % (512u << 10)) : (rng() % 4096);
        char *b = realloc(blocks[k], n + 1);
        if (!b) {
            out("memory: realloc failed\n");
            return;
        }
        size_t old = sizes[k] < n ? sizes[k] : n;
        for (size_t j = 0; j < old; j += 61)
            h += (unsigned char)b[j] != (unsigned char)(k * 7 + j);
        for (size_t j = 0; j < n; j++)
            b[j] = (char)(k * 7 + j);
        blocks[k] = b;
        sizes[k] = n;
    }
    for (int k = 0; k < 64; k++)
        free(blocks[k]);
    out("memory: realloc churn: %u corrupted bytes\n", h);

    /* a vector grown 64 entries at a time to 1.25 MiB, as busybox sort grows its line
     * array: thousands of small reallocs of an mmap'd chunk (mremap, mostly in place) */
    uint32_t *vec = NULL;
    unsigned vbad = 0, reallocs = 0;
    for (uint32_t i = 0; i < 320000; i++) {
        if (i % 64 == 0) {
            uint32_t *nv = realloc(vec, (i + 64) * sizeof *vec);
            if (!nv) {
                out("memory: vector realloc failed at %u\n", i);
                free(vec);
                return;
            }
            vec = nv;
            reallocs++;
        }
        vec[i] = i ^ 0x5a5a5a5au;
    }
    for (uint32_t i = 0; i < 320000; i++)
        vbad += vec[i] != (i ^ 0x5a5a5a5au);
    free(vec);
    out("memory: vector grown by %u reallocs to 320000 entries: %u wrong\n", reallocs, vbad);
}

/* ------------------------------------------------------------------ main */

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    out("ctest: start\n");
    test_integer();
    test_x87();
    test_sse();
    test_strings();
    test_setjmp();
    test_signals();
    test_memory();
    uint64_t final = sum;
    printf("ctest: checksum %016" PRIx64 "\n", final);
    printf("ctest: done\n");
    return 0;
}
