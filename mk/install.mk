# make install PREFIX=DIR [DESTDIR=STAGING]  /  make uninstall PREFIX=DIR
#
# Installs (README "Installing"):
#   bin/qcts                          the program (libraries linked in statically)
#   lib/libqref.so.V, libqcts.so.V    shared libraries with sonames libqref.so.0,
#                                     libqcts.so.0 (and .so links for -lqref, -lqcts)
#   include/qref/*.h, include/qcts/*.h  every public header (wildcards: a new
#                                     header is installed without editing this file)
#   lib/pkgconfig/qref.pc, qcts.pc
#   share/qcts/golden, share/qcts/suites  the golden vectors and their suite
#                                     definitions (an installed qcts finds them)
#   share/man/man1/qcts.1             generated from `qcts help` (mk/gen-man.sh)
#   share/bash-completion/completions/qcts
#
# The shared libraries need position-independent objects: install builds a
# second tree, $(BUILD)-pic, with -fPIC (a sub-make, as fuzz.mk does), and
# installs everything from there. The list of installed files is written to
# PREFIX/share/qcts/install-manifest.txt (paths relative to PREFIX), which
# uninstall reads.
PREFIX ?= /usr/local
DESTDIR ?=
QCTS_VERSION_STR := $(shell sed -n 's/^\#define QCTS_VERSION "\(.*\)"/\1/p' cli/version.h)
QCTS_SOVERSION := 0
INSTALL_BUILD := $(BUILD)-pic
SO_REF := $(BUILD)/lib/libqref.so.$(QCTS_VERSION_STR)
SO_QCTS := $(BUILD)/lib/libqcts.so.$(QCTS_VERSION_STR)
PUBLIC_HEADERS_QREF := $(sort $(wildcard ref/include/qref/*.h))
PUBLIC_HEADERS_QCTS := $(sort $(wildcard */include/qcts/*.h))
I := $(DESTDIR)$(PREFIX)

.PHONY: install uninstall install-from-pic shared-libs
ifeq ($(shell uname -s),Darwin)
# sonames, --whole-archive and $ORIGIN are ELF: the macOS equivalents
# (install_name, -force_load, @loader_path) are not written yet.
install:
	@echo "make install: not available on macOS yet (the shared libraries are built for ELF/Linux)" >&2; exit 1
else ifeq ($(findstring -fPIC,$(OPT)),)
install:
	$(Q)$(MAKE) --no-print-directory BUILD=$(INSTALL_BUILD) OPT="$(OPT) -fPIC" PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" install-from-pic
else
install: install-from-pic
endif

shared-libs: $(SO_REF) $(SO_QCTS)

# --no-undefined: a library that needs a symbol of cli/ or tests/ fails here,
# not in a user's link.
$(SO_REF): $(LIBQREF)
	$(say) SO $@
	$(Q)$(CC) $(LDFLAGS_BASE) -shared -Wl,-soname,libqref.so.$(QCTS_SOVERSION) -Wl,--no-undefined -o $@ \
	  -Wl,--whole-archive $(LIBQREF) -Wl,--no-whole-archive $(LDLIBS_BASE)
$(SO_QCTS): $(filter-out $(LIBQREF),$(QCTS_LIBS)) $(SO_REF)
	$(say) SO $@
	$(Q)$(CC) $(LDFLAGS_BASE) -shared -Wl,-soname,libqcts.so.$(QCTS_SOVERSION) -Wl,--no-undefined -o $@ \
	  -Wl,-rpath,'$$ORIGIN' -Wl,--whole-archive $(filter-out $(LIBQREF),$(QCTS_LIBS)) -Wl,--no-whole-archive $(SO_REF) \
	  -Wl,--as-needed $(PKG_LIBS) $(LDLIBS_BASE)

$(BUILD)/share/qcts.1: $(QCTS) mk/gen-man.sh
	$(say) MAN $@
	$(Q)mkdir -p $(@D) && sh mk/gen-man.sh $(QCTS) $(QCTS_VERSION_STR) > $@.tmp && mv $@.tmp $@

define newline


endef
define pc_file
prefix=$(PREFIX)
exec_prefix=$${prefix}
libdir=$${prefix}/lib
includedir=$${prefix}/include

Name: $(1)
Description: $(2)
Version: $(QCTS_VERSION_STR)
$(3)
Cflags: -I$${includedir}
endef
export QREF_PC := $(call pc_file,qref,qcts bit-exact scalar reference: element codecs schemes and GEMM,Libs: -L$${libdir} -lqref)
export QCTS_PC := $(call pc_file,qcts,qcts backend plugin ABI (qcts/backend.h) and the harness libraries,Requires: qref$(newline)Requires.private: gsl libcjson sqlite3$(newline)Libs: -L$${libdir} -lqcts$(newline)Libs.private: -lm -lpthread -ldl)

install-from-pic: $(QCTS) $(SO_REF) $(SO_QCTS) $(BUILD)/share/qcts.1
	@echo "  INSTALL $(I)"
	$(Q)set -e; m=$(BUILD)/install-manifest.txt; : > $$m; \
	put() { mode=$$1; src=$$2; dst=$$3; mkdir -p "$$(dirname "$$dst")"; \
	        rm -f "$$dst"; cp "$$src" "$$dst"; chmod $$mode "$$dst"; echo "$${dst#$(I)/}" >> $$m; }; \
	put 755 $(QCTS) "$(I)/bin/qcts"; \
	put 755 $(SO_REF) "$(I)/lib/libqref.so.$(QCTS_VERSION_STR)"; \
	put 755 $(SO_QCTS) "$(I)/lib/libqcts.so.$(QCTS_VERSION_STR)"; \
	for l in qref qcts; do \
	  for n in lib$$l.so.$(QCTS_SOVERSION) lib$$l.so; do \
	    rm -f "$(I)/lib/$$n"; ln -s lib$$l.so.$(QCTS_VERSION_STR) "$(I)/lib/$$n"; echo "lib/$$n" >> $$m; \
	  done; \
	done; \
	for h in $(PUBLIC_HEADERS_QREF); do put 644 $$h "$(I)/include/qref/$${h##*/}"; done; \
	for h in $(PUBLIC_HEADERS_QCTS); do put 644 $$h "$(I)/include/qcts/$${h##*/}"; done; \
	mkdir -p "$(I)/lib/pkgconfig"; \
	printf '%s\n' "$$QREF_PC" > "$(I)/lib/pkgconfig/qref.pc"; echo lib/pkgconfig/qref.pc >> $$m; \
	printf '%s\n' "$$QCTS_PC" > "$(I)/lib/pkgconfig/qcts.pc"; echo lib/pkgconfig/qcts.pc >> $$m; \
	put 644 $(BUILD)/share/qcts.1 "$(I)/share/man/man1/qcts.1"; \
	put 644 mk/qcts-completion.bash "$(I)/share/bash-completion/completions/qcts"; \
	for f in $$(cd vectors && find golden suites -type f | LC_ALL=C sort); do \
	  put 644 vectors/$$f "$(I)/share/qcts/$$f"; \
	done; \
	echo share/qcts/install-manifest.txt >> $$m; \
	cp $$m "$(I)/share/qcts/install-manifest.txt"
	@echo "  installed qcts $(QCTS_VERSION_STR) under $(I) ($$(wc -l < $(BUILD)/install-manifest.txt) files)"

# Removes exactly the files install wrote (its manifest), then the folders
# of its own it leaves empty (and the standard ones it filled, when empty).
uninstall:
	$(Q)m="$(I)/share/qcts/install-manifest.txt"; \
	if [ ! -f "$$m" ]; then echo "qcts: nothing to uninstall: $$m not found" >&2; exit 1; fi; \
	while IFS= read -r f; do case $$f in ""|/*|*..*) continue ;; esac; rm -f "$(I)/$$f"; done < "$$m"; \
	find "$(I)/share/qcts" -depth -type d -empty -delete 2>/dev/null; \
	for d in include/qref include/qcts lib/pkgconfig share/man/man1 share/bash-completion/completions; do \
	  rmdir "$(I)/$$d" 2>/dev/null; :; \
	done; \
	echo "  uninstalled qcts from $(I)"
