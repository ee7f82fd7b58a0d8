/*
 * workload.c - everything stats computes for one workload, step by step: it
 * picks the platforms, runs, regions and hardware metric, writes the
 * region_stat rows (region_stat.c), computes the per-run shares, fits the
 * cost model (model.c), bootstraps the factors (factor_boot.c), collects
 * the findings for the study-wide BH step (factor_ci.c) and writes the
 * agreement rows (agreement.c).
 *
 * The model of the data: invocations (runs) are the independent units.
 * Emulation runs and hardware runs are two independent samples; the regions
 * of one run are dependent (their shares sum to 1).
 */
#include "engine.h"
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- platform, run, region and metric selection -------------------------- */

/* The platform of the given kind with the most ok runs (ties: table order). */
static int pick_platform(const struct workload_data *w, int emu)
{
	size_t count[PLAT_COUNT] = { 0 };
	int best = -1;

	for (size_t i = 0; i < w->nruns; i++)
		if (w->run[i].platform >= 0 && w->run[i].status == RUN_OK)
			count[w->run[i].platform]++;
	for (int p = 0; p < PLAT_COUNT; p++)
		if (platform__is_emu(p) == emu && count[p] && (best < 0 || count[p] > count[best]))
			best = p;
	return best;
}

/* ---- shares ---------------------------------------------------------------- */

/* per-run shares of metric m over the selected regions; 0 on success */
static int run_shares(const struct workload_data *w, int m, const size_t *runs, size_t n,
		      const size_t *reg, size_t R, double *out)
{
	for (size_t i = 0; i < n; i++) {
		double total = 0;

		for (size_t r = 0; r < R; r++) {
			double v = workload_data__get(w, m, runs[i], reg[r]);

			/* a region absent from a run did not execute in it */
			out[i * R + r] = isnan(v) ? 0 : v;
			total += out[i * R + r];
		}
		if (!(total > 0))
			return -1;
		for (size_t r = 0; r < R; r++)
			out[i * R + r] /= total;
	}
	return 0;
}

static void mean_var(const double *x, size_t n, size_t R, double *mean, double *var)
{
	for (size_t r = 0; r < R; r++) {
		double s = 0, ss = 0;

		for (size_t i = 0; i < n; i++)
			s += x[i * R + r];
		mean[r] = s / (double)n;
		for (size_t i = 0; i < n; i++)
			ss += (x[i * R + r] - mean[r]) * (x[i * R + r] - mean[r]);
		var[r] = n > 1 ? ss / (double)(n - 1) : NAN;
	}
}

/* ---- per workload ---------------------------------------------------------- */

/* The ok runs of platform p; of them, those with a value > 0 of metric m in region r. */
static size_t ok_runs(const struct workload_data *w, int p)
{
	size_t n = 0;

	for (size_t i = 0; i < w->nruns; i++)
		n += w->run[i].status == RUN_OK && w->run[i].platform == p;
	return n;
}

static size_t ok_runs_valued(const struct workload_data *w, int p, int m, size_t r)
{
	size_t n = 0;

	for (size_t i = 0; i < w->nruns; i++)
		n += w->run[i].status == RUN_OK && w->run[i].platform == p && workload_data__get(w, m, i, r) > 0;
	return n;
}

/* Why region r gets no verdict when ne emulation or nh hardware runs with
 * costs in the compared regions are too few: which side lacks what, there. */
static const char *lacking_why(const struct workload_data *w, int emu_p, int hw_p, int insns_m, int hw_m,
			       size_t r, size_t ne, size_t nh)
{
	size_t e_here = ok_runs_valued(w, emu_p, insns_m, r), h_here = ok_runs_valued(w, hw_p, hw_m, r);

	if (ne >= 65536 || nh >= 65536)
		return "more than 65535 runs on one side";
	if (ne < 2 && ok_runs(w, emu_p) < 2)
		return "emulation lacks runs: fewer than 2 ok emulation runs";
	if (ne < 2 && !e_here)
		return h_here ? "emulation lacks this region: no emulation run counted instructions in it, "
				"hardware runs measured it"
			      : "neither side measured this region";
	if (ne < 2)
		return "emulation lacks instruction counts: fewer than 2 emulation runs counted "
		       "instructions in the compared regions";
	if (ok_runs(w, hw_p) < 2)
		return "hardware lacks runs: fewer than 2 ok hardware runs";
	if (!h_here)
		return e_here ? "hardware lacks this region: no hardware run measured the metric in it, "
				"emulation runs counted instructions in it"
			      : "neither side measured this region";
	return "hardware lacks the metric: fewer than 2 hardware runs measured it in the compared regions";
}

