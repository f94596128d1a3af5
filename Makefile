# qcts — the only build entry point. Non-recursive: every folder adds its
# sources through its own *.mk fragment, included below.
#
#   make                 build the library, the qcts CLI and the tests
#   make run             build, then show what qcts does (see README.md)
#   make test            build and run every test (CUnit + CLI tests)
#   make test-report     render the HTML status report in headless Chromium
#   make install PREFIX=DIR  program, libraries, headers, data (make uninstall)
#   make test-exhaustive all 2^32 float32 inputs through the main encoders
#   make SANITIZE=address,undefined test
#   make test-aarch64    cross-build for arm64 and run every test under qemu
#   make V=1             show the commands
.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

include mk/config.mk
# Modules, lowest layer last so QCTS_LIBS is in link order (higher layers first).
-include $(wildcard reports/reports.mk bench/bench.mk conformance/conformance.mk db/db.mk kernels/kernels.mk vectors/vectors.mk)
include ref/ref.mk
# Programs come after every module has added its library.
include cli/cli.mk
include tests/tests.mk
include fuzz/fuzz.mk
include mk/aarch64.mk
include mk/fresh.mk
include mk/mutate.mk
include mk/test-repeat.mk
include mk/venv.mk
include mk/install.mk

.PHONY: all run test test-report test-exhaustive clean deps help
all: $(QCTS) $(TEST_RUNNER)

deps: $(DEPS_STAMP)

run: $(QCTS) $(QCTS_PLUGINS)
	@echo '$$ qcts --version'; $(QCTS) --version
	@echo; echo '$$ qcts list formats'; $(QCTS) list formats
	@echo; echo '$$ qcts convert --to e4m3 0.1 448 464 465 -1e9 nan'; $(QCTS) convert --to e4m3 0.1 448 464 465 -1e9 nan
	@echo; echo '$$ qcts convert --to e4m3 --convention cuda_satfinite -1e9 -nan'; $(QCTS) convert --to e4m3 --convention cuda_satfinite -1e9 -nan
	@echo; echo '$$ qcts convert --to e2m1 0.25 0.75 1.25 2.5 3.5 5 7'; $(QCTS) convert --to e2m1 0.25 0.75 1.25 2.5 3.5 5 7
	@echo; echo '$$ qcts convert --to e8m0 --convention ml_dtypes 0.75 1.5 3'; $(QCTS) convert --to e8m0 --convention ml_dtypes 0.75 1.5 3
	@echo; echo '$$ qcts convert --decode --from bf16 0x3f80 0x7f80 0xffc1'; $(QCTS) convert --decode --from bf16 0x3f80 0x7f80 0xffc1
	@echo; echo '$$ qcts vectors verify'; $(QCTS) vectors verify
	@b=$$($(QCTS) list backends | awk 'NR > 1 && $$2 == "yes" && $$1 !~ /:/ { printf "%s%s", s, $$1; s = "," }'); \
	  echo; echo "\$$ qcts check --backend $$b"; $(QCTS) check --backend $$b
	@echo; echo '$$ qcts bench --backend simd --shapes qwen3-4b-decode --cold'; $(QCTS) bench --backend simd --shapes qwen3-4b-decode --cold
	@echo; echo '$$ qcts report'; $(QCTS) report
	@echo; echo "status report: reports/STATUS.md and reports/status.html (open $(CURDIR)/reports/status.html)"

test: $(QCTS) $(TEST_RUNNER)
	@QCTS=$(QCTS) TEST_RUNNER=$(TEST_RUNNER) tests/run-all.sh

# Renders a generated status.html in headless Chromium (installed with apt-get
# when root and missing) and checks the page is not blank: reports/test-report.sh.
test-report: $(QCTS) $(QCTS_PLUGINS)
	@QCTS=$(QCTS) sh reports/test-report.sh

test-exhaustive: $(EXHAUSTIVE)
	$(EXHAUSTIVE) --threads $(NPROC)

clean:
	rm -rf build

help:
	@sed -n '2,12p' Makefile
