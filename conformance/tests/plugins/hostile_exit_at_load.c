/* Calls exit(0) while it is being loaded (a constructor): opening it fails
 * with the exit status, every case is ERROR. Uses only libc. */
#include <stdlib.h>

__attribute__((constructor)) static void hostile_exit_at_load(void)
{
    exit(0);
}
