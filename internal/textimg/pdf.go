package textimg

import (
	"math"
	"strconv"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
)

// DrawPDF draws the layout into the current page of pdf as filled glyph
// outlines (vector paths: sharp at any print size, nothing to embed), its
// top left corner at (x, y) in pdf's unit. The fill colour is pdf's current
// fill colour.
//
// Each glyph is written once per use in font units under a scaling
// transform, so coordinates are short integers and the content stream
// compresses well.
func (lay *Layout) DrawPDF(pdf *fpdf.Fpdf, x, y float64) {
	k := pdf.GetConversionRatio() // points per unit
	_, pageH := pdf.GetPageSize()
	var b strings.Builder
	paths := map[glyphRef]string{}
	for _, ln := range lay.Lines {
		for _, g := range ln.Glyphs {
			ref := glyphRef{g.face, g.id}
			path, ok := paths[ref]
			if !ok {
				path = glyphPath(g.face, g.id)
				paths[ref] = path
			}
			if path == "" {
				continue
			}
			s := g.size / float64(g.face.Upem())
			px := x*k + g.X // layouts are measured in points, as PDF is
			py := (pageH-y)*k - g.Y
			b.WriteString("q ")
			b.WriteString(num(s, 6) + " 0 0 " + num(s, 6) + " " + num(px, 2) + " " + num(py, 2) + " cm\n")
			b.WriteString(path)
			b.WriteString("f Q\n")
		}
	}
	pdf.RawWriteStr(b.String())
}

type glyphRef struct {
	face *font.Face
	id   font.GID
}

// glyphPath is the glyph's outline as PDF path operators in font units (y
// up, as in PDF). Quadratic segments become cubic ones. An empty string
// means nothing to draw (a space).
func glyphPath(face *font.Face, id font.GID) string {
	outline, ok := face.GlyphData(id).(font.GlyphOutline)
	if !ok || len(outline.Segments) == 0 {
		return ""
	}
	var b strings.Builder
	var cx, cy float64
	open := false
	pt := func(p ot.SegmentPoint) (float64, float64) { return float64(p.X), float64(p.Y) }
	for _, seg := range outline.Segments {
		switch seg.Op {
		case ot.SegmentOpMoveTo:
			if open {
				b.WriteString("h\n")
			}
			cx, cy = pt(seg.Args[0])
			b.WriteString(num(cx, 1) + " " + num(cy, 1) + " m\n")
			open = true
		case ot.SegmentOpLineTo:
			cx, cy = pt(seg.Args[0])
			b.WriteString(num(cx, 1) + " " + num(cy, 1) + " l\n")
		case ot.SegmentOpQuadTo:
			qx, qy := pt(seg.Args[0])
			x, y := pt(seg.Args[1])
			b.WriteString(num(cx+2*(qx-cx)/3, 1) + " " + num(cy+2*(qy-cy)/3, 1) + " " +
				num(x+2*(qx-x)/3, 1) + " " + num(y+2*(qy-y)/3, 1) + " " + num(x, 1) + " " + num(y, 1) + " c\n")
			cx, cy = x, y
		case ot.SegmentOpCubeTo:
			ax, ay := pt(seg.Args[0])
			bx, by := pt(seg.Args[1])
			cx, cy = pt(seg.Args[2])
			b.WriteString(num(ax, 1) + " " + num(ay, 1) + " " + num(bx, 1) + " " + num(by, 1) + " " + num(cx, 1) + " " + num(cy, 1) + " c\n")
		}
	}
	if open {
		b.WriteString("h\n")
	}
	return b.String()
}

// num formats v with at most prec decimals and no trailing zeros.
func num(v float64, prec int) string {
	p := math.Pow10(prec)
	return strconv.FormatFloat(math.Round(v*p)/p, 'f', -1, 64)
}
