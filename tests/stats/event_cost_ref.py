#!/usr/bin/env python3
"""event_cost_ref.py STORE WORKLOAD JSON TABLE PAGE - an independent reference
for the per-event cost of one workload of a planted store, checked against
`emudiff show costs --json` (JSON), `emudiff show costs` (TABLE) and the
report's workload page (PAGE). Standard library only.

The reference reads nothing but the planted measurements (region_metric) and
redoes the README's two stages by ordinary least squares in exact rational
arithmetic (fractions), so no rounding of its own hides or invents an error:
  1. insns = a + sum b_E * E                     (b_E: instructions per event)
  2. hw    = c + sum d_E * E + g * residual_1    (d_E: hardware cost per event)
the interval of a coefficient is coef -+ t(0.975, n - p) * se, with t from a
printed table. Exit 1 with one line per mismatch."""
import html
import json
import math
import re
import sqlite3
import sys
from fractions import Fraction

# two-sided 95% Student t critical values (printed tables, more digits)
T975 = {1: 12.706205, 2: 4.302653, 3: 3.182446, 4: 2.776445, 5: 2.570582,
        6: 2.446912, 7: 2.364624, 8: 2.306004, 9: 2.262157, 10: 2.228139}
EVENTS = ("syscalls", "traps", "exits")
EMU = ("qemu-user", "qemu-system")

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def region_means(db, workload):
    """{region_id: {metric: mean over the side's ok runs}} for emulation and hardware."""
    rows = db.execute(
        "SELECT rm.region_id, r.platform IN (%s), rm.metric, avg(rm.value)"
        " FROM region_metric rm JOIN run r ON r.id = rm.run_id JOIN workload w ON w.id = r.workload_id"
        " WHERE w.name = ? AND r.status = 'ok' GROUP BY 1, 2, 3" % ",".join("?" * len(EMU)),
        (*EMU, workload)).fetchall()
    emu, hw = {}, {}
    for reg, is_emu, metric, v in rows:
        (emu if is_emu else hw).setdefault(reg, {})[metric] = Fraction(v)
    return emu, hw


def ols(X, y):
    """Exact least squares: coefficients, (X'X)^-1 and the residual sum of squares."""
    n, p = len(X), len(X[0])
    A = [[sum(X[r][i] * X[r][j] for r in range(n)) for j in range(p)] +
         [Fraction(int(i == j)) for j in range(p)] for i in range(p)]
    for c in range(p):  # Gauss-Jordan on [X'X | I]
        piv = next(r for r in range(c, p) if A[r][c] != 0)
        A[c], A[piv] = A[piv], A[c]
        inv = 1 / A[c][c]
        A[c] = [v * inv for v in A[c]]
        for r in range(p):
            if r != c and A[r][c] != 0:
                f = A[r][c]
                A[r] = [a - f * b for a, b in zip(A[r], A[c])]
    Xinv = [row[p:] for row in A]
    Xty = [sum(X[r][i] * y[r] for r in range(n)) for i in range(p)]
    beta = [sum(Xinv[i][j] * Xty[j] for j in range(p)) for i in range(p)]
    res = [y[r] - sum(X[r][i] * beta[i] for i in range(p)) for r in range(n)]
    return beta, Xinv, res


def ci(beta, Xinv, res, i):
    n, p = len(res), len(beta)
    s2 = sum(e * e for e in res) / (n - p)
    half = T975[n - p] * math.sqrt(float(s2 * Xinv[i][i]))
    return float(beta[i]), float(beta[i]) - half, float(beta[i]) + half


def reference(db, workload):
    emu, hw = region_means(db, workload)
    regs = sorted(r for r in emu if r in hw and "insns" in emu[r] and "time_ns" in hw[r])
    present = [e for e in EVENTS if len({emu[r].get(e, 0) for r in regs}) > 1]
    X1 = [[Fraction(1)] + [emu[r].get(e, Fraction(0)) for e in present] for r in regs]
    yi = [emu[r]["insns"] for r in regs]
    b1, inv1, res1 = ols(X1, yi)
    X2 = [row + [e] for row, e in zip(X1, res1)]
    yh = [hw[r]["time_ns"] for r in regs]
    yq = [emu[r]["qemu_host_ns"] for r in regs]
    b2, inv2, res2 = ols(X2, yh)
    b3, inv3, res3 = ols(X2, yq)
    avg = float(sum(yh) / sum(yi))
    out = {}
    for k, e in enumerate(present, start=1):
        emu_c, hw_c, q_c = ci(b1, inv1, res1, k), ci(b2, inv2, res2, k), ci(b3, inv3, res3, k)
        out[e] = {"emu": emu_c, "hw": hw_c, "qemu": q_c, "per_insn": hw_c[0] / emu_c[0],
                  "avg": avg, "ratio": hw_c[0] / emu_c[0] / avg, "n": len(regs), "terms": len(present) + 1}
    return out


def close(got, want, tol, what):
    if got is None or not abs(got - want) <= tol:
        fail("%s: got %r, reference %.10g (tolerance %.3g)" % (what, got, want, tol))


