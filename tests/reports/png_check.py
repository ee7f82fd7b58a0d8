#!/usr/bin/env python3
"""png_check.py FILE W H - a screenshot is a W x H PNG that shows something:
decodes the PNG (zlib and the five row filters, standard library only) and
requires that at least 3% of the pixels differ from the most common colour
(the page background) and that there are at least 64 distinct colours (text
antialiasing, figure fills). A blank or error page has neither. Prints the
figures; exit 1 with the reason otherwise."""
import collections
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unexpected PNG kind depth %d colour type %d interlace %d" % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    w, h, bpp, rows = decode(path)
    if (w, h) != (want_w, want_h):
        print("FAIL: %s is %dx%d, want %dx%d" % (path, w, h, want_w, want_h))
        return 1
    counts = collections.Counter()
    for row in rows:
        counts.update(row[i:i + 3] for i in range(0, len(row), bpp))
    bg, n_bg = counts.most_common(1)[0]
    other = 1 - n_bg / (w * h)
    print("%s: %dx%d, background #%s, %.1f%% other pixels, %d colours" % (
        path, w, h, bg.hex(), 100 * other, len(counts)))
    if other < 0.03 or len(counts) < 64:
        print("FAIL: %s looks blank" % path)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
