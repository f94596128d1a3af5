# make test-fresh: .ci/run end to end in a minimal Debian root made with
# debootstrap, on a clone of the current commit (mk/test-fresh.sh; as root;
# not part of .ci/run: it takes long and needs the network).
.PHONY: test-fresh
test-fresh:
	@bash mk/test-fresh.sh
