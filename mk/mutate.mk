# make mutate / make mutate-checker: mutation testing (tools/mutate/mutate.py,
# README.md "Mutation testing"). Never part of `make test` (minutes per run).
#
#   make mutate BACKEND=avx2                 kernels/simd/avx2 + generic + shared files vs qcts check
#   make mutate BACKEND=avx512               kernels/simd/avx512 + rowops.inc, rowop_slot.c
#   make mutate BACKEND=neon                 kernels/simd/neon, cross-built, checked under qemu-aarch64
#   (MUTATE_SRC_<backend> below; MUTATE_SOURCES='a.c dir' overrides, e.g. only some files)
#   make mutate BACKEND=plugin:PATH.so MUTATE_SOURCES='my/src' \
#        MUTATE_BUILD='make -C my' MUTATE_OBJECTS=PATH.so   a plugin's own sources
#   make mutate-checker                      verdict.c, metrics.c, the GEMM bound vs the checker's tests
#   options: MUTATE_SAMPLE=200 MUTATE_SEED=N MUTATE_TIMEOUT=90 MUTATE_ASAN=1 (rerun survivors under ASan;
#            not for neon) MUTATE_FAST=1 (staged: the file's suites first, then the whole set)
BACKEND ?= avx2
MUTATE_SAMPLE ?= 200
MUTATE_TIMEOUT ?= 90
MUTATE_SEED ?=
MUTATE_ASAN ?= $(if $(filter neon,$(BACKEND)),0,1)
# Per backend: its ISA folder and the shared files whose code it runs (the
# algorithms written once in kernels/simd/*.inc, the quantized-activation
# driver actq.c, the integer quantizer's driver, the op slots). A shared
# file sits in the list of a backend that compiles it in; the generic tier
# with avx2 (checked there through the scalar simd backend too).
MUTATE_SRC_avx2 := kernels/simd/avx2 kernels/simd/generic kernels/simd/attention_flash.inc \
  kernels/simd/hadamard_rows.inc kernels/simd/moe_experts.inc kernels/simd/rope_rows.inc kernels/simd/rope_plan.c \
  kernels/simd/actq.c kernels/simd/actq.h kernels/simd/quantize_int.c kernels/simd/convert_slot.c \
  kernels/simd/avx2_attention_slot.c
MUTATE_SRC_simd := $(MUTATE_SRC_avx2)
MUTATE_SRC_avx512 := kernels/simd/avx512 kernels/simd/rowops.inc kernels/simd/rowop_slot.c
MUTATE_SRC_neon := kernels/simd/neon
MUTATE_SOURCES ?= $(MUTATE_SRC_$(BACKEND))
MUTATE_BUILD ?=
MUTATE_OBJECTS ?=
MUTATE_PY := python3 tools/mutate/mutate.py
# neon: cross-built (mk/aarch64.mk) and checked under qemu-aarch64.
ifeq ($(BACKEND),neon)
MUTATE_BUILDDIR := build/aarch64
MUTATE_QCTS := build/aarch64/qcts-qemu
MUTATE_BUILD := $(MAKE) -s mutate-aarch64-qcts AARCH64_SYSROOT=$(abspath $(AARCH64_SYSROOT))
MUTATE_XARGS := --objdump $(AARCH64_CROSS)objdump --workdir build/mutate-neon
else
MUTATE_BUILDDIR := $(BUILD)
MUTATE_QCTS := $(BUILD)/qcts
MUTATE_XARGS :=
endif
# The generic tier is checked through the scalar simd backend too (the code
# avx2 calls only for tails is what everything else runs on).
MUTATE_CHECK = $(MUTATE_QCTS) check --backend $(BACKEND) --no-db$(if $(filter avx2,$(BACKEND)), && QCTS_FORCE_ISA=scalar $(MUTATE_QCTS) check --backend simd --no-db,)
MUTATE_ASAN_CHECK = $$BUILD/qcts check --backend $(BACKEND) --no-db$(if $(filter avx2,$(BACKEND)), && QCTS_FORCE_ISA=scalar $$BUILD/qcts check --backend simd --no-db,)
# Staged test (tools/mutate/mutate.py --fast-test): first only the suites
# whose ops the mutated file implements, then, for the mutants that pass,
# MUTATE_CHECK on the whole set. MUTATE_FAST=0 runs only MUTATE_CHECK.
MUTATE_FAST ?= 1
# FILEGLOB=SUITES (first match wins; A|B: both, one run each). Order matters:
# gemv-q8 before gemv, quantize before the rest.
MUTATE_FAST_FILTERS = '*/gemv-q8*=qact/*' '*/actq*=qact/*' '*/actquant*=qact/*' '*/quantize*=quantize/*' \
  '*attention*=attention/*' '*/hadamard*=hadamard/*' '*/moe_experts*=moe_experts/*' '*/moe_route*=moe_route/*' \
  '*/moe_dispatch*=moe_dispatch/*' '*/moe_slots.c=moe_route/*|moe_dispatch/*|moe_experts/*' '*/rope*=rope/*' \
  '*/rowop*=norm/*|softmax/*' '*/norm.c=norm/*' '*/softmax.c=softmax/*' '*/sampling.c=sampling/*' \
  '*/convert_slot.c=convert/*|quantize/*' \
  '*/dequant*=*dequant/*' '*/gemv*=*gemv/*' '*/gemm*=*gemm/*' '*/convert.c=sweep_gemv/*'
