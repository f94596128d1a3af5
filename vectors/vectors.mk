# vectors/: the golden-vector container (safetensors reader/writer, cJSON).
# Public header: vectors/include/qcts/safetensors.h. Format and naming:
# vectors/README.md.
VECTORS_SRCS := $(wildcard vectors/src/*.c)
VECTORS_OBJS := $(VECTORS_SRCS:%.c=$(BUILD)/obj/%.o)
LIBQCTS_VECTORS := $(BUILD)/lib/libqcts_vectors.a
CFLAGS_vectors := $(MODULE_INCLUDES) -Ivectors/include
QCTS_LIBS += $(LIBQCTS_VECTORS)

$(LIBQCTS_VECTORS): $(VECTORS_OBJS)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^

# The tests find their fixtures from the repository root, or from any
# directory through this absolute path.
$(BUILD)/obj/vectors/tests/test_safetensors.o: EXTRA_CFLAGS += -DQCTS_VECTORS_FIXTURES='"$(CURDIR)/vectors/tests/fixtures"'
