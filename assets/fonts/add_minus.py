"""Adds U+2212 MINUS SIGN to the embedded Noto Sans fonts, which lack it.

The glyph is the plus sign's horizontal bar with the plus sign's advance width: in Noto Sans,
as in most text faces, the minus sign is drawn exactly so (the same width and height as +), so
"−40" and "+40" line up in chart labels. Run once from the repository root with fontTools
(`pip install fonttools`): python3 assets/fonts/add_minus.py
"""

from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont

MINUS = 0x2212

for style in ("Regular", "Bold"):
    path = f"assets/fonts/NotoSans-{style}.ttf"
    font = TTFont(path)
    cmap = font.getBestCmap()
    if MINUS in cmap:
        print(f"{path}: already has U+2212")
        continue
    glyf = font["glyf"]
    plus = cmap[ord("+")]
    coords, ends, _ = glyf[plus].getCoordinates(glyf)
    # The bar is the contour's points at the outer x extremes.
    xs = [x for x, _ in coords]
    left, right = min(xs), max(xs)
    bar = sorted({y for x, y in coords if x in (left, right)})
    bottom, top = bar[0], bar[-1]
    pen = TTGlyphPen(None)
    pen.moveTo((left, bottom))
    pen.lineTo((left, top))
    pen.lineTo((right, top))
    pen.lineTo((right, bottom))
    pen.closePath()
    order = font.getGlyphOrder() + ["minus"]
    font.setGlyphOrder(order)
    glyf.glyphs["minus"] = pen.glyph()
    glyf.glyphOrder = order
    font["hmtx"].metrics["minus"] = (font["hmtx"][plus][0], left)
    for table in font["cmap"].tables:
        if table.isUnicode():
            table.cmap[MINUS] = "minus"
    font["maxp"].numGlyphs = len(order)
    font.save(path)
    print(f"{path}: minus = bar of plus, x {left}..{right}, y {bottom}..{top}")
