/* top-p on the wrong side of the threshold: keeps only the prefix strictly
 * below top_p, dropping the token that crosses it (FAIL on the top-p cases). */
#define TINY_SAMPLER_NAME "broken_sampler_topp"
#define TINY_SAMPLER_WRONG_TOPP 1
#include "tiny_sampler.h"