static const char *hw_metric_name(const struct workload_data *w, const struct stats_options *o,
				  int symbols, const size_t *hw_cand, size_t nh)
{
	static const char *const known[] = { METRIC_CYCLES, METRIC_TIME_NS, METRIC_SAMPLES, METRIC_INSTRET };
	int cm = workload_data__metric(w, METRIC_CYCLES);

	if (o->metric) {
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (!strcmp(o->metric, known[i]))
				return known[i];
		return NULL;
	}
	/* cycles only when every hardware run has them: mixing would be wrong */
	if (cm >= 0 && nh) {
		int all = 1;

		for (size_t i = 0; i < nh && all; i++) {
			int any = 0;

			for (size_t r = 0; r < w->nregions && !any; r++)
				any = !isnan(workload_data__get(w, cm, hw_cand[i], r)) &&
				      (region_key__is(w->region_key[r], symbols ? REGION_KEY_SYMBOL : REGION_KEY_MARK));
			all = any;
		}
		if (all)
			return METRIC_CYCLES;
	}
	if (symbols && workload_data__metric(w, METRIC_TIME_NS) < 0)
		return METRIC_SAMPLES;
	return METRIC_TIME_NS;
}

/* The ok runs of the two platforms compared, into c->emu_run and c->hw_run. */
static void select_runs(struct wl_calc *c, const struct workload_data *w)
{
	for (size_t i = 0; i < w->nruns; i++) {
		if (w->run[i].status != RUN_OK)
			continue;
		if (w->run[i].platform == c->emu_p)
			c->emu_run[c->ne++] = i;
		else if (w->run[i].platform == c->hw_p)
			c->hw_run[c->nh++] = i;
	}
}

/* marker regions when the workload has them, else symbol regions */
static int uses_symbols(const struct workload_data *w)
{
	for (size_t r = 0; r < w->nregions; r++)
		if (region_key__is(w->region_key[r], REGION_KEY_MARK))
			return 0;
	return 1;
}

/*
 * The runs of runs[0..n) with some cost of metric m in the selected regions,
 * kept in order at the front; their count. Runs without any cost there
 * cannot give shares.
 */
static size_t runs_with_cost(const struct workload_data *w, int m, size_t *runs, size_t n,
			     const size_t *reg, size_t R)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		double t = 0;

		for (size_t r = 0; r < R; r++) {
			double v = workload_data__get(w, m, runs[i], reg[r]);

			t += isnan(v) ? 0 : v;
		}
		if (t > 0)
			runs[k++] = runs[i];
	}
	return k;
}

static void wl_calc__init(struct wl_calc *c, const struct engine *e, const struct workload_data *w)
{
	memset(c, 0, sizeof(*c));
	c->B = e->o->resamples;
	c->emu_p = pick_platform(w, 1);
	c->hw_p = pick_platform(w, 0);
	c->insns_m = workload_data__metric(w, METRIC_INSNS);
	c->hw_m = -1;
	c->hw_outliers = xcalloc(w->nregions ? w->nregions : 1, sizeof(size_t));
	c->emu_run = xmalloc((w->nruns ? w->nruns : 1) * sizeof(size_t));
	c->hw_run = xmalloc((w->nruns ? w->nruns : 1) * sizeof(size_t));
	c->reg = xmalloc((w->nregions ? w->nregions : 1) * sizeof(size_t));
}

static void pred_free(struct pred_data *pd)
{
	free(pd->share);
	free(pd->mean);
	free(pd->var);
	free(pd->base);
	free(pd->fhat);
	for (int b = 0; b < BASE_COUNT; b++)
		for (int s = 0; s < 2; s++)
			free(pd->jack[b][s]);
	memset(pd, 0, sizeof(*pd));
}

static void wl_calc__free(struct wl_calc *c)
{
	for (int q = 0; q < PRED_COUNT; q++)
		pred_free(&c->pred[q]);
	free(c->emu_run);
	free(c->hw_run);
	free(c->reg);
	free(c->hshare);
	free(c->hmean);
	free(c->hvar);
	free(c->hjack);
	free(c->hk);
	free(c->hw_outliers);
}

/*
 * Platforms, runs, metric and regions of w into c, and the region_stat rows.
 * -1 on an error, 1 when there is nothing to compare (no findings, or findings
 * without a verdict), 0 when the comparison can go on.
 */
