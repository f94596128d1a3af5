# kernels/simd/: CPU SIMD kernels and the `avx2`, `avx512`, `neon` and
# `simd` backends (kernels/simd/README.md). Included from kernels/kernels.mk.
#
# ISA flags are per file, never global: only kernels/simd/<isa>/*.o get
# them; the dispatch (backend_simd.c, cpu.c, parallel.c, ...) and the
# generic tier build for the baseline target, so the program runs on any
# CPU and picks the kernels at run time. avx2/ and avx512/ are built only
# for x86-64 targets, neon/ only for arm64 (AdvSIMD is baseline there).
SIMD_ARCH := $(shell $(CC) -dumpmachine 2>/dev/null)
SIMD_SRCS := $(wildcard kernels/simd/*.c kernels/simd/generic/*.c)
ifneq ($(filter x86_64-% amd64-%,$(SIMD_ARCH)),)
SIMD_SRCS += $(wildcard kernels/simd/avx2/*.c kernels/simd/avx512/*.c)
endif
ifneq ($(filter aarch64-% arm64-%,$(SIMD_ARCH)),)
SIMD_SRCS += $(wildcard kernels/simd/neon/*.c)
endif
SIMD_OBJS := $(SIMD_SRCS:%.c=$(BUILD)/obj/%.o)
LIBQCTS_SIMD := $(BUILD)/lib/libqcts_simd.a
QCTS_LIBS += $(LIBQCTS_SIMD)

$(BUILD)/obj/kernels/simd/avx2/%.o: EXTRA_CFLAGS += -mavx2 -mfma -mf16c
$(BUILD)/obj/kernels/simd/avx512/%.o: EXTRA_CFLAGS += -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -mf16c

# The quantized-activation kernels (actq.h) need one extension each beyond
# their directory's baseline; actq.c picks them only where the CPU has it.
$(BUILD)/obj/kernels/simd/avx512/gemv-q8.o: EXTRA_CFLAGS += -mavx512vnni -mavx512vbmi
$(BUILD)/obj/kernels/simd/avx512/gemv-q8k.o: EXTRA_CFLAGS += -mavx512vnni
$(BUILD)/obj/kernels/simd/neon/gemv-q8.o: EXTRA_CFLAGS += -march=armv8.2-a+dotprod
$(BUILD)/obj/kernels/simd/neon/gemv-q8k.o: EXTRA_CFLAGS += -march=armv8.2-a+dotprod
$(BUILD)/obj/kernels/simd/neon/gemv-q8-i8mm.o: EXTRA_CFLAGS += -march=armv8.2-a+dotprod+i8mm

$(LIBQCTS_SIMD): $(SIMD_OBJS)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^
