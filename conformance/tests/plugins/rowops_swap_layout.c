/* rope with NeoX and GPT-J pairs swapped (rowops_plugin.h): must FAIL. */
#define ROWOPS_NAME "rowops_swap_layout"
#define ROWOPS_SWAP_LAYOUT 1
#include "rowops_plugin.h"
