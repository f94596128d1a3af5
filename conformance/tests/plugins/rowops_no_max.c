/* softmax without max subtraction (rowops_plugin.h): must FAIL the
 * large-logit cases (exp overflows). */
#define ROWOPS_NAME "rowops_no_max"
#define ROWOPS_NO_MAX 1
#include "rowops_plugin.h"