def main():
    store, workload, json_path, table_path, page_path = sys.argv[1:6]
    db = sqlite3.connect("file:%s?mode=ro" % store, uri=True)
    ref = reference(db, workload)
    if not ref:
        fail("the planted store has no event that varies")

    # JSON: unrounded; interval ends to 1e-6 of the interval's width
    rows = {r["event"]: r for r in json.load(open(json_path)) if r["workload"] == workload}
    if sorted(rows) != sorted(ref):
        fail("events in JSON %s, reference %s" % (sorted(rows), sorted(ref)))
    for e, want in ref.items():
        r = rows.get(e)
        if not r:
            continue
        for side, keys in (("emu", ("emu_per_event", "emu_lo", "emu_hi")),
                           ("hw", ("hw_per_event", "hw_lo", "hw_hi")),
                           ("qemu", ("qemu_ns_per_event", "qemu_lo", "qemu_hi"))):
            point, lo, hi = want[side]
            tol = 1e-6 * (abs(point) + (hi - lo)) + 1e-6
            for key, w in zip(keys, want[side]):
                close(r.get(key), w, tol, "%s %s %s" % (workload, e, key))
        for key, col in (("per_insn", "hw_per_insn"), ("avg", "hw_per_insn_avg"), ("ratio", "ratio")):
            close(r.get(col), want[key], 1e-9 * abs(want[key]), "%s %s %s" % (workload, e, col))
        if (r.get("regions"), r.get("terms")) != (want["n"], want["terms"]):
            fail("%s %s: %s regions, %s terms; reference %d, %d" % (
                workload, e, r.get("regions"), r.get("terms"), want["n"], want["terms"]))

    # a cost the data do not determine (fewer than 3 regions per term, a negative
    # estimate, an interval reaching zero) is printed as "not determined", never a number
    def determined(want, side):
        point, lo, hi = want[side]
        return want["n"] >= 3 * want["terms"] and point >= 0 and lo > 0

    for e, want in ref.items():
        r = rows.get(e, {})
        for side in ("emu", "hw", "qemu"):
            if r.get(side + "_determined") != determined(want, side):
                fail("json %s %s_determined: %s, reference %s" % (e, side, r.get(side + "_determined"),
                                                                    determined(want, side)))

    # the table: rounded to integers (%.0f) and 3 significant digits (%.3g)
    num = r"(-?[0-9.e+-]+)"
    und = "not determined"
    for e, want in ref.items():
        det = {side: determined(want, side) for side in ("emu", "hw", "qemu")}
        cost = {side: (r"%s \[%s, %s\]" % (num, num, num)) if det[side] else und for side in det}
        both = det["emu"] and det["hw"]
        pat = (r"^%s +%s +%s +time_ns +%s +%s +%s +%s +%s +%d +.*$" %
               (re.escape(workload), e[:-1], cost["emu"], cost["hw"], cost["qemu"], num if both else und, num,
                "x" + num if both else und, want["n"]))
        m = [re.match(pat, line) for line in open(table_path)]
        m = [x for x in m if x]
        if len(m) != 1:
            fail("table: no single line for %s matching %s" % (e, pat))
            continue
        v = [float(x) for x in m[0].groups()]
        wants = [w for side in ("emu", "hw", "qemu") if det[side] for w in want[side]]
        for got, w in zip(v, wants):
            close(got, w, 0.5 + 1e-9 * abs(w), "table %s integer" % e)
        rest = ([want["per_insn"]] if both else []) + [want["avg"]] + ([want["ratio"]] if both else [])
        for got, w in zip(v[len(wants):], rest):
            close(got, w, 0.005 * abs(w), "table %s 3 digits" % e)

    # the report page: one line per event, same figures, ratios to 2 decimals
    text = [html.unescape(re.sub(r"<[^>]*>", "", line)).strip() for line in open(page_path)]
    for e, want in ref.items():
        one = e[:-1]
        det = {side: determined(want, side) for side in ("emu", "hw", "qemu")}
        cost = {side: (r"%s \[%s, %s\]" % (num, num, num)) if det[side] else und + r" \([^)]*\)" for side in det}
        both = det["emu"] and det["hw"]
        ratio = ((r"; ratio: %s ns per emulated instruction of one %s vs %s on average \(.%s\)" % (num, one, num, num))
                 if both else "")
        tail = (r" \(%d regions\)" % want["n"] if all(det.values()) else
                r" \(%d regions; more regions that differ in their %s count would determine it\)" % (want["n"], one))
        pat = (r"^%s: emulation %s instructions per %s; hardware %s ns per %s; QEMU host %s ns%s%s$" %
               (one, cost["emu"], one, cost["hw"], one, cost["qemu"], ratio, tail))
        m = [x for x in (re.match(pat, line) for line in text) if x]
        if len(m) != 1:
            fail("page: no single line for %s matching %s" % (e, pat))
            continue
        v = [float(x) for x in m[0].groups()]
        wants = [w for side in ("emu", "hw", "qemu") if det[side] for w in want[side]]
        for got, w in zip(v, wants):
            close(got, w, 0.5 + 1e-9 * abs(w), "page %s integer" % e)
        rest = [want["per_insn"], want["avg"], want["ratio"]] if both else []
        for got, w in zip(v[len(wants):], rest):
            close(got, w, 0.005 + 0.005 * abs(w), "page %s rounded ratio" % e)
    for e, want in sorted(ref.items()):
        print("reference %s %s: %.6g [%.6g, %.6g] insns, %.6g [%.6g, %.6g] ns, ratio %.6g" % (
            workload, e, *want["emu"], *want["hw"], want["ratio"]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
