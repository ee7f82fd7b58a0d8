#!/bin/bash
# test_screenshot.sh EMUDIFF MKREPORTSTORE PYTHON3
# The report in a real browser, headless Chromium (Debian's chromium):
#  1. the index as Chromium builds it (--dump-dom) shows the headline numbers
#     that the store holds, counted here with sqlite3 (not by the report code);
#  2. every figure file the workload page links (SVG, PNG) loads in the browser
#     with a size, and its four inline figures are laid out with a size;
#  3. a screenshot of the workload page is a 1280x2000 PNG that is not blank
#     (png_check.py decodes it and counts the pixels);
#  4. a click on the regions table's "factor" header sorts the rows by factor
#     (the page's own sort script).
# Skipped (77) only when chromium is not installed. EMUDIFF_KEEP_DIR=DIR keeps
# the pages, DOM dumps and screenshot there, to look at.
set -u
emudiff=$1 mk=$2 python=$3
. "$EMUDIFF_TEST_LIB/facts.sh"
browser=$(command -v chromium || command -v chromium-browser) || skip "chromium not installed"
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 (the command) not installed"; exit 1; }
dir=$(mktemp -d /tmp/emudiff-test-shot-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
"$mk" "$dir/s.db" && "$emudiff" report -q --db "$dir/s.db" --out "$dir/r" >/dev/null || exit 1

# headless, offline and without state of its own: a fresh profile each time
flags=(--headless --disable-gpu --disable-quic --no-first-run --disable-background-networking
	--disable-component-update --disable-sync --hide-scrollbars)
[ "$(id -u)" = 0 ] && flags+=(--no-sandbox) # Chromium's sandbox refuses to run as root
n=0
chrome() { n=$((n + 1)); timeout 90 "$browser" "${flags[@]}" --user-data-dir="$dir/profile$n" "$@" 2>>"$dir/chrome.err"; }

# 1. headline cards of the index against the store
chrome --dump-dom "file://$dir/r/index.html" >"$dir/index.dom" || bad "dump-dom of the index failed"
cards=$(grep -o '<div class="card"><b>[^<]*</b><span>[^<]*</span>' "$dir/index.dom" | sed 's/<[^>]*>/ /g; s/  */ /g; s/^ //; s/ $//' | tr '\n' ';')
q() { sqlite3 "$dir/s.db" "$1"; }
want="$(q "SELECT count(*) FROM workload") workloads;$(q "SELECT count(DISTINCT region_id) FROM finding WHERE region_id IS NOT NULL") regions compared;"
# flagged: a region whose primary finding (insns, the hardware metric) is outside the band
want+="$(q "SELECT count(DISTINCT region_id) FROM finding WHERE predictor = 'insns' AND region_id IS NOT NULL AND verdict IN ('underestimates', 'overestimates')") regions flagged;"
want+="$(q "SELECT count(*) FROM finding") findings;$(q "SELECT count(*) FROM ab_compare WHERE verdict = 'flip'") A/B conclusion flips;"
want+="$(q "SELECT count(*) FROM run WHERE status IN ('failed', 'timeout')") failed or timed-out runs;"
[ "$cards" = "$want" ] || bad "index headline: '$cards', the store says '$want'"
# hermit-fib's row: the worst flagged region (furthest from 1) with its CI, ok runs per side
worst=$(q "SELECT printf('%.2f [%.2f, %.2f]', f.factor, f.ci_lo, f.ci_hi) || ' ' || r.name FROM finding f JOIN region r ON r.id = f.region_id
	WHERE f.workload_id = 1 AND f.predictor = 'insns' AND f.verdict IN ('underestimates', 'overestimates')
	ORDER BY max(f.factor, 1 / f.factor) DESC LIMIT 1")
runs=$(q "SELECT sum(platform LIKE 'qemu%') || ' ' || sum(platform NOT LIKE 'qemu%') FROM run WHERE workload_id = 1 AND status = 'ok'")
row=$(grep '<tr[^>]*><td><a href="hermit-fib/index.html">' "$dir/index.dom" | sed 's/<br>/ /g; s/<[^>]*>/ /g; s/  */ /g')
case $row in
*" $worst "*" $runs "*) ;;
*) bad "hermit-fib row '$row' lacks '$worst' and ok runs '$runs'" ;;
esac

