# fuzz/: libFuzzer targets (fuzz/README.md). Built with clang into
# build/fuzz by a second make of this same tree (BUILD=build/fuzz CC=clang
# and the sanitizers below), so every library is instrumented too. Warnings
# are not errors there: clang warns where gcc, the gating compiler, does not.
#   make fuzz         build the targets and their seed corpora
#   make fuzz-smoke   run each target for FUZZ_SMOKE_SECONDS on its seeds
#                     and regression inputs (fuzz/regress/<target>/); any
#                     crash, leak, UB, timeout or broken invariant fails
FUZZ_TARGETS := safetensors case_ref batch manifest suites shapes db_merge
FUZZ_DIR := build/fuzz
FUZZ_SAN := address,undefined,float-cast-overflow
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/bin/fuzz_%)

.PHONY: fuzz fuzz-bins fuzz-seeds fuzz-smoke
fuzz:
	$(Q)sh mk/ensure-deps.sh fuzz
	$(Q)$(MAKE) --no-print-directory BUILD=$(FUZZ_DIR) CC=clang OPT="-O1 -Wno-error" SANITIZE=$(FUZZ_SAN),fuzzer-no-link fuzz-bins
	$(Q)$(MAKE) --no-print-directory fuzz-seeds

# Inner make only (BUILD is build/fuzz there): link each target with
# every library and the CLI's batch readers.
FUZZ_CLI_OBJS = $(BUILD)/obj/cli/batch.o $(BUILD)/obj/cli/args.o $(BUILD)/obj/cli/scheme_opts.o \
  $(BUILD)/obj/cli/text.o
CFLAGS_fuzz = $(MODULE_INCLUDES) -DQCTS_FUZZ_SRC_DIR='"$(CURDIR)"'
.SECONDEXPANSION:
fuzz-bins: $(FUZZ_BINS)
.PRECIOUS: $(BUILD)/obj/fuzz/%.o
$(FUZZ_DIR)/bin/fuzz_%: $(BUILD)/obj/fuzz/%.o $$(FUZZ_CLI_OBJS) $$(QCTS_LIBS)
	$(say) LINK $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< $(FUZZ_CLI_OBJS) $(LINK_GROUP_BEGIN) $(QCTS_LIBS) \
	  $(LINK_GROUP_END) $(PKG_LIBS) $(LDLIBS_BASE)

# Seed corpora, made from the repository's files at build time (nothing
# binary is committed but the small regression inputs): fuzz/make-seeds.sh.
FUZZ_SEEDS_STAMP := $(FUZZ_DIR)/seeds/.made
fuzz-seeds: $(FUZZ_SEEDS_STAMP)
$(FUZZ_SEEDS_STAMP): $(QCTS) fuzz/make-seeds.sh $(wildcard fuzz/manifest-suites/*.json vectors/suites/*.json \
  bench/shapes/*.json vectors/tests/fixtures/*.safetensors) vectors/golden/MANIFEST.json
	$(Q)QCTS=$(QCTS) sh fuzz/make-seeds.sh $(FUZZ_DIR)/seeds && touch $@

fuzz-smoke: fuzz
	$(Q)FUZZ_DIR=$(FUZZ_DIR) SECONDS_PER_TARGET=$(FUZZ_SMOKE_SECONDS) sh fuzz/run.sh smoke $(FUZZ_TARGETS)
