/* Fibers for the metal-cpu executor (mcpu_fiber.h). */
#include "kernels/metal/cpu/mcpu_fiber.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MCPU_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define MCPU_ASAN 1
#endif
#ifdef MCPU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#if (defined(__x86_64__) || defined(__aarch64__)) && !defined(MCPU_FORCE_UCONTEXT)
#define MCPU_ASM_SWITCH 1
#else
#include <ucontext.h>
#endif

#ifdef MCPU_ASM_SWITCH
/* void mcpu_switch_sp(void **save_sp, void *new_sp): pushes the callee-saved
 * registers, stores sp in *save_sp, loads new_sp, pops them and returns
 * into the other context. */
#if defined(__APPLE__)
#define MCPU_SYM "_mcpu_switch_sp"
#define MCPU_TYPE ""
#else
#define MCPU_SYM "mcpu_switch_sp"
#define MCPU_TYPE ".type mcpu_switch_sp, %function\n"
#endif
void mcpu_switch_sp(void **save_sp, void *new_sp);
#if defined(__x86_64__)
__asm__(".text\n.p2align 4\n.globl " MCPU_SYM "\n" MCPU_TYPE MCPU_SYM ":\n"
        "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
        "  movq %rsp, (%rdi)\n  movq %rsi, %rsp\n"
        "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
        "  ret\n");
#define MCPU_FRAME 64     /* 6 registers + return address, 16-aligned */
#else
__asm__(".text\n.p2align 4\n.globl " MCPU_SYM "\n" MCPU_TYPE MCPU_SYM ":\n"
        "  sub sp, sp, #176\n"
        "  stp x19, x20, [sp, #0]\n  stp x21, x22, [sp, #16]\n  stp x23, x24, [sp, #32]\n"
        "  stp x25, x26, [sp, #48]\n  stp x27, x28, [sp, #64]\n  stp x29, x30, [sp, #80]\n"
        "  stp d8, d9, [sp, #96]\n  stp d10, d11, [sp, #112]\n  stp d12, d13, [sp, #128]\n"
        "  stp d14, d15, [sp, #144]\n"
        "  mov x9, sp\n  str x9, [x0]\n  mov sp, x1\n"
        "  ldp x19, x20, [sp, #0]\n  ldp x21, x22, [sp, #16]\n  ldp x23, x24, [sp, #32]\n"
        "  ldp x25, x26, [sp, #48]\n  ldp x27, x28, [sp, #64]\n  ldp x29, x30, [sp, #80]\n"
        "  ldp d8, d9, [sp, #96]\n  ldp d10, d11, [sp, #112]\n  ldp d12, d13, [sp, #128]\n"
        "  ldp d14, d15, [sp, #144]\n"
        "  add sp, sp, #176\n  ret\n");
#define MCPU_FRAME 176
#endif
#endif

int mcpu_fiber_make(mcpu_fiber *f, void *stack, size_t size, void (*entry)(void))
{
    memset(f, 0, sizeof *f);
    f->stack = stack;
    f->stack_size = size;
#ifdef MCPU_ASM_SWITCH
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
    void **frame = (void **)(top - MCPU_FRAME);
    memset(frame, 0, MCPU_FRAME);
#if defined(__x86_64__)
    frame[6] = (void *)(uintptr_t)entry;   /* popped by ret: entry sees sp = top - 8 (ABI: 8 mod 16) */
#else
    frame[11] = (void *)(uintptr_t)entry;  /* x30 (lr); x29 = 0 ends backtraces */
#endif
    f->sp = frame;
    return 0;
#else
    ucontext_t *uc = calloc(1, sizeof *uc);
    if (!uc || getcontext(uc) != 0) {
        free(uc);
        return -1;
    }
    uc->uc_stack.ss_sp = stack;
    uc->uc_stack.ss_size = size;
    uc->uc_link = NULL;
    makecontext(uc, entry, 0);
    f->uc = uc;
    return 0;
#endif
}

void mcpu_fiber_switch(mcpu_fiber *from, mcpu_fiber *to, int final)
{
#ifdef MCPU_ASAN
    __sanitizer_start_switch_fiber(final ? NULL : &from->asan_fake, to->stack ? to->stack : to->asan_bottom,
                                   to->stack ? to->stack_size : to->asan_size);
#else
    (void)final;
#endif
#ifdef MCPU_ASM_SWITCH
    mcpu_switch_sp(&from->sp, to->sp);
#else
    if (!from->uc)
        from->uc = calloc(1, sizeof(ucontext_t));   /* the scheduler's own context */
    swapcontext(from->uc, to->uc);
#endif
#ifdef MCPU_ASAN
    /* back in `from`: note where we came from (the scheduler learns its
     * own stack bounds the first time a fiber switches back) */
    __sanitizer_finish_switch_fiber(from->asan_fake, NULL, NULL);
#endif
}

void mcpu_fiber_started(mcpu_fiber *self, mcpu_fiber *from)
{
    (void)self;
#ifdef MCPU_ASAN
    __sanitizer_finish_switch_fiber(NULL, &from->asan_bottom, &from->asan_size);
#else
    (void)from;
#endif
}

void mcpu_fiber_free(mcpu_fiber *f)
{
#ifndef MCPU_ASM_SWITCH
    free(f->uc);
    f->uc = NULL;
#else
    (void)f;
#endif
}