static int choose(struct engine *e, struct workload_data *w, struct wl_calc *c)
{
	const struct stats_options *o = e->o;
	int symbols = uses_symbols(w);

	select_runs(c, w);
	c->metric = hw_metric_name(w, o, symbols, c->hw_run, c->nh);
	if (!c->metric)
		return error("unknown --metric '%s' (cycles, time_ns, samples, instret)", o->metric);
	c->hw_m = workload_data__metric(w, c->metric);
	if (region_stat__write(e, w, c->hw_p, c->hw_m, c->hw_outliers))
		return -1;
	if (c->emu_p < 0 || c->hw_p < 0)
		return 1; /* nothing to compare: summaries only */
	for (size_t r = 0; r < w->nregions; r++)
		if (region_key__is(w->region_key[r], symbols ? REGION_KEY_SYMBOL : REGION_KEY_MARK))
			c->reg[c->R++] = r;
	if (!c->R)
		return 1;
	c->ne = runs_with_cost(w, c->insns_m, c->emu_run, c->ne, c->reg, c->R);
	c->nh = runs_with_cost(w, c->hw_m, c->hw_run, c->nh, c->reg, c->R);
	if (c->ne < 2 || c->nh < 2 || c->ne >= 65536 || c->nh >= 65536) {
		size_t ne_ok = ok_runs(w, c->emu_p), nh_ok = ok_runs(w, c->hw_p);

		for (size_t r = 0; r < c->R; r++)
			factor_ci__none_region(e, w, c, PRED_INSNS, r,
					       lacking_why(w, c->emu_p, c->hw_p, c->insns_m, c->hw_m, c->reg[r],
							   c->ne, c->nh),
					       ne_ok, nh_ok);
		return 1;
	}
	return 0;
}

/* Per-run shares of the hardware metric and of the measured predictors. */
static void measured_shares(struct wl_calc *c, const struct workload_data *w)
{
	int ms[2] = { c->insns_m, workload_data__metric(w, METRIC_QEMU_HOST_NS) };

	c->hshare = xmalloc(c->nh * c->R * sizeof(double));
	c->hmean = xmalloc(c->R * sizeof(double));
	c->hvar = xmalloc(c->R * sizeof(double));
	run_shares(w, c->hw_m, c->hw_run, c->nh, c->reg, c->R, c->hshare);
	mean_var(c->hshare, c->nh, c->R, c->hmean, c->hvar);
	sampled__counts(c, w);
	for (int q = PRED_INSNS; q <= PRED_QEMU_TIME; q++) {
		struct pred_data *pd = &c->pred[q];

		if (ms[q] < 0)
			continue;
		pd->share = xmalloc(c->ne * c->R * sizeof(double));
		if (run_shares(w, ms[q], c->emu_run, c->ne, c->reg, c->R, pd->share)) {
			free(pd->share);
			pd->share = NULL;
			continue;
		}
		pd->present = 1;
	}
}

/* Mean and variance of each present predictor's shares, and whether all runs agree. */
static void predictor_moments(struct wl_calc *c)
{
	for (int q = 0; q < PRED_COUNT; q++) {
		struct pred_data *pd = &c->pred[q];

		if (!pd->present)
			continue;
		pd->mean = xmalloc(c->R * sizeof(double));
		pd->var = xmalloc(c->R * sizeof(double));
		mean_var(pd->share, c->ne, c->R, pd->mean, pd->var);
		pd->constant = !memcmp(pd->share, pd->share + (c->ne - 1) * c->R, c->R * sizeof(double));
		for (size_t i = 1; i + 1 < c->ne && pd->constant; i++)
			pd->constant = !memcmp(pd->share, pd->share + i * c->R, c->R * sizeof(double));
	}
}

/* The comparison proper, on what choose() selected. 0, or -1 on an error. */
static int compare(struct engine *e, const struct workload_data *w, struct wl_calc *c)
{
	struct linfit fit;

	measured_shares(c, w);
	if (model__fit(e, w, c, c->hw_m, c->metric, &fit))
		return -1;
	predictor_moments(c);
	if (factor_boot__run(e, w, c))
		return -1;
	factor_ci__collect(e, w, c);
	for (int k = 0; k < c->np; k++)
		if (agreement__write(e, w, c, c->qs[k], c->metric))
			return -1;
	return 0;
}

int engine__workload(struct engine *e, struct workload_data *w)
{
	struct wl_calc c;
	int ret;

	wl_calc__init(&c, e, w);
	ret = choose(e, w, &c);
	if (!ret)
		ret = compare(e, w, &c);
	if (ret >= 0 && threads__workload(e, w, c.emu_p, c.hw_p, c.metric))
		ret = -1;
	wl_calc__free(&c);
	return ret < 0 ? -1 : 0;
}
