/* cpuidcheck: does the guest kernel's /proc/cpuinfo agree with the CPUID the VMM shows?
 *
 * Executes CPUID (leaves 0, 1, 7.0, 0x80000000, 0x80000001), prints the vendor, family,
 * model and stepping and, for each feature in the table below, whether CPUID reports it;
 * then reads the first "flags" line of /proc/cpuinfo and checks both directions:
 *   - a flag in cpuinfo that CPUID does not report: always a failure (the kernel cannot
 *     invent a feature the CPU lacks, so the VMM's CPUID and what the kernel saw differ);
 *   - a feature CPUID reports that cpuinfo lacks: a failure, except for the features the
 *     table marks with the documented reason Linux has to clear them (printed as NOTE).
 * Also checks "vendor_id", "cpu family", "model" and "stepping" against leaf 0/1.
 * Exit status 0 when everything agrees, 1 on a mismatch, 2 when cpuinfo cannot be read.
 * Usage: cpuidcheck [CPUINFO_FILE]   (default /proc/cpuinfo)
 */
#include <cpuid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum reg { EAX, EBX, ECX, EDX };

struct feature {
    const char *name; /* as Linux spells it in /proc/cpuinfo */
    unsigned leaf, subleaf;
    enum reg reg;
    unsigned bit;
    const char *may_clear; /* documented reason Linux may hide it, or NULL */
};

static const char apic_off[] = "Linux clears it when it disables the local APIC (no MP table / MADT, nolapic)";
static const char xsave_dep[] = "fpu__init_system_xstate() clears XSAVE and everything depending on it "
                                "when the XSAVE state cannot be used (noxsave, unsupported XCR0)";

