# reports/: STATUS.md and status.html from the results database
# (qcts/reports.h). Reads db/ only.
REPORTS_SRCS := $(wildcard reports/src/*.c)
REPORTS_OBJS := $(REPORTS_SRCS:%.c=$(BUILD)/obj/%.o)
LIBQCTS_REPORTS := $(BUILD)/lib/libqcts_reports.a
# Lazy: db/ adds its include folder after this file is read.
CFLAGS_reports = $(MODULE_INCLUDES) -Idb/include
MODULE_INCLUDES += -Ireports/include
QCTS_LIBS += $(LIBQCTS_REPORTS)

$(LIBQCTS_REPORTS): $(REPORTS_OBJS)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^
