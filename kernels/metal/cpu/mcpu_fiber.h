/* mcpu_fiber.h — minimal fibers for the metal-cpu executor: a context
 * switch that saves the callee-saved registers and swaps stacks.
 *
 * x86-64 (System V) and AArch64 (AAPCS64) have a hand-written switch: no
 * system call per switch (glibc's swapcontext makes one to save the signal
 * mask, a hundred times slower, and slower still under qemu-user); every
 * other target uses ucontext. Under AddressSanitizer each switch is
 * announced with __sanitizer_start_switch_fiber / _finish_switch_fiber
 * (compiler-rt's common_interface_defs.h): without them ASan takes the
 * other stack for a stack overflow or misses use-after-return. */
#ifndef MCPU_FIBER_H
#define MCPU_FIBER_H

#include <stddef.h>

typedef struct mcpu_fiber {
    void *sp;                 /* saved stack pointer (hand-written switch) */
    void *uc;                 /* ucontext_t * (fallback) */
    void *stack;              /* NULL for the scheduler's own stack */
    size_t stack_size;
    void *asan_fake;          /* ASan's fake stack of this context while switched out */
    const void *asan_bottom;  /* ASan: bounds of this context's stack */
    size_t asan_size;
} mcpu_fiber;

/* Prepares f to run entry() on [stack, stack + size) at the first switch
 * to it. entry must never return: its last act is a final switch. */
int mcpu_fiber_make(mcpu_fiber *f, void *stack, size_t size, void (*entry)(void));
/* Switches from `from` (the running context) to `to`. final: `from` will
 * never run again (ASan frees its fake stack). */
void mcpu_fiber_switch(mcpu_fiber *from, mcpu_fiber *to, int final);
/* Called first thing in entry() (ASan bookkeeping of the switch into it). */
void mcpu_fiber_started(mcpu_fiber *self, mcpu_fiber *from);
void mcpu_fiber_free(mcpu_fiber *f);

#endif
