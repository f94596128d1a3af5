# make test-repeat [N=20] [J=2] [ONLY=GLOB] [EXCEPT=GLOB]: the flake detector (mk/test-repeat.sh)
# runs every unit test and CLI test N times and lists each test whose
# verdict changed. test-repeat-aarch64 does the same with the arm64 build
# under qemu (QCTS_TEST_QUICK=1, as test-aarch64). J runs go at once, each
# lane in its own TMPDIR. Not part of .ci/run.
N ?= 20
J ?= 2
.PHONY: test-repeat test-repeat-aarch64
test-repeat: $(QCTS) $(TEST_RUNNER) $(QCTS_PLUGINS)
	@J=$(J) QCTS=$(QCTS) TEST_RUNNER=$(TEST_RUNNER) sh mk/test-repeat.sh $(N) native

test-repeat-aarch64:
	$(Q)$(MAKE) --no-print-directory build-aarch64
	@J=$(J) QCTS_TEST_QUICK=1 QCTS=$(AARCH64_BUILD)/qcts-qemu TEST_RUNNER=$(AARCH64_BUILD)/qcts-tests-qemu \
	  sh mk/test-repeat.sh $(N) aarch64-qemu
