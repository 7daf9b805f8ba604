#!/usr/bin/env python3
"""pngcheck.py - what tests/report/t-html.sh needs to know about a
screenshot, read with zlib only (no PIL): size, how much is not page
background, where the content ends, and how many pixels have each of the
given colours.

  pngcheck.py FILE.png BACKGROUND COLOUR...      (colours as rrggbb)

Prints "size W H", "content FRACTION", "bottom ROW", "colours N" and one
"colour rrggbb PIXELS" line per colour asked (within 3 per channel, so
a renderer's rounding does not matter).  Exits 2 on a PNG it cannot read
(8-bit RGB/RGBA, not interlaced, is what Chromium writes).
"""
import collections
import struct
import sys
import zlib


def read_png(path):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            ihdr = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat.append(body)
        elif kind == b'IEND':
            break
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError('unsupported PNG: depth %d type %d interlace %d'
                         % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b''.join(idat))
    stride = w * bpp
    rows, prev, off = [], bytearray(stride), 0
    for _ in range(h):
        f = raw[off]
        line = bytearray(raw[off + 1:off + 1 + stride])
        off += 1 + stride
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
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def hexrgb(s):
    return tuple(int(s[i:i + 2], 16) for i in (0, 2, 4))


def main():
    path, bg = sys.argv[1], hexrgb(sys.argv[2])
    want = [hexrgb(c) for c in sys.argv[3:]]
    try:
        w, h, bpp, rows = read_png(path)
    except (ValueError, zlib.error, struct.error, TypeError) as e:
        print('unreadable %s' % e)
        return 2
    hist = collections.Counter()
    bottom = -1
    bgrow = bytes(bg + ((255,) if bpp == 4 else ())) * w
    for y, line in enumerate(rows):
        hist.update(zip(line[0::bpp], line[1::bpp], line[2::bpp]))
        if line != bgrow:
            bottom = y
    counts = [sum(n for px, n in hist.items()
                  if all(abs(px[i] - c[i]) <= 3 for i in range(3)))
              for c in want]
    content = w * h - hist[bg] - hist[(255, 255, 255)]
    seen = hist
    print('size %d %d' % (w, h))
    print('content %.4f' % (content / float(w * h)))
    print('bottom %d' % bottom)
    print('colours %d' % len(seen))
    for c, n in zip(sys.argv[3:], counts):
        print('colour %s %d' % (c, n))
    return 0


if __name__ == '__main__':
    sys.exit(main())
