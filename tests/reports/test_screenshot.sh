#!/bin/sh
# test_screenshot.sh EMUDIFF MKREPORTSTORE
# The report renders in a real browser: headless Chromium (Debian's chromium
# package) screenshots a workload page (one browser start, ~13 s here). A page that failed to
# render (blank, or an error page) compresses to a few kilobytes; a rendered
# one with four figures is far larger. Then a click on the regions table's
# "factor" header must sort the rows by factor (the page's own sort script).
# Skipped when chromium is not installed.
set -u
emudiff=$1 mk=$2
browser=$(command -v chromium || command -v chromium-browser) || { echo "chromium not installed"; exit 77; }
dir=$(mktemp -d /tmp/emudiff-test-shot-XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$mk" "$dir/s.db" && "$emudiff" report -q --db "$dir/s.db" --out "$dir/r" >/dev/null || exit 1
fail=0
for page in hermit-fib/index.html; do
	out="$dir/shot-$(echo "$page" | tr / -).png"
	timeout 90 "$browser" --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$dir/profile" --window-size=1280,2000 --screenshot="$out" \
		"file://$dir/r/$page" >/dev/null 2>&1
	size=$(stat -c %s "$out" 2>/dev/null || echo 0)
	# PNG width and height from the IHDR chunk
	wh=$(od -An -tu1 -j16 -N8 "$out" 2>/dev/null | awk '{print $3*256+$4 "x" $7*256+$8}')
	echo "$page: $size bytes, $wh"
	[ "$wh" = "1280x2000" ] || { echo "FAIL: $page: screenshot is $wh"; fail=1; }
	[ "$size" -gt 60000 ] || { echo "FAIL: $page: screenshot looks blank ($size bytes)"; fail=1; }
done

# click "factor [CI]" (column 7) in the regions table, then read the DOM back
sed 's|</body>|<script>document.getElementById("regions").parentNode.querySelector("#regions ~ .tw table").tHead.rows[0].cells[6].click();</script></body>|' \
	"$dir/r/hermit-fib/index.html" >"$dir/r/hermit-fib/sorted.html"
order=$(timeout 90 "$browser" --headless=new --no-sandbox --disable-gpu --user-data-dir="$dir/profile" \
	--virtual-time-budget=3000 --dump-dom "file://$dir/r/hermit-fib/sorted.html" 2>/dev/null |
	grep -o '<tr id="r[0-9]*"' | sed 's/.*"\(r[0-9]*\)"/\1/' | tr '\n' ' ')
echo "regions sorted by factor: $order"
# factors 0.294 (r5) 0.441 (r2) 0.588 (r1) 0.588 (r4) 1.0 (r6) 1.765 (r3)
[ "$order" = "r5 r2 r1 r4 r6 r3 " ] || { echo "FAIL: sorting by factor gave '$order'"; fail=1; }
exit $fail
