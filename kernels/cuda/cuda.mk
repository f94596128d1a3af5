# kernels/cuda/: the `cuda` backend (NVIDIA GPUs), built when nvcc is found
# (PATH, else $(CUDA_HOME)/bin/nvcc) in a native build without sanitizers
# (CROSS and SANITIZE empty); otherwise `cuda` stays a planned backend that
# says why it was not built. QCTS_CUDA=0 turns it off.
#
# The CUDA runtime is linked statically (libcudart_static.a): qcts needs no
# libcudart.so, and without a driver or a GPU the backend is UNAVAILABLE
# with the runtime's reason. kernels/cuda/qcu_build.c (plain C) is always
# built: the CPU test `cuda_decode` checks the weight rules everywhere.
CUDA_HOME ?= /usr/local/cuda
NVCC ?= $(or $(shell command -v nvcc 2>/dev/null),$(wildcard $(CUDA_HOME)/bin/nvcc))
QCTS_CUDA ?= 1
CUDA_ARCHS ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_90,code=compute_90

ifeq ($(and $(NVCC),$(filter 1,$(QCTS_CUDA)),$(if $(CROSS)$(SANITIZE),,1)),1)
QCTS_HAVE_CUDA := 1
CUDA_LIBDIR := $(dir $(NVCC))../lib64
CUDA_CU_SRCS := $(wildcard kernels/cuda/*.cu)
CUDA_C_SRCS := kernels/cuda/backend_cuda.c
CUDA_OBJS := $(CUDA_CU_SRCS:%.cu=$(BUILD)/obj/%.cu.o) $(CUDA_C_SRCS:%.c=$(BUILD)/obj/%.o)
LIBQCTS_CUDA := $(BUILD)/lib/libqcts_cuda.a
# --fmad=false: every multiply-add that is meant to be fused is written as
# __fmaf_rn; nothing else may be contracted (the numeric contract).
NVCC_FLAGS ?= -O3 -std=c++17 --fmad=false $(CUDA_ARCHS) -ccbin $(CC) -Xcompiler -Wall
QCTS_LIBS += $(LIBQCTS_CUDA)
LDLIBS_BASE += -L$(CUDA_LIBDIR) -lcudart_static -ldl -lrt -lstdc++
$(BUILD)/obj/kernels/registry.o: EXTRA_CFLAGS += -DQCTS_HAVE_CUDA=1
# the bench's GPU hooks (bench/src/bench_cuda.c) call into kernels/cuda
$(BUILD)/obj/bench/src/bench_cuda.o: EXTRA_CFLAGS += -DQCTS_HAVE_CUDA=1 -I.

$(BUILD)/obj/kernels/cuda/%.cu.o: kernels/cuda/%.cu $(wildcard kernels/cuda/*.h) ref/include/qref/blocks.h | $(DEPS_STAMP)
	$(say) NVCC $<
	$(Q)mkdir -p $(@D)
	$(Q)$(NVCC) $(NVCC_FLAGS) -I. -Iref/include -Ikernels/include -c $< -o $@

$(LIBQCTS_CUDA): $(CUDA_OBJS)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^

# A development tool (kernels/cuda/tools/gemv_sweep.cu): every GEMV
# kernel version on the bench shapes, timed on the GPU without qcts bench.
$(BUILD)/qcu-gemv-sweep: kernels/cuda/tools/gemv_sweep.cu $(LIBQCTS_CUDA)
	$(say) NVCC $@
	$(Q)$(NVCC) $(NVCC_FLAGS) -I. -Iref/include -Ikernels/include $< $(LIBQCTS_CUDA) -o $@ -ldl -lpthread
else
QCTS_HAVE_CUDA :=
endif

# Build (or take QCTS_PREBUILT's qcts) and check the golden set on the GPU.
.PHONY: test-cuda
test-cuda:
	@MAKE='$(MAKE)' QCTS_PREBUILT='$(QCTS_PREBUILT)' VECTORS='$(VECTORS)' sh kernels/cuda/test-cuda.sh

# The CPU test of the cuda backend's ABI 2 row functions (always built, no
# nvcc needed): kernels/cuda/ops_rows.h run on the host through a plugin;
# tests/cli/test-cuda-ops-host.sh checks it on the golden set.
CUDA_OPS_HOST := $(BUILD)/cuda-plugins/cuda_ops_host.so
# It compiles qcu_build.c and ref/ into itself (PIC; the static libraries are not).
$(CUDA_OPS_HOST): kernels/cuda/tools/ops_host_plugin.c $(wildcard kernels/cuda/*.h) \
  kernels/cuda/qcu_build.c kernels/include/qcts/backend.h $(wildcard ref/src/*.c) \
  $(wildcard ref/include/qref/*.h ref/src/*.h ref/src/*.inc) | $(DEPS_STAMP)
	$(say) SO $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(PLUGIN_CFLAGS) -I. -Iref/include -Iref/src $(LDFLAGS_BASE) -o $@ $< kernels/cuda/qcu_build.c \
	  $(wildcard ref/src/*.c) -lm
all: $(CUDA_OPS_HOST)
test test-repeat: $(CUDA_OPS_HOST)
