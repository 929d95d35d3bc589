/* The guest the gdbstub tests debug: freestanding C with debug information, booted as
 * a multiboot kernel. The test (test/gdb/gdb_test.py) breaks in add_squares, changes
 * its return value in EAX, watches `watched`, changes `x` in path(), interrupts spin()
 * with Ctrl-C, clears `spinning` and detaches. The exit status through the debug-exit
 * port says whether the guest saw every change: 0 (ringshift status 1) when it did. */
#include <stdint.h>

__asm__(".section .multiboot, \"a\"\n"
        ".align 4\n"
        ".long 0x1BADB002, 0, -0x1BADB002\n"
        ".text\n"
        ".globl _start\n"
        "_start:\n"
        "  mov $stack + 16384, %esp\n"
        "  call kmain\n"
        "1: cli\n"
        "  hlt\n"
        "  jmp 1b\n");

uint8_t stack[16384] __attribute__((aligned(16)));
volatile int watched;        /* written once: a watchpoint fires there */
volatile int spinning = 1;   /* spin() loops until gdb clears it */
volatile unsigned spins;

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }

static void put_str(const char *s) {
  while (*s) outb(0x3F8, (uint8_t)*s++);
}

static void put_num(int v) {
  char buf[12];
  int i = 0;
  if (v == 0) buf[i++] = '0';
  while (v > 0) {
    buf[i++] = (char)('0' + v % 10);
    v /= 10;
  }
  while (i > 0) outb(0x3F8, (uint8_t)buf[--i]);
}

int add_squares(int a, int b) {
  int local = a * a + b * b;
  return local;
}

int path(int x) {
  if (x == 42) {
    put_str("path: changed\n");
    return 1;
  }
  put_str("path: normal\n");
  return 0;
}

void spin(void) {
  while (spinning) spins++;
}

void kmain(void) {
  int r = add_squares(3, 4);
  watched = r;
  int changed = path(7);
  spin();
  put_str("done: r=");
  put_num(r);
  put_str(changed ? " changed\n" : " normal\n");
  outb(0xF4, (r == 100 && changed) ? 0 : 1);
}
