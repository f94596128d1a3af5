/* qcts_program.c — a small program built by tests/cli/test-install.sh with
 * `pkg-config --cflags --libs qcts` against the installed shared libraries:
 * one encode through libqref, one backend opened through libqcts. */
#include <stdio.h>

#include <qcts/backends.h>
#include <qref/fmt.h>

int main(void)
{
    uint32_t code;
    if (qref_encode(QREF_FMT_E4M3, QREF_CONV_OCP, QREF_MODE_DEFAULT, 448.0f, &code) != QREF_OK)
        return 1;
    printf("e4m3(448) = 0x%02x\n", (unsigned)code);
    char err[256];
    qcts_backend_handle *h;
    if (qcts_backend_open("ref", &h, err, sizeof err) != QCTS_OK) {
        fprintf(stderr, "qcts_program: %s\n", err);
        return 1;
    }
    printf("backend %s, ABI %u\n", qcts_backend_get(h)->name, (unsigned)qcts_backend_get(h)->abi_version);
    qcts_backend_close(h);
    return 0;
}
