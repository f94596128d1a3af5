# make mutate / make mutate-checker: mutation testing (tools/mutate/mutate.py,
# README.md "Mutation testing"). Never part of `make test` (minutes per run).
#
#   make mutate BACKEND=avx2                 kernels/simd/avx2 + generic vs qcts check
#   make mutate BACKEND=avx512               kernels/simd/avx512
#   make mutate BACKEND=neon                 kernels/simd/neon, cross-built, checked under qemu-aarch64
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
MUTATE_SOURCES ?= $(if $(filter avx2 simd,$(BACKEND)),kernels/simd/avx2 kernels/simd/generic,$(if $(filter avx512 neon,$(BACKEND)),kernels/simd/$(BACKEND),))
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
MUTATE_FAST_FILTERS = '*/dequant*=*dequant/*' '*/gemv*=*gemv/*' '*/gemm*=*gemm/*' '*/convert.c=sweep_gemv/*'
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
