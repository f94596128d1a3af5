# ref/: libqref, the bit-exact scalar reference. Needs only libc.
REF_SRCS := $(wildcard ref/src/*.c)
REF_OBJS := $(REF_SRCS:%.c=$(BUILD)/obj/%.o)
LIBQREF := $(BUILD)/lib/libqref.a
CFLAGS_ref := -Iref/include
QCTS_LIBS += $(LIBQREF)

$(LIBQREF): $(REF_OBJS)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^
