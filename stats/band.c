/* band.c - the tolerance band's verdict on an interval, shared by the
 * comparisons judged on their interval alone (latency, servers). */
#include "stats.h"

#include <math.h>

const char *stats__band_verdict(double lo, double hi, double t, int usable)
{
	if (!usable || !isfinite(lo) || !isfinite(hi))
		return "inconclusive";
	if (lo > t)
		return "underestimates";
	if (hi < 1 / t)
		return "overestimates";
	if (lo >= 1 / t && hi <= t)
		return "agrees";
	return "inconclusive";
}