static const struct feature features[] = {
    /* leaf 1, EDX */
    {"fpu", 1, 0, EDX, 0, NULL},
    {"vme", 1, 0, EDX, 1, NULL},
    {"de", 1, 0, EDX, 2, NULL},
    {"pse", 1, 0, EDX, 3, NULL},
    {"tsc", 1, 0, EDX, 4, "cleared by the notsc option"},
    {"msr", 1, 0, EDX, 5, NULL},
    {"pae", 1, 0, EDX, 6, NULL},
    {"mce", 1, 0, EDX, 7, NULL},
    {"cx8", 1, 0, EDX, 8, NULL},
    {"apic", 1, 0, EDX, 9, apic_off},
    {"sep", 1, 0, EDX, 11, "cleared on Pentium Pro steppings with a broken SYSENTER"},
    {"mtrr", 1, 0, EDX, 12, NULL},
    {"pge", 1, 0, EDX, 13, NULL},
    {"mca", 1, 0, EDX, 14, NULL},
    {"cmov", 1, 0, EDX, 15, NULL},
    {"pat", 1, 0, EDX, 16, "early_init_intel() clears it on family 6 models below 15 (WC erratum)"},
    {"pse36", 1, 0, EDX, 17, NULL},
    {"clflush", 1, 0, EDX, 19, NULL},
    {"dts", 1, 0, EDX, 21, NULL},
    {"acpi", 1, 0, EDX, 22, NULL},
    {"mmx", 1, 0, EDX, 23, NULL},
    {"fxsr", 1, 0, EDX, 24, NULL},
    {"sse", 1, 0, EDX, 25, NULL},
    {"sse2", 1, 0, EDX, 26, NULL},
    {"ss", 1, 0, EDX, 27, NULL},
    {"ht", 1, 0, EDX, 28, NULL},
    {"tm", 1, 0, EDX, 29, NULL},
    {"pbe", 1, 0, EDX, 31, NULL},
    /* leaf 1, ECX */
    {"pni", 1, 0, ECX, 0, NULL},
    {"pclmulqdq", 1, 0, ECX, 1, NULL},
    {"dtes64", 1, 0, ECX, 2, NULL},
    {"monitor", 1, 0, ECX, 3, "cleared on CPUs with MONITOR/MWAIT errata and by idle= options"},
    {"ds_cpl", 1, 0, ECX, 4, NULL},
    {"vmx", 1, 0, ECX, 5, "init_ia32_feat_ctl() clears it when IA32_FEATURE_CONTROL leaves VMX disabled"},
    {"smx", 1, 0, ECX, 6, NULL},
    {"est", 1, 0, ECX, 7, NULL},
    {"tm2", 1, 0, ECX, 8, NULL},
    {"ssse3", 1, 0, ECX, 9, NULL},
    {"cid", 1, 0, ECX, 10, NULL},
    {"sdbg", 1, 0, ECX, 11, NULL},
    {"fma", 1, 0, ECX, 12, xsave_dep},
    {"cx16", 1, 0, ECX, 13, NULL},
    {"xtpr", 1, 0, ECX, 14, NULL},
    {"pdcm", 1, 0, ECX, 15, NULL},
    {"pcid", 1, 0, ECX, 17, "a 32-bit kernel always clears it (the SDM: PCID cannot be enabled in 32-bit mode)"},
    {"dca", 1, 0, ECX, 18, NULL},
    {"sse4_1", 1, 0, ECX, 19, NULL},
    {"sse4_2", 1, 0, ECX, 20, NULL},
    {"x2apic", 1, 0, ECX, 21, "cleared when the kernel does not use x2APIC mode (not built in, nox2apic, APIC off)"},
    {"movbe", 1, 0, ECX, 22, NULL},
    {"popcnt", 1, 0, ECX, 23, NULL},
    {"tsc_deadline_timer", 1, 0, ECX, 24, "cleared with the local APIC, and on CPUs with TSC-deadline errata"},
    {"aes", 1, 0, ECX, 25, NULL},
    {"xsave", 1, 0, ECX, 26, xsave_dep},
    {"avx", 1, 0, ECX, 28, xsave_dep},
    {"f16c", 1, 0, ECX, 29, xsave_dep},
    {"rdrand", 1, 0, ECX, 30, "cleared by nordrand and on CPUs whose RDRAND is known broken"},
    {"hypervisor", 1, 0, ECX, 31, NULL},
    /* leaf 7.0 */
    {"fsgsbase", 7, 0, EBX, 0, "a 32-bit kernel has no use for it and may hide it"},
    {"bmi1", 7, 0, EBX, 3, NULL},
    {"hle", 7, 0, EBX, 4, "tsx_init() clears HLE/RTM when TSX is disabled (tsx=off, the default on affected CPUs)"},
    {"avx2", 7, 0, EBX, 5, xsave_dep},
    {"smep", 7, 0, EBX, 7, "cleared by nosmep"},
    {"bmi2", 7, 0, EBX, 8, NULL},
    {"erms", 7, 0, EBX, 9, NULL},
    {"invpcid", 7, 0, EBX, 10, "depends on PCID, which a 32-bit kernel clears"},
    {"rtm", 7, 0, EBX, 11, "tsx_init() clears HLE/RTM when TSX is disabled (tsx=off, the default on affected CPUs)"},
    {"mpx", 7, 0, EBX, 14, "Linux dropped MPX support and hides the flag"},
    {"avx512f", 7, 0, EBX, 16, xsave_dep},
    {"rdseed", 7, 0, EBX, 18, "cleared on AMD Zen 5, whose 16/32-bit RDSEED may return 0 (AMD-SB-7055)"},
    {"adx", 7, 0, EBX, 19, NULL},
    {"smap", 7, 0, EBX, 20, "cleared by nosmap"},
    {"clflushopt", 7, 0, EBX, 23, NULL},
    {"clwb", 7, 0, EBX, 24, NULL},
    {"sha_ni", 7, 0, EBX, 29, NULL},
    {"umip", 7, 0, ECX, 2, "cleared when the kernel does not enable UMIP"},
    {"pku", 7, 0, ECX, 3, "protection keys are 64-bit only: a 32-bit kernel hides it"},
    {"vaes", 7, 0, ECX, 9, xsave_dep},
    {"vpclmulqdq", 7, 0, ECX, 10, xsave_dep},
    {"rdpid", 7, 0, ECX, 22, NULL},
    {"md_clear", 7, 0, EDX, 10, NULL},
    /* leaf 0x80000001 */
    {"lahf_lm", 0x80000001, 0, ECX, 0, NULL},
    {"svm", 0x80000001, 0, ECX, 2, NULL},
    {"abm", 0x80000001, 0, ECX, 5, NULL},
    {"sse4a", 0x80000001, 0, ECX, 6, NULL},
    {"3dnowprefetch", 0x80000001, 0, ECX, 8, NULL},
    {"syscall", 0x80000001, 0, EDX, 11, NULL},
    {"nx", 0x80000001, 0, EDX, 20, NULL},
    {"mmxext", 0x80000001, 0, EDX, 22, NULL},
    {"fxsr_opt", 0x80000001, 0, EDX, 25, NULL},
    {"pdpe1gb", 0x80000001, 0, EDX, 26, NULL},
    {"rdtscp", 0x80000001, 0, EDX, 27, NULL},
    {"lm", 0x80000001, 0, EDX, 29, NULL},
};

static int cpuid_has(unsigned leaf, unsigned subleaf, enum reg reg, unsigned bit)
{
    unsigned r[4] = {0, 0, 0, 0};
    unsigned max = __get_cpuid_max(leaf & 0x80000000u, NULL);
    if (max < leaf)
        return 0;
    __cpuid_count(leaf, subleaf, r[EAX], r[EBX], r[ECX], r[EDX]);
    return (r[reg] >> bit) & 1;
}

