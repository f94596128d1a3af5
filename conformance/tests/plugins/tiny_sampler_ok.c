/* A correct float32 sampler (tiny_sampler.h): every sampling case passes. */
#define TINY_SAMPLER_NAME "tiny_sampler_ok"
#include "tiny_sampler.h"
