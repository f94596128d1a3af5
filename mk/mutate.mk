# make mutate / make mutate-checker: mutation testing (tools/mutate/mutate.py,
# README.md "Mutation testing"). Never part of `make test` (minutes per run).
#
#   make mutate BACKEND=avx2                 kernels/simd/avx2 + generic vs qcts check
#   make mutate BACKEND=plugin:PATH.so MUTATE_SOURCES='my/src' \
#        MUTATE_BUILD='make -C my' MUTATE_OBJECTS=PATH.so   a plugin's own sources
#   make mutate-checker                      verdict.c, metrics.c, the GEMM bound vs the checker's tests
#   options: MUTATE_SAMPLE=200 MUTATE_SEED=N MUTATE_TIMEOUT=90 MUTATE_ASAN=1 (rerun survivors under ASan)
BACKEND ?= avx2
MUTATE_SAMPLE ?= 200
MUTATE_TIMEOUT ?= 90
MUTATE_SEED ?=
MUTATE_ASAN ?= 1
MUTATE_SOURCES ?= $(if $(filter avx2 simd,$(BACKEND)),kernels/simd/avx2 kernels/simd/generic,)
MUTATE_BUILD ?=
MUTATE_OBJECTS ?=
MUTATE_PY := python3 tools/mutate/mutate.py
# The generic tier is checked through the scalar simd backend too (the code
# avx2 calls only for tails is what everything else runs on).
MUTATE_CHECK = $(BUILD)/qcts check --backend $(BACKEND) --no-db$(if $(filter avx2,$(BACKEND)), && QCTS_FORCE_ISA=scalar $(BUILD)/qcts check --backend simd --no-db,)
MUTATE_ASAN_CHECK = $$BUILD/qcts check --backend $(BACKEND) --no-db$(if $(filter avx2,$(BACKEND)), && QCTS_FORCE_ISA=scalar $$BUILD/qcts check --backend simd --no-db,)

.PHONY: mutate mutate-checker
mutate:
	@test -n "$(MUTATE_SOURCES)" || { echo "make mutate: set MUTATE_SOURCES for backend $(BACKEND)"; exit 2; }
	$(MUTATE_PY) --sources $(MUTATE_SOURCES) --sample $(MUTATE_SAMPLE) --timeout $(MUTATE_TIMEOUT) \
	  $(if $(MUTATE_SEED),--seed $(MUTATE_SEED)) $(if $(MUTATE_BUILD),--build-cmd '$(MUTATE_BUILD)') \
	  $(if $(MUTATE_OBJECTS),--objects $(MUTATE_OBJECTS)) --build $(BUILD) --target $(BUILD)/qcts \
	  $(if $(filter 1,$(MUTATE_ASAN)),--asan-test '$(MUTATE_ASAN_CHECK)') \
	  --json $(BUILD)/mutate-$(subst /,_,$(subst :,_,$(BACKEND))).json --test '$(MUTATE_CHECK)'

mutate-checker:
	$(MUTATE_PY) --sources conformance/src/verdict.c conformance/src/metrics.c ref/src/gemm.c:369-630 \
	  --sample $(MUTATE_SAMPLE) --timeout 600 $(if $(MUTATE_SEED),--seed $(MUTATE_SEED)) \
	  --build $(BUILD) --target '$(BUILD)/qcts $(BUILD)/tests/qcts-tests' \
	  --json $(BUILD)/mutate-checker.json --test 'BUILD=$(BUILD) sh tools/mutate/checker-test.sh'
