/*
 * factor_ci.c - the finding rows of a workload: from its bootstrap
 * (factor_boot.c), each region's factor per predictor and baseline with its
 * BCa interval and the p-value of "within the tolerance band"; or a row
 * saying why there is no verdict. BH and the verdicts come later, study-wide
 * (findings.c).
 */
#include "engine.h"
#include "common.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * p-value of H0 "the factor lies within [1/t, t]": Welch's t on the log
 * scale (delta method: var log mean = var / (n mean^2)), tested against the
 * nearer bound of the band. offset is the log of the robust baseline (0 for
 * the share baseline, whose baseline is the weighted mean).
 */
static double band_p_value(double hmean, double hvar, size_t nh, double pmean, double pvar,
			   size_t ne, double offset, double tol)
{
	double lf = log(hmean) - log(pmean) - offset;
	double vh = hvar / ((double)nh * hmean * hmean), ve = pvar / ((double)ne * pmean * pmean);
	double se = sqrt(vh + ve), df, stat;

	if (!isfinite(lf))
		return NAN;
	if (!(se > 0))
		return fabs(lf) > log(tol) ? 0 : 1;
	df = (vh + ve) * (vh + ve) /
	     ((nh > 1 ? vh * vh / (double)(nh - 1) : 0) + (ne > 1 ? ve * ve / (double)(ne - 1) : 0));
	stat = (fabs(lf) - log(tol)) / se;
	return gsl_cdf_tdist_Q(stat, df);
}

/* The fields every finding of region wr (of w), predictor q and baseline b shares. */
static void finding_head(struct finding_row *f, const struct workload_data *w,
			 const struct wl_calc *c, size_t wr, int q, int b)
{
	f->workload_id = w->id;
	f->region_id = w->region_id[wr];
	f->predictor = q;
	f->baseline = b;
	f->emu_platform = c->emu_p;
	f->hw_platform = c->hw_p;
	f->metric = c->metric;
	f->n_emu = (int)c->ne;
	f->n_hw = (int)c->nh;
	f->samples = f->samples_total = -1;
}

void factor_ci__none_region(struct engine *e, const struct workload_data *w, const struct wl_calc *c, int q,
			    size_t r, const char *why, size_t ne, size_t nh)
{
	for (int b = 0; b < BASE_COUNT; b++) {
		struct finding_row *f = finding_list__add(&e->findings);

		finding_head(f, w, c, c->reg[r], q, b);
		f->n_emu = (int)ne;
		f->n_hw = (int)nh;
		f->factor = f->ci_lo = f->ci_hi = f->pct_lo = f->pct_hi = NAN;
		f->p_value = f->p_adj = f->pred_share = f->hw_share = f->hw_lo = f->hw_hi = NAN;
		f->why = why;
	}
}

void factor_ci__none(struct engine *e, const struct workload_data *w, const struct wl_calc *c,
		     int q, const char *why)
{
	for (size_t r = 0; r < c->R; r++)
		factor_ci__none_region(e, w, c, q, r, why, c->ne, c->nh);
}

struct ci_job {
	struct engine *e;
	const struct wl_calc *c;
	const struct workload_data *w;
	size_t row0;
};

/*
 * The finding of region r (of c), predictor q and baseline b, given the
 * hardware share's interval hci and the leave-one-out factors jk (hardware,
 * emulation) of that region; col: 2 B doubles of scratch.
 */
