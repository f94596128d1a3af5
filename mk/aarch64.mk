# make test-aarch64: cross-compile everything for arm64 (Debian's
# gcc-aarch64-linux-gnu and arm64 -dev packages via multiarch) and run the
# whole test suite under qemu-aarch64. Installs what is missing when run as
# root (mk/ensure-deps.sh with CROSS set).
AARCH64_CROSS := aarch64-linux-gnu-
AARCH64_SYSROOT := /usr/aarch64-linux-gnu
AARCH64_PKG_CONFIG := env PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig PKG_CONFIG_PATH= pkg-config
AARCH64_BUILD := build/aarch64$(if $(SANITIZE),-san)

.PHONY: test-aarch64 build-aarch64
build-aarch64:
	$(Q)$(MAKE) --no-print-directory CROSS=$(AARCH64_CROSS) BUILD=$(AARCH64_BUILD) \
	  PKG_CONFIG='$(AARCH64_PKG_CONFIG)' all
	$(Q)printf '#!/bin/sh\nexec qemu-aarch64 -L $(AARCH64_SYSROOT) "$$(dirname "$$0")/%s" "$$@"\n' qcts > $(AARCH64_BUILD)/qcts-qemu
	$(Q)printf '#!/bin/sh\nexec qemu-aarch64 -L $(AARCH64_SYSROOT) "$$(dirname "$$0")/tests/%s" "$$@"\n' qcts-tests > $(AARCH64_BUILD)/qcts-tests-qemu
	$(Q)chmod +x $(AARCH64_BUILD)/qcts-qemu $(AARCH64_BUILD)/qcts-tests-qemu

test-aarch64: build-aarch64
	@file $(AARCH64_BUILD)/qcts | sed 's/,.*//'
	@QCTS=$(AARCH64_BUILD)/qcts-qemu TEST_RUNNER=$(AARCH64_BUILD)/qcts-tests-qemu tests/run-all.sh