MUTATE_FAST_ARGS = $(if $(filter 1,$(MUTATE_FAST)),--fast-test '$(MUTATE_QCTS) check --backend $(BACKEND) --no-db --filter {filter}' \
  $(foreach f,$(MUTATE_FAST_FILTERS),--fast-filter $(f)),)

.PHONY: mutate mutate-checker mutate-aarch64-qcts
mutate:
	@test -n "$(MUTATE_SOURCES)" || { echo "make mutate: set MUTATE_SOURCES for backend $(BACKEND)"; exit 2; }
	$(MUTATE_PY) --sources $(MUTATE_SOURCES) --sample $(MUTATE_SAMPLE) --timeout $(MUTATE_TIMEOUT) \
	  $(if $(MUTATE_SEED),--seed $(MUTATE_SEED)) $(if $(MUTATE_BUILD),--build-cmd '$(MUTATE_BUILD)') \
	  $(if $(MUTATE_OBJECTS),--objects $(MUTATE_OBJECTS)) --build $(MUTATE_BUILDDIR) --target $(MUTATE_BUILDDIR)/qcts \
	  $(if $(filter 1,$(MUTATE_ASAN)),--asan-test '$(MUTATE_ASAN_CHECK)') $(MUTATE_XARGS) $(MUTATE_FAST_ARGS) \
	  --json $(BUILD)/mutate-$(subst /,_,$(subst :,_,$(BACKEND))).json --test '$(MUTATE_CHECK)'

# The arm64 qcts alone (and its qemu wrapper), for the neon campaign's rebuilds.
mutate-aarch64-qcts: aarch64-deps $(AARCH64_SYSROOT)/.complete
	$(Q)$(MAKE) --no-print-directory CROSS=$(AARCH64_CROSS) BUILD=build/aarch64 \
	  CC='$(AARCH64_CC)' PKG_CONFIG='$(AARCH64_PKG_CONFIG)' build/aarch64/qcts
	$(Q)printf '#!/bin/sh\nexec %s "$$(dirname "$$0")/%s" "$$@"\n' '$(AARCH64_QEMU)' qcts > build/aarch64/qcts-qemu
	$(Q)chmod +x build/aarch64/qcts-qemu

mutate-checker:
	$(MUTATE_PY) --sources conformance/src/verdict.c conformance/src/metrics.c ref/src/gemm.c:369-630 \
	  --sample $(MUTATE_SAMPLE) --timeout 600 $(if $(MUTATE_SEED),--seed $(MUTATE_SEED)) --workdir build/mutate-checker \
	  --build $(BUILD) --target '$(BUILD)/qcts $(BUILD)/tests/qcts-tests' \
	  --json $(BUILD)/mutate-checker.json --test 'BUILD=$(BUILD) sh tools/mutate/checker-test.sh'
