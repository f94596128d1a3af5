/* The float32 row ops, correct (rowops_plugin.h): must PASS. */
#define ROWOPS_NAME "rowops_ok"
#include "rowops_plugin.h"