static void interval_finding(struct finding_row *f, const struct ci_job *j, size_t r, int q,
			     int b, const struct boot_ci *hci, const double *const jk[2], double *col)
{
	const struct wl_calc *c = j->c;
	const struct pred_data *pd = &c->pred[q];
	const struct stats_options *o = j->e->o;
	size_t B = c->B, nk[2] = { c->nh, c->ne };
	const double *bt = pd->boot + r * B;
	double base = b == BASE_ROBUST ? pd->base_hat : 1;
	struct boot_ci ci;
	int booted;

	memset(f, 0, sizeof(*f));
	finding_head(f, j->w, c, c->reg[r], q, b);
	f->outliers = (int)c->hw_outliers[c->reg[r]];
	f->pred_share = pd->mean[r];
	f->hw_share = c->hmean[r];
	f->hw_lo = hci->bca_lo;
	f->hw_hi = hci->bca_hi;
	f->factor = pd->fhat[r] / base;
	f->ci_lo = f->ci_hi = f->pct_lo = f->pct_hi = f->p_value = f->p_adj = NAN;
	if (!(pd->mean[r] > 0)) {
		f->why = q == PRED_MODEL ? "the cost model predicts no cost here"
					 : "no predicted cost in emulation";
		f->factor = NAN;
		return;
	}
	/* sampled hardware: no samples is a count too (sampled.c) */
	if (!(c->hmean[r] > 0) && !c->hk) {
		f->why = "no cost measured on hardware";
		return;
	}
	booted = c->hmean[r] > 0 && !stats__boot_ci_of(bt, b == BASE_ROBUST ? pd->base : NULL, B, f->factor,
						       jk, nk, 2, o->confidence, col, &ci);
	if (booted) {
		f->ci_lo = ci.bca_lo;
		f->ci_hi = ci.bca_hi;
		f->pct_lo = ci.pct_lo;
		f->pct_hi = ci.pct_hi;
		f->p_value = band_p_value(c->hmean[r], c->hvar[r], c->nh, pd->mean[r], pd->var[r],
					  c->ne, log(base), o->tolerance);
	}
	if (c->hk) {
		sampled__finding(f, c, r, q, b, booted ? &ci : NULL, o->confidence, o->tolerance);
		return;
	}
	if (!booted) {
		f->why = "degenerate bootstrap distribution";
		return;
	}
	f->usable = isfinite(f->p_value);
	if (!f->usable)
		f->why = "no p-value";
}

/* intervals and tests of regions [lo, hi): rows row0 + (r * np + k) * 2 + baseline */
static void ci_chunk(void *ctx, size_t lo, size_t hi)
{
	struct ci_job *j = ctx;
	const struct wl_calc *c = j->c;
	size_t B = c->B, R = c->R;
	double *col = xmalloc(2 * B * sizeof(*col));
	double *jbuf = xmalloc((3 * c->nh + 2 * c->ne) * sizeof(*jbuf));
	double *jh[2] = { jbuf, jbuf + c->nh }, *je[2] = { jbuf + 2 * c->nh, jbuf + 2 * c->nh + c->ne };
	double *hj = jbuf + 2 * (c->nh + c->ne);

	for (size_t r = lo; r < hi; r++) {
		struct boot_ci hci;
		const double *hjk[1] = { hj };
		size_t hn[1] = { c->nh };

		for (size_t i = 0; i < c->nh; i++)
			hj[i] = c->hjack[i * R + r];
		stats__boot_ci_of(c->hboot + r * B, NULL, B, c->hmean[r], hjk, hn, 1, j->e->o->confidence,
				  col, &hci);
		for (int k = 0; k < c->np; k++) {
			const struct pred_data *pd = &c->pred[c->qs[k]];

			for (size_t i = 0; i < c->nh; i++) {
				jh[0][i] = pd->jack[BASE_SHARE][0][i * R + r];
				jh[1][i] = pd->jack[BASE_ROBUST][0][i * R + r];
			}
			for (size_t i = 0; i < c->ne; i++) {
				je[0][i] = pd->jack[BASE_SHARE][1][i * R + r];
				je[1][i] = pd->jack[BASE_ROBUST][1][i * R + r];
			}
			for (int b = 0; b < BASE_COUNT; b++) {
				const double *jk[2] = { jh[b], je[b] };
				size_t row = j->row0 + (r * (size_t)c->np + (size_t)k) * 2 + (size_t)b;

				interval_finding(&j->e->findings.row[row], j, r, c->qs[k], b, &hci, jk, col);
			}
		}
	}
	free(col);
	free(jbuf);
}

void factor_ci__collect(struct engine *e, const struct workload_data *w, struct wl_calc *c)
{
	struct ci_job cj = { e, c, w, e->findings.n };
	size_t rows = c->R * (size_t)c->np * BASE_COUNT;

	finding_list__reserve(&e->findings, rows);
	if (c->hk)
		sampled__base_interval(c, e->o->confidence);
	parallel__for(c->R, e->threads, ci_chunk, &cj);
	e->findings.n += rows;
}
