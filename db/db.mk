# db/: the SQLite results database (ARCHITECTURE.md "Database"). Public
# header db/include/qcts/db.h. db/schema.sql is the schema; the build turns
# it into C string literals, one per migration, so the binary and the file
# can never disagree.
DB_SRCS := $(wildcard db/src/*.c)
DB_OBJS := $(DB_SRCS:%.c=$(BUILD)/obj/%.o)
LIBQCTS_DB := $(BUILD)/lib/libqcts_db.a
DB_SCHEMA_INC := $(BUILD)/gen/db/schema.inc
CFLAGS_db := $(MODULE_INCLUDES) -Idb/include -I$(BUILD)/gen/db
# PostgreSQL stores (db/src/pg_store.c) when libpq is there (libpq-dev;
# mk/ensure-deps.sh installs it). Lazy: the check runs after the
# dependencies are installed. The arm64 sysroot has no libpq: built without.
QCTS_PG_OK = $(shell $(PKG_CONFIG) --exists libpq 2>/dev/null && echo 1)
$(BUILD)/obj/db/src/pg_store.o: EXTRA_CFLAGS += $(if $(QCTS_PG_OK),-DQCTS_HAVE_LIBPQ $(shell $(PKG_CONFIG) --cflags libpq))
PKG_LIBS += $(if $(QCTS_PG_OK),$(shell $(PKG_CONFIG) --libs libpq))
# The CLI and the test runner (included later) include qcts/db.h.
MODULE_INCLUDES += -Idb/include
QCTS_LIBS += $(LIBQCTS_DB)

$(LIBQCTS_DB): $(DB_OBJS)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^

# "-- migration N" starts migration N (in order from 1); lines before the
# first marker are the file's preamble. Double quotes and backslashes are
# refused, so each line can be copied into a C string as it is.
$(DB_SCHEMA_INC): db/schema.sql db/db.mk
	$(say) GEN $@
	$(Q)mkdir -p $(@D)
	$(Q)awk 'BEGIN { n = 0; print "/* Generated from db/schema.sql by db/db.mk. Do not edit. */"; \
	                 print "static const char *const qcts_db_migrations[] = {" } \
	     /^-- migration [0-9]+[ \t]*$$/ { if (n) print "    ,"; n++; \
	         if ($$3 + 0 != n) { print "db/schema.sql:" NR ": expected migration " n > "/dev/stderr"; exit 1 } \
	         print "    /* migration " n " */"; next } \
	     n && /["\\]/ { print "db/schema.sql:" NR ": double quote or backslash" > "/dev/stderr"; exit 1 } \
	     n { print "    \"" $$0 "\\n\"" } \
	     END { if (!n) { print "db/schema.sql: no migration" > "/dev/stderr"; exit 1 } print "};" }' \
	     db/schema.sql > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/db/src/db.o: $(DB_SCHEMA_INC)

# The unit tests compare the compiled migrations with the file.
$(BUILD)/obj/db/tests/test_db.o: EXTRA_CFLAGS += -DQCTS_DB_SCHEMA_SQL='"$(CURDIR)/db/schema.sql"'
