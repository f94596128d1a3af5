# cli/: the qcts program. Parses arguments and calls the modules, nothing else.
CLI_SRCS := $(wildcard cli/*.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
CFLAGS_cli := $(MODULE_INCLUDES)
QCTS := $(BUILD)/qcts

$(QCTS): $(CLI_OBJS) $(QCTS_LIBS)
	$(say) LINK $@
	$(Q)$(CC) $(LDFLAGS_BASE) -o $@ $(CLI_OBJS) $(LINK_GROUP_BEGIN) $(QCTS_LIBS) $(LINK_GROUP_END) $(PKG_LIBS) $(LDLIBS_BASE)
