package textimg

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
	"golang.org/x/image/vector"
)

// glyphKey names a rasterised glyph: the same glyph at the same pixel size
// and sub-pixel phase is drawn from the cache.
type glyphKey struct {
	face  *font.Face
	id    font.GID
	size  float32 // pixels per em
	phase uint8   // quarter-pixel horizontal offset
}

type mask struct {
	img    *image.Alpha
	offset image.Point // of img's top left from the glyph origin
}

// Draw paints the layout in col onto dst with its top left corner at
// origin (pixels), dpi pixels per inch. The background is not touched.
func (lay *Layout) Draw(dst draw.Image, origin image.Point, dpi float64, col color.Color) {
	scale := dpi / 72
	src := image.NewUniform(col)
	cache := map[glyphKey]mask{}
	var r vector.Rasterizer
	for _, ln := range lay.Lines {
		for _, g := range ln.Glyphs {
			x := float64(origin.X) + g.X*scale
			y := float64(origin.Y) + g.Y*scale
			ix, fx := math.Floor(x), x-math.Floor(x)
			phase := uint8(fx * 4)
			iy := math.Round(y)
			k := glyphKey{g.face, g.id, float32(g.size * scale), phase}
			m, ok := cache[k]
			if !ok {
				m = rasterGlyph(&r, g.face, g.id, float64(k.size), float64(phase)/4)
				cache[k] = m
			}
			if m.img == nil {
				continue
			}
			at := image.Pt(int(ix), int(iy)).Add(m.offset)
			rect := m.img.Rect.Sub(m.img.Rect.Min).Add(at)
			draw.DrawMask(dst, rect, src, image.Point{}, m.img, m.img.Rect.Min, draw.Over)
		}
	}
}

// rasterGlyph draws glyph id of face at px pixels per em into an alpha
// mask, dx pixels right of the origin. A glyph without an outline (a space)
// gives an empty mask.
func rasterGlyph(r *vector.Rasterizer, face *font.Face, id font.GID, px, dx float64) mask {
	outline, ok := face.GlyphData(id).(font.GlyphOutline)
	if !ok || len(outline.Segments) == 0 {
		return mask{}
	}
	s := px / float64(face.Upem())
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, seg := range outline.Segments {
		for _, p := range seg.ArgsSlice() {
			x, y := float64(p.X)*s+dx, -float64(p.Y)*s
			minX, maxX = math.Min(minX, x), math.Max(maxX, x)
			minY, maxY = math.Min(minY, y), math.Max(maxY, y)
		}
	}
	x0, y0 := int(math.Floor(minX))-1, int(math.Floor(minY))-1
	w, h := int(math.Ceil(maxX))-x0+1, int(math.Ceil(maxY))-y0+1
	if w <= 0 || h <= 0 || w > 4096 || h > 4096 {
		return mask{}
	}
	r.Reset(w, h)
	pt := func(p ot.SegmentPoint) (float32, float32) {
		return float32(float64(p.X)*s + dx - float64(x0)), float32(-float64(p.Y)*s - float64(y0))
	}
	open := false
	for _, seg := range outline.Segments {
		switch seg.Op {
		case ot.SegmentOpMoveTo:
			if open {
				r.ClosePath()
			}
			r.MoveTo(pt(seg.Args[0]))
			open = true
		case ot.SegmentOpLineTo:
			r.LineTo(pt(seg.Args[0]))
		case ot.SegmentOpQuadTo:
			ax, ay := pt(seg.Args[0])
			bx, by := pt(seg.Args[1])
			r.QuadTo(ax, ay, bx, by)
		case ot.SegmentOpCubeTo:
			ax, ay := pt(seg.Args[0])
			bx, by := pt(seg.Args[1])
			cx, cy := pt(seg.Args[2])
			r.CubeTo(ax, ay, bx, by, cx, cy)
		}
	}
	if open {
		r.ClosePath()
	}
	img := image.NewAlpha(image.Rect(0, 0, w, h))
	r.Draw(img, img.Rect, image.Opaque, image.Point{})
	return mask{img: img, offset: image.Pt(x0, y0)}
}

// Image renders the layout on a white background, in black, at dpi pixels
// per inch, with margin points of white around it.
func (lay *Layout) Image(dpi, margin float64) *image.Gray {
	scale := dpi / 72
	w := int(math.Ceil((lay.Width + 2*margin) * scale))
	h := int(math.Ceil((lay.Height + 2*margin) * scale))
	img := image.NewGray(image.Rect(0, 0, max(w, 1), max(h, 1)))
	draw.Draw(img, img.Rect, image.White, image.Point{}, draw.Src)
	m := int(math.Round(margin * scale))
	lay.Draw(img, image.Pt(m, m), dpi, color.Black)
	return img
}
