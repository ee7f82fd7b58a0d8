/*
 * html.c - page skeleton, escaping and number formatting. Pages are
 * well-formed XML (polyglot HTML5) so that xmllint can check them and inline
 * SVG needs no special casing; no entity other than XML's five is used.
 */
#include "report_int.h"
#include "common.h"

#include <math.h>
#include <string.h>

void html__esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			/* control characters are not allowed in XML 1.0 */
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputc('?', f);
			else
				fputc(*s, f);
		}
	}
}

/* Kept short: the page must stay readable when pasted or printed. */
static const char css[] =
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
	"color:#1d2330;background:#f6f7f9;margin:0}\n"
	"main{max-width:1180px;margin:0 auto;padding:20px 28px 40px}\n"
	"header.top{background:#1d2330;color:#e9ecf2;padding:14px 28px}\n"
	"header.top a{color:#9cc3ff}header.top .sub{color:#aab3c5;font-size:13px}\n"
	"h1{font-size:24px;margin:4px 0}h2{font-size:19px;margin:30px 0 8px;border-bottom:1px solid #d5d9e0;padding-bottom:4px}\n"
	"a{color:#1d5fbf;text-decoration:none}a:hover{text-decoration:underline}\n"
	".cards{display:flex;gap:12px;flex-wrap:wrap;margin:14px 0}\n"
	".card{background:#fff;border:1px solid #d5d9e0;border-radius:6px;padding:10px 16px;min-width:130px}\n"
	".card b{display:block;font-size:22px}.card span{color:#5b6475;font-size:13px}\n"
	"table{border-collapse:collapse;background:#fff;border:1px solid #d5d9e0;font-size:13.5px;width:100%}\n"
	"th,td{padding:5px 9px;border-bottom:1px solid #e6e9ee;text-align:left;vertical-align:top}\n"
	"th{background:#eef1f5;font-weight:600;white-space:nowrap}\n"
	"table.sortable th{cursor:pointer}table.sortable th:after{content:' \\2195';color:#9aa3b2}\n"
	"td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"tr.flag td{background:#fff6e5}tbody tr:hover td{background:#eef5ff}\n"
	"code{font:12.5px 'DejaVu Sans Mono',monospace;color:#39414f}\n"
	".v{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;font-weight:600;white-space:nowrap}\n"
	".v-underestimates{background:#fde0dd;color:#a3211a}.v-overestimates{background:#dde8fd;color:#1b4aa3}\n"
	".v-agrees{background:#e0f2e3;color:#22692f}.v-inconclusive{background:#eceef2;color:#5b6475}\n"
	".v-flip{background:#a3211a;color:#fff}.v-magnitude{background:#fde9c8;color:#8a5300}\n"
	".v-failed,.v-timeout{background:#fde0dd;color:#a3211a}\n"
	"figure{background:#fff;border:1px solid #d5d9e0;border-radius:6px;margin:16px 0;padding:10px}\n"
	"figure svg{width:100%;max-width:940px;height:auto;display:block;margin:0 auto}\n"
	".tw{overflow-x:auto}td.reason{min-width:14em}\n"
	"figcaption{color:#39414f;font-size:13.5px;margin-top:6px}\n"
	".muted{color:#6b7486}.reason{color:#39414f;font-size:12.5px}\n"
	"@media print{header.top{background:none;color:#000}main{max-width:none}}\n";

/*
 * Sorting without a framework: a click on a header sorts the body rows by the
 * cells' data-v (numbers) or their text. No '<' or '&' in it, so the page
 * stays well-formed XML without a CDATA section.
 */
static const char sort_js[] =
	"document.querySelectorAll('table.sortable th').forEach(function (th) {\n"
	"  th.addEventListener('click', function () {\n"
	"    var body = th.closest('table').tBodies[0], col = th.cellIndex, up = th.dataset.dir !== 'up';\n"
	"    th.dataset.dir = up ? 'up' : 'down';\n"
	"    Array.prototype.slice.call(body.rows).sort(function (a, b) {\n"
	"      var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;\n"
	"      var r = x !== undefined ? x - y : a.cells[col].textContent.localeCompare(b.cells[col].textContent);\n"
	"      return up ? r : -r;\n"
	"    }).forEach(function (row) { body.appendChild(row); });\n"
	"  });\n"
	"});\n";

void html__head(FILE *f, const char *title, const char *root)
{
	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\"/>\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>",
	      f);
	html__esc(f, title);
	fprintf(f, " - emudiff</title>\n<style>\n%s</style>\n</head>\n<body>\n"
		   "<header class=\"top\"><a href=\"%sindex.html\">emudiff report</a>"
		   " <span class=\"sub\">where QEMU misrepresents the cost of a workload on hardware</span></header>\n"
		   "<main>\n",
		css, root);
}

void html__foot(FILE *f, const struct report_ctx *ctx)
{
	fputs("</main>\n<footer class=\"muted\" style=\"text-align:center;font-size:12px;padding:0 0 24px\">"
	      "emudiff ",
	      f);
	html__esc(f, ctx->o->version ? ctx->o->version : "");
	fputs(" report of store <code>", f);
	html__esc(f, strrchr(ctx->dbname, '/') ? strrchr(ctx->dbname, '/') + 1 : ctx->dbname);
	fprintf(f, "</code></footer>\n<script>\n%s</script>\n</body>\n</html>\n", sort_js);
}

void html__num(FILE *f, double v)
{
	char buf[64];

	if (!isfinite(v)) {
		fputs("\xe2\x80\x93", f); /* en dash: unknown */
		return;
	}
	num__fmt(buf, sizeof(buf), v); /* as the terminal and `show` print it */
	fputs(buf, f);
}

void html__pval(FILE *f, double v)
{
	if (!isfinite(v))
		fputs("\xe2\x80\x93", f);
	else if (v < 0.001)
		fputs("&lt;0.001", f);
	else
		fprintf(f, "%.3f", v);
}

void html__pct(FILE *f, double v)
{
	char buf[64];

	if (!isfinite(v)) {
		fputs("\xe2\x80\x93", f);
		return;
	}
	pct__fmt(buf, sizeof(buf), v); /* as the terminal and `show` print it */
	fputs(buf, f);
}

void html__ci(FILE *f, double v, double lo, double hi, int pct)
{
	void (*num)(FILE *, double) = pct ? html__pct : html__num;

	num(f, v);
	if (isfinite(lo) && isfinite(hi)) {
		fputs(" <span class=\"muted\">[", f);
		num(f, lo);
		fputs(", ", f);
		num(f, hi);
		fputs("]</span>", f);
	}
}

void html__verdict(FILE *f, const char *verdict)
{
	if (!verdict || !*verdict) {
		fputs("<span class=\"muted\">no finding</span>", f);
		return;
	}
	fputs("<span class=\"v v-", f);
	html__esc(f, verdict);
	fputs("\">", f);
	html__esc(f, verdict);
	fputs("</span>", f);
}

void html__sortkey(FILE *f, double v)
{
	/* unknown values sort below every known one */
	fprintf(f, " data-v=\"%.9g\"", isfinite(v) ? v : -1e300);
}

void html__num_cell(FILE *f, double sortkey)
{
	fputs("<td class=\"n\"", f);
	html__sortkey(f, sortkey);
	fputc('>', f);
}

int verdict_flagged(const char *verdict)
{
	return verdict && (!strcmp(verdict, "underestimates") || !strcmp(verdict, "overestimates"));
}
