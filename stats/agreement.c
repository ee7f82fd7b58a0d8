/* agreement.c - rank agreement between predicted and measured region costs, per workload. */
#include "engine.h"
#include "common.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- agreement ------------------------------------------------------------ */

int agreement__write(struct engine *e, const struct workload_data *w, const struct wl_calc *c,
			   int q, const char *metric)
{
	sqlite3_stmt *st = e->ins_agreement;
	const struct pred_data *pd = &c->pred[q];
	double *x = xmalloc(c->R * sizeof(*x)), *y = xmalloc(c->R * sizeof(*y));
	size_t n = 0;
	int ret = 0;

	for (size_t r = 0; r < c->R; r++) {
		if (!isfinite(pd->mean[r]) || !isfinite(c->hmean[r]))
			continue;
		x[n] = pd->mean[r];
		y[n++] = c->hmean[r];
	}
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, w->id);
	sqlite3_bind_text(st, 2, predictor__name(q), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, metric, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)n);
	{
		double v[4] = { stats__pearson(x, y, n), stats__spearman(x, y, n),
				stats__kendall(x, y, n), stats__mape(x, y, n) };

		for (int i = 0; i < 4; i++) {
			if (isfinite(v[i]))
				sqlite3_bind_double(st, 5 + i, v[i]);
			else
				sqlite3_bind_null(st, 5 + i);
		}
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		ret = error("%s: writing agreement: %s", e->path, sqlite3_errmsg(e->db));
	free(x);
	free(y);
	return ret;
}
