# vectors/: the golden vectors: safetensors container (qcts/safetensors.h),
# suite definitions (vectors/suites/*.json), the deterministic generator and
# the manifest (qcts/vectors.h), the committed set (vectors/golden/). Format
# and naming: vectors/README.md and vectors/CASES.md.
VECTORS_SRCS := $(wildcard vectors/src/*.c)
VECTORS_OBJS := $(VECTORS_SRCS:%.c=$(BUILD)/obj/%.o)
LIBQCTS_VECTORS := $(BUILD)/lib/libqcts_vectors.a
# Only ref/ headers and its own: vectors/ knows nothing of backends (the
# case<->call bridge lives in kernels/), and the include path enforces it.
CFLAGS_vectors := -Iref/include -I. -Ivectors/include
# The CLI and the test runner include qcts/vectors.h and qcts/safetensors.h.
MODULE_INCLUDES += -Ivectors/include
QCTS_LIBS += $(LIBQCTS_VECTORS)

$(LIBQCTS_VECTORS): $(VECTORS_OBJS)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^

# The tests find their fixtures from the repository root, or from any
# directory through this absolute path.
$(BUILD)/obj/vectors/tests/test_safetensors.o: EXTRA_CFLAGS += -DQCTS_VECTORS_FIXTURES='"$(CURDIR)/vectors/tests/fixtures"'
$(BUILD)/obj/vectors/tests/test_gen.o: EXTRA_CFLAGS += -DQCTS_VECTORS_SUITES='"$(CURDIR)/vectors/suites"' \
  -DQCTS_VECTORS_GOLDEN='"$(CURDIR)/vectors/golden"'
$(BUILD)/obj/vectors/tests/test_vecset.o: EXTRA_CFLAGS += -DQCTS_VECTORS_GOLDEN='"$(CURDIR)/vectors/golden"'

# make vectors: regenerate the committed golden set and its MANIFEST.json
# (never part of `make` / `make all`: the files are committed; `make test`
# checks them with `qcts vectors verify --regenerate`).
.PHONY: vectors
vectors: $(BUILD)/qcts
	$(BUILD)/qcts vectors gen --suite all --out vectors/golden