# 2. figures: load every linked figure file, measure the inline ones; the
#    results are written into the page, which dump-dom then shows
page=$dir/r/hermit-fib/index.html
cat >"$dir/figs.js" <<'JS'
<script>
(function () {
	var out = document.createElement('pre'), links = document.querySelectorAll('a[href$=".svg"], a[href$=".png"]'), left = links.length;
	out.id = 'figcheck';
	document.body.appendChild(out);
	document.querySelectorAll('svg[role="img"]').forEach(function (s) {
		var b = s.getBoundingClientRect();
		out.textContent += 'inline ' + (b.width > 100 && b.height > 100 ? 'laid-out' : 'empty') + '\n';
	});
	links.forEach(function (a) {
		var img = new Image();
		img.onload = function () { out.textContent += 'file ' + a.getAttribute('href') + ' ' + (img.naturalWidth > 0 && img.naturalHeight > 0 ? 'loaded' : 'empty') + '\n'; };
		img.onerror = function () { out.textContent += 'file ' + a.getAttribute('href') + ' error\n'; };
		img.src = a.href;
	});
})();
</script>
JS
# (after </html>: an HTML parser puts trailing content into the body)
cat "$page" "$dir/figs.js" >"$dir/r/hermit-fib/figs.html"
chrome --virtual-time-budget=5000 --dump-dom "file://$dir/r/hermit-fib/figs.html" >"$dir/figs.dom" || bad "dump-dom of the figure check failed"
sed -n '/<pre id="figcheck">/,/<\/pre>/p' "$dir/figs.dom" | sed 's/<[^>]*>//g' | grep . | sort >"$dir/figs.txt"
nfiles=$(grep -c -E '^(scatter|factor|distribution|events)\.(svg|png) loaded$' <(sed 's/^file //' "$dir/figs.txt"))
[ "$nfiles" = 8 ] || bad "figure files loaded: $nfiles of 8: $(tr '\n' ';' <"$dir/figs.txt")"
[ "$(grep -c '^inline laid-out$' "$dir/figs.txt")" = 4 ] || bad "inline figures: $(tr '\n' ';' <"$dir/figs.txt")"
! grep -q -E 'error|empty' "$dir/figs.txt" || bad "a figure did not load: $(tr '\n' ';' <"$dir/figs.txt")"

# 3. the screenshot
shot=$dir/shot.png
chrome --window-size=1280,2000 --screenshot="$shot" "file://$page" >/dev/null || bad "screenshot failed"
"$python" "$(dirname "$0")/png_check.py" "$shot" 1280 2000 || bad "screenshot"

# 4. click "factor [CI]" (column 7) in the regions table, then read the DOM back
sed 's|</body>|<script>document.getElementById("regions").parentNode.querySelector("#regions ~ .tw table").tHead.rows[0].cells[6].click();</script></body>|' \
	"$page" >"$dir/r/hermit-fib/sorted.html"
order=$(chrome --virtual-time-budget=3000 --dump-dom "file://$dir/r/hermit-fib/sorted.html" |
	grep -o '<tr id="r[0-9]*"' | sed 's/.*"\(r[0-9]*\)"/\1/' | tr '\n' ' ')
echo "regions sorted by factor: $order"
# factors planted by mkreportstore: 0.294 (r5) 0.441 (r2) 0.588 (r1) 0.588 (r4) 1.0 (r6) 1.765 (r3)
[ "$order" = "r5 r2 r1 r4 r6 r3 " ] || bad "sorting by factor gave '$order'"
[ -n "${EMUDIFF_KEEP_DIR:-}" ] && cp -r "$dir/." "$EMUDIFF_KEEP_DIR"
[ $fail = 0 ] || { echo "chromium's stderr:"; tail -5 "$dir/chrome.err"; }
exit $fail
