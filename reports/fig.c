/*
 * fig.c - plplot figures through its cairo drivers, one fresh stream per
 * figure and format (plplot keeps global state per stream).
 *
 * Each figure is drawn once per format: SVG (svgcairo), PNG (pngcairo) and,
 * on request, PDF. cairo's SVG and PNG output is byte-identical for the same
 * drawing; its PDF carries a /CreationDate, today's unless set: the PDF is a
 * cairo surface of ours, dated from the store through cairo's metadata, drawn
 * on by plplot's extcairo device (pdfcairo's drawing code, the same page
 * size). (cairo 1.18 writes the document info into a compressed object
 * stream: its date could no longer be patched in the file afterwards.)
 * The SVG is also inlined into the page: cairo names its glyph symbols
 * "glyph0-1" etc. in every file, so the inline copy prefixes every id and
 * reference with the figure name, or several figures on one page would
 * borrow each other's glyphs.
 */
#include "report_int.h"
#include "common.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <plplot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fig__palette(void)
{
	/* bg, fg, grid, under, over, agrees, inconclusive, emulation, hardware, band, warm-up, point */
	static const PLINT r[] = { 255, 29, 222, 200, 38, 70, 150, 117, 230, 226, 240, 70 };
	static const PLINT g[] = { 255, 35, 226, 45, 98, 150, 158, 84, 130, 233, 160, 84 };
	static const PLINT b[] = { 255, 48, 233, 35, 196, 80, 172, 160, 30, 242, 20, 104 };

	plscmap0(r, g, b, (PLINT)(sizeof(r) / sizeof(r[0])));
}

int fig__verdict_colour(const char *verdict)
{
	if (!verdict)
		return C_INCONCL;
	if (!strcmp(verdict, "underestimates"))
		return C_UNDER;
	if (!strcmp(verdict, "overestimates"))
		return C_OVER;
	if (!strcmp(verdict, "agrees"))
		return C_AGREE;
	return C_INCONCL;
}

const char *fig__text(const char *s, size_t max)
{
	static char buf[512];
	size_t n = 0, chars = 0;

	if (max > 120)
		max = 120;
	for (; s && *s && n + 8 < sizeof(buf); s++) {
		unsigned char c = (unsigned char)*s;
		if ((c & 0xc0) != 0x80 && chars++ == max) { /* count UTF-8 characters, not bytes */
			memcpy(buf + n, "\xe2\x80\xa6", 3);  /* ellipsis */
			n += 3;
			break;
		}
		if (c == '#')
			buf[n++] = '#'; /* plplot's escape character */
		buf[n++] = c < 0x20 ? '?' : (char)c;
	}
	buf[n] = '\0';
	return buf;
}

static const char *const fig_devices[] = { "svgcairo", "pngcairo", "extcairo" };
static const char *const fig_exts[] = { "svg", "png", "pdf" };

int fig_w, fig_h; /* size of the figure being drawn, for margins in pixels */

/* The PDF surface, dated pdf_date (YYYYMMDDhhmmss, UTC); NULL on error (said).
 * (cairo 1.16 to 1.18 write such a date as "(20231114221320Z)", without the
 * "D:" prefix, optional in the PDF 1.7 reference; readers accept it.) */
static cairo_surface_t *pdf_surface(const char *path, const struct figure *fig, const char *pdf_date)
{
	cairo_surface_t *s = cairo_pdf_surface_create(path, fig->width, fig->height);
	char iso[32];

	if (cairo_surface_status(s)) {
		error("%s: cannot create the PDF: %s", path, cairo_status_to_string(cairo_surface_status(s)));
		cairo_surface_destroy(s);
		return NULL;
	}
	snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", pdf_date, pdf_date + 4, pdf_date + 6,
		 pdf_date + 8, pdf_date + 10, pdf_date + 12);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, iso);
	return s;
}

static int render(const struct report_ctx *ctx, const struct figure *fig, void *arg, int fmt, const char *path)
{
	PLINT strm = -1, r, g, b;
	cairo_surface_t *pdf = NULL;
	cairo_t *cr = NULL;
	int rc = 0;

	if (fmt == 2 && !(pdf = pdf_surface(path, fig, ctx->pdf_date)))
		return -1;
	plmkstrm(&strm);
	if (strm < 0) {
		cairo_surface_destroy(pdf);
		return error("%s: plplot could not create a stream", path);
	}
	plsdev(fig_devices[fmt]);
	if (!pdf)
		plsfnam(path);
	plspage(0, 0, fig->width, fig->height, 0, 0);
	fig_w = fig->width;
	fig_h = fig->height;
	fig__palette();
	plinit();
	if (pdf) {
		/* the background pdfcairo paints at each page's start, then the context to plplot */
		cr = cairo_create(pdf);
		plgcol0(C_BG, &r, &g, &b);
		cairo_set_source_rgb(cr, r / 255.0, g / 255.0, b / 255.0);
		cairo_paint(cr);
		pl_cmd(PLESC_DEVINIT, cr);
	}
	pladv(0);
	fig->draw(fig, arg);
	plend1();
	if (pdf) {
		cairo_destroy(cr);
		cairo_surface_finish(pdf);
		if (cairo_surface_status(pdf))
			rc = error("%s: cannot write the PDF: %s", path, cairo_status_to_string(cairo_surface_status(pdf)));
		cairo_surface_destroy(pdf);
	}
	if (!rc && access(path, F_OK))
		rc = error("%s: plplot wrote no file (device %s)", path, fig_devices[fmt]);
	return rc;
}