/* Is NAME one of the space-separated words of FLAGS? */
static int has_word(const char *flags, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = flags; (p = strstr(p, name)) != NULL; p += n) {
        int start = p == flags || p[-1] == ' ' || p[-1] == '\t';
        int end = p[n] == '\0' || p[n] == ' ' || p[n] == '\n';
        if (start && end)
            return 1;
    }
    return 0;
}

/* The value of the first "KEY<tabs>: value" line of cpuinfo, without the newline. */
static int field(const char *cpuinfo, const char *key, char *val, size_t size)
{
    size_t n = strlen(key);
    for (const char *p = cpuinfo; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, key, n) || (p[n] != '\t' && p[n] != ' ' && p[n] != ':'))
            continue;
        const char *colon = strchr(p, ':');
        const char *eol = strchr(p, '\n');
        if (!colon || (eol && colon > eol))
            continue;
        colon++;
        while (*colon == ' ')
            colon++;
        size_t len = eol ? (size_t)(eol - colon) : strlen(colon);
        if (len >= size)
            len = size - 1;
        memcpy(val, colon, len);
        val[len] = 0;
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/proc/cpuinfo";
    static char cpuinfo[1 << 16];
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 2;
    }
    size_t len = fread(cpuinfo, 1, sizeof cpuinfo - 1, f);
    fclose(f);
    cpuinfo[len] = 0;

    unsigned a, b, c, d;
    char vendor[13];
    __cpuid(0, a, b, c, d);
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    vendor[12] = 0;
    __cpuid(1, a, b, c, d);
    unsigned family = (a >> 8) & 0xf, model = (a >> 4) & 0xf, stepping = a & 0xf;
    if (family == 0xf)
        family += (a >> 20) & 0xff;
    if (family == 0x6 || family >= 0xf)
        model |= ((a >> 16) & 0xf) << 4;
    printf("cpuid: vendor %s family %u model %u stepping %u (leaf 1 eax=%08x ebx=%08x ecx=%08x edx=%08x)\n",
           vendor, family, model, stepping, a, b, c, d);

    int bad = 0;
    char val[256];
    struct {
        const char *key;
        char want[32];
    } ids[4] = {{"vendor_id", ""}, {"cpu family", ""}, {"model", ""}, {"stepping", ""}};
    snprintf(ids[0].want, sizeof ids[0].want, "%s", vendor);
    snprintf(ids[1].want, sizeof ids[1].want, "%u", family);
    snprintf(ids[2].want, sizeof ids[2].want, "%u", model);
    snprintf(ids[3].want, sizeof ids[3].want, "%u", stepping);
    for (int i = 0; i < 4; i++) {
        if (!field(cpuinfo, ids[i].key, val, sizeof val)) {
            printf("FAIL cpuinfo has no \"%s\" line\n", ids[i].key);
            bad = 1;
        } else if (strcmp(val, ids[i].want)) {
            printf("FAIL cpuinfo %s \"%s\", CPUID says \"%s\"\n", ids[i].key, val, ids[i].want);
            bad = 1;
        }
    }
    if (field(cpuinfo, "model name", val, sizeof val))
        printf("cpuinfo: model name %s\n", val);

    static char flags[8192];
    if (!field(cpuinfo, "flags", flags, sizeof flags)) {
        printf("FAIL no flags line in %s\n", path);
        return 2;
    }
    printf("cpuinfo: flags %s\n", flags);

    char present[4096] = "", absent[4096] = "";
    unsigned checked = 0, notes = 0;
    for (size_t i = 0; i < sizeof features / sizeof *features; i++) {
        const struct feature *ft = &features[i];
        int in_cpuid = cpuid_has(ft->leaf, ft->subleaf, ft->reg, ft->bit);
        int in_info = has_word(flags, ft->name);
        char *list = in_cpuid ? present : absent;
        strncat(list, " ", sizeof present - strlen(list) - 1);
        strncat(list, ft->name, sizeof present - strlen(list) - 1);
        checked++;
        if (in_info && !in_cpuid) {
            printf("FAIL %s: in /proc/cpuinfo but CPUID leaf %#x reg %c bit %u is clear\n", ft->name, ft->leaf,
                   "abcd"[ft->reg], ft->bit);
            bad = 1;
        } else if (in_cpuid && !in_info) {
            if (ft->may_clear) {
                printf("NOTE %s: CPUID reports it, /proc/cpuinfo does not (allowed: %s)\n", ft->name, ft->may_clear);
                notes++;
            } else {
                printf("FAIL %s: CPUID leaf %#x reg %c bit %u is set but /proc/cpuinfo lacks it\n", ft->name,
                       ft->leaf, "abcd"[ft->reg], ft->bit);
                bad = 1;
            }
        }
    }
    printf("cpuid: set:%s\n", present);
    printf("cpuid: clear:%s\n", absent);
    printf("%s cpuidcheck: %u features compared, %u allowed differences\n", bad ? "FAIL" : "PASS", checked, notes);
    return bad;
}
