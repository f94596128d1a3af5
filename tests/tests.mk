# tests/: one CUnit runner for every module's unit tests.
# Every <module>/tests/test_<name>.c defines one suite with QTEST_SUITE(<name>, ...)
# (see tests/qtest.h); the list of suites is generated from the file names, so
# adding a test file is all it takes. Files named *_main.c are separate programs.
TEST_SRCS := $(sort $(wildcard */tests/test_*.c))
TEST_SUPPORT_SRCS := $(filter-out $(TEST_SRCS) %_main.c,$(wildcard */tests/*.c))
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/obj/%.o) $(TEST_SUPPORT_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_RUNNER := $(BUILD)/tests/qcts-tests
TEST_SUITES_INC := $(BUILD)/gen/test_suites.inc
CFLAGS_tests := $(MODULE_INCLUDES) -Itests -I$(BUILD)/gen
TEST_CFLAGS := $(MODULE_INCLUDES) -Itests
EXHAUSTIVE := $(BUILD)/tests/exhaustive

# Test sources of every module compile with the test include path.
$(TEST_OBJS) $(BUILD)/obj/ref/tests/exhaustive_main.o: EXTRA_CFLAGS += $(TEST_CFLAGS)

$(TEST_SUITES_INC): $(TEST_SRCS) tests/tests.mk
	$(Q)mkdir -p $(@D)
	$(Q)for f in $(TEST_SRCS); do n=$${f##*/test_}; echo "QTEST_SUITE_ENTRY($${n%.c})"; done > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/tests/runner_main.o: $(TEST_SUITES_INC)

$(TEST_RUNNER): $(BUILD)/obj/tests/runner_main.o $(TEST_OBJS) $(QCTS_LIBS)
	$(say) LINK $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS_BASE) -o $@ $(filter %.o,$^) $(LINK_GROUP_BEGIN) $(QCTS_LIBS) $(LINK_GROUP_END) $(PKG_LIBS) $(LDLIBS_BASE)

$(EXHAUSTIVE): $(BUILD)/obj/ref/tests/exhaustive_main.o $(TEST_SUPPORT_SRCS:%.c=$(BUILD)/obj/%.o) $(QCTS_LIBS)
	$(say) LINK $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS_BASE) -o $@ $(filter %.o,$^) $(LINK_GROUP_BEGIN) $(QCTS_LIBS) $(LINK_GROUP_END) $(PKG_LIBS) $(LDLIBS_BASE)