/*
 * cairo numbers its surfaces with a process-wide counter ("surface503"), so
 * the same figure drawn after a different number of others gets other ids.
 * Renumber them by first appearance in the file; returns the new text.
 */
static char *svg_renumber(const char *svg)
{
	size_t n = 0, cap = 2 * strlen(svg) + 64; /* renumbering can at most double a number */
	char *out = xmalloc(cap), *o = out;
	long seen[64];

	for (const char *p = svg; *p;) {
		const char *hit = strstr(p, "surface");
		if (!hit) {
			o = stpcpy(o, p);
			break;
		}
		hit += 7;
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		p = hit;
		if (*p < '0' || *p > '9')
			continue;
		char *end;
		long v = strtol(p, &end, 10);
		size_t i;
		for (i = 0; i < n && seen[i] != v; i++)
			;
		if (i == n && n < 64)
			seen[n++] = v;
		o += sprintf(o, "%zu", i + 1);
		p = end;
	}
	*o = '\0';
	return out;
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	size_t len = strlen(text);
	int rc = 0;

	if (!f || fwrite(text, 1, len, f) != len)
		rc = error("%s: cannot write", path);
	if (f && fclose(f) && !rc)
		rc = error("%s: cannot write", path);
	return rc;
}

/* The SVG without its XML prolog and fixed size, ids prefixed, into the page. */
static void svg_inline(FILE *html, const char *svg, const char *prefix, const char *label)
{
	const char *p = strstr(svg, "<svg");
	const char *tag_end;

	if (!p)
		return;
	tag_end = strchr(p, '>');
	if (!tag_end)
		return;
	/* the opening tag: drop width/height (the page scales the figure by its viewBox) */
	fputs("<svg role=\"img\" aria-label=\"", html);
	html__esc(html, label);
	fputc('"', html);
	for (const char *a = p + 4; a < tag_end;) {
		const char *sp = a;
		while (sp < tag_end && *sp == ' ')
			sp++;
		const char *q1 = memchr(sp, '"', (size_t)(tag_end - sp));
		const char *q2 = q1 ? memchr(q1 + 1, '"', (size_t)(tag_end - q1 - 1)) : NULL;
		if (!q2)
			break;
		if (strncmp(sp, "width=", 6) && strncmp(sp, "height=", 7))
			fprintf(html, " %.*s", (int)(q2 + 1 - sp), sp);
		a = q2 + 1;
	}
	fputc('>', html);
	/* one pass: every id="x", href="#x" and url(#x) gets the prefix */
	for (p = tag_end + 1; *p;) {
		static const char *const refs[] = { "id=\"", "href=\"#", "url(#" };
		const char *c = strpbrk(p, "ihu");
		size_t blen = 0;
		if (!c) {
			fputs(p, html);
			break;
		}
		for (size_t i = 0; i < 3 && !blen; i++)
			if (!strncmp(c, refs[i], strlen(refs[i])))
				blen = strlen(refs[i]);
		fwrite(p, 1, (size_t)(c - p) + (blen ? blen : 1), html);
		if (blen)
			fprintf(html, "%s-", prefix);
		p = c + (blen ? blen : 1);
	}
}

int fig__emit(struct report_ctx *ctx, FILE *html, const char *dir, const char *rel,
	      const struct figure *fig, void *arg, const char *caption)
{
	int nfmt = ctx->o->pdf ? 3 : 2;
	char *svg = NULL;
	size_t len;

	for (int fmt = 0; fmt < nfmt; fmt++) {
		char *path = xasprintf("%s/%s.%s", dir, fig->name, fig_exts[fmt]);
		char *tmp = xasprintf("%s.tmp.%s", path, fig_exts[fmt]);
		int rc = render(ctx, fig, arg, fmt, tmp);
		if (!rc && fmt == 0) {
			char *raw = file_slurp(tmp, &len);
			svg = raw ? svg_renumber(raw) : NULL;
			free(raw);
			rc = svg ? write_text(tmp, svg) : -1;
		}
		if (!rc && rename(tmp, path))
			rc = error("%s: cannot rename into place", path);
		if (rc)
			unlink(tmp);
		free(path);
		free(tmp);
		if (rc) {
			free(svg);
			return -1;
		}
		ctx->sum.files++;
	}
	ctx->sum.figures++;
	fprintf(html, "<figure id=\"fig-%s\">\n", fig->name);
	svg_inline(html, svg, fig->name, caption);
	fputs("\n<figcaption>", html);
	html__esc(html, caption);
	fputs(" <span class=\"muted\">(", html);
	for (int fmt = 0; fmt < nfmt; fmt++)
		fprintf(html, "%s<a href=\"%s%s.%s\">%s</a>", fmt ? ", " : "", rel, fig->name,
			fig_exts[fmt], fmt == 0 ? "SVG" : fmt == 1 ? "PNG" : "PDF");
	fputs(")</span></figcaption>\n</figure>\n", html);
	free(svg);
	return 0;
}
