/*
 * phase_fp.c - scalar floating point and libm (sin, exp, log, sqrt, pow).
 * QEMU TCG runs most guest FP instructions through softfloat helper calls, so
 * this phase costs far more host time under emulation than on hardware: the
 * QEMU host-time predictor should overestimate it.
 */
#include "synth.h"

#include <math.h>

uint64_t phase_fp(const struct synth_sizes *z)
{
	double acc = 0.0, y = 1.0;
	uint64_t bits;

	for (uint64_t i = 0; i < z->fp_iters; i++) {
		double x = 0.001 + (double)(i % 4096) * 0.00390625;

		acc += sin(x) * exp(-x) + log1p(x) + sqrt(x);
		y = y * 0.999 + x / (y + 1.0);
		acc += pow(x, 0.37) * 1e-3;
	}
	acc += y;
	__builtin_memcpy(&bits, &acc, sizeof(bits));
	return bits;
}
