/* norm with eps outside the square root (rowops_plugin.h): must FAIL the
 * norm cases whose mean square is near eps. */
#define ROWOPS_NAME "rowops_eps_outside"
#define ROWOPS_EPS_OUTSIDE 1
#include "rowops_plugin.h"
