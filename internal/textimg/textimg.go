// Package textimg lays out text that Fyne cannot (Arabic script, mixed
// right-to-left and left-to-right, Bengali, Ethiopic) and draws it into
// images and PDF pages.
//
// Text is split into runs by the Unicode bidirectional algorithm, script and
// font, shaped with HarfBuzz (github.com/go-text/typesetting), so letters take
// their contextual forms and ligatures (lam-alef), then wrapped at line-break
// opportunities and ordered visually: right-to-left paragraphs read from the
// right and are aligned and wrapped on the right, numbers and Latin words
// inside them keep their own order. The fonts are the embedded Noto fonts
// (assets.Fonts). Nothing here depends on Fyne.
//
// A Layout is measured in points (1/72 inch) and can be drawn at any
// resolution (Draw) or as glyph outlines into a PDF (DrawPDF), so the screen,
// the PNG and the printed page show the same lines.
package textimg

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"sync"
	"unicode"

	"github.com/fieldreg/fieldreg/assets"
	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/math/fixed"
)

// unitsPerPoint is the resolution of layout: the shaper works in 26.6
// fixed-point units of 1/unitsPerPoint point, and lines wrap at whole units.
const unitsPerPoint = 16

// MaxTextLen bounds the text of one Lay call (runes), so a caller passing
// untrusted text cannot make layout take unbounded time.
const MaxTextLen = 1 << 16

// ErrTooLong refuses text longer than MaxTextLen.
var ErrTooLong = errors.New("textimg: text too long to lay out")

// Paragraph is a block of text laid out on its own lines.
type Paragraph struct {
	Text        string  // one paragraph: line breaks inside it start new lines
	Size        float64 // font size in points; 0 means 11
	Bold        bool    // bold where the script's font has a bold face
	SpaceBefore float64 // extra space above the paragraph, in points
}

// Options says how paragraphs are laid out.
type Options struct {
	// Lang is the BCP 47 tag of the text's language ("ar", "fa", "ur"),
	// which selects language-specific forms in the fonts. It may be empty.
	Lang string
	// RTL makes right-to-left the base direction: lines are read from the
	// right, aligned right and wrapped on the right.
	RTL bool
	// Width is the width of the text column in points; text wraps to it.
	Width float64
	// LineSpacing multiplies the fonts' line height; 0 means 1.
	LineSpacing float64
	// Center centres each line in the column (titles); otherwise lines
	// start at the side their direction starts from.
	Center bool
}

// Glyph is a shaped glyph placed on a layout.
type Glyph struct {
	face *font.Face
	id   font.GID
	// X and Y are the glyph's origin on the baseline, in points from the
	// layout's top left corner (Y grows downwards).
	X, Y float64
	size float64 // points
	adv  float64 // advance, points
}

// Line is one laid-out line.
type Line struct {
	Top, Bottom float64 // in points from the layout's top
	Glyphs      []Glyph
}

// Layout is text laid out in a column: lines of placed glyphs, measured in
// points.
type Layout struct {
	Width, Height float64
	Lines         []Line
	RTL           bool
}

// The embedded fonts, by index into fontFiles and fontSet.
const (
	fontSans = iota
	fontSansBold
	fontNaskh
	fontNaskhBold
	fontBengali
	fontEthiopic
	fontCount
)

var fontNames = [fontCount]string{"NotoSans-Regular.ttf", "NotoSans-Bold.ttf",
	"NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf",
	"NotoSansBengali-Regular.ttf", "NotoSansEthiopic-Regular.ttf"}

// lazyFont is an embedded font, parsed the first time a layout needs it:
// Latin text never parses the Arabic, Bengali or Ethiopic fonts (all six
// parsed hold about 5 MB), and Arabic text never the Bengali or Ethiopic.
// Read-only once parsed, and shared by every layout.
type lazyFont struct {
	once sync.Once
	name string
	font *font.Font
	err  error
}

func (lf *lazyFont) get() (*font.Font, error) {
	lf.once.Do(func() {
		b, err := fs.ReadFile(assets.Fonts(), "fonts/"+lf.name)
		if err == nil {
			var f *font.Face
			if f, err = font.ParseTTF(bytes.NewReader(b)); err == nil {
				lf.font = f.Font
			}
		}
		if err != nil {
			lf.err = fmt.Errorf("textimg: font %s: %w", lf.name, err)
		}
	})
	return lf.font, lf.err
}

// fontFiles are the embedded fonts, each parsed when first needed.
type fontFiles [fontCount]lazyFont

func newFontFiles() *fontFiles {
	f := new(fontFiles)
	for i := range f {
		f[i].name = fontNames[i]
	}
	return f
}

// fonts are the fonts every layout shares (tests swap in fresh ones).
var fonts = newFontFiles()

// fontSet are one layout's faces: a font.Face caches glyph extents as it
// is used, so each layout makes faces of its own, each when first needed.
type fontSet struct {
	files *fontFiles
	faces [fontCount]*font.Face
	err   [fontCount]error
}

// face returns face i, parsing its font if no layout has yet; nil if the
// font cannot be read.
func (fs *fontSet) face(i int) *font.Face {
	if fs.faces[i] == nil && fs.err[i] == nil {
		f, err := fs.files[i].get()
		if err != nil {
			fs.err[i] = err
			return nil
		}
		fs.faces[i] = font.NewFace(f)
	}
	return fs.faces[i]
}

// fontmap picks, for each rune, the first face that has a glyph for it. The
// order prefers the face of the paragraph's own script, so spaces, digits
// and punctuation inside Arabic text come from the Arabic font and do not
// break the run. The faces after the first are parsed only when a rune
// needs them.
type fontmap struct {
	set   *fontSet
	order [4]int
}

// first is the paragraph's own face (Lay has checked that it loads).
func (m fontmap) first() *font.Face { return m.set.face(m.order[0]) }

func (m fontmap) ResolveFace(r rune) *font.Face {
	for _, i := range m.order {
		if f := m.set.face(i); f != nil {
			if _, ok := f.NominalGlyph(r); ok {
				return f
			}
		}
	}
	return m.first()
}

func (fs *fontSet) fontmap(rtl, bold bool) fontmap {
	sans, naskh := fontSans, fontNaskh
	if bold {
		sans, naskh = fontSansBold, fontNaskhBold
	}
	if rtl {
		return fontmap{fs, [4]int{naskh, sans, fontBengali, fontEthiopic}}
	}
	return fontmap{fs, [4]int{sans, naskh, fontBengali, fontEthiopic}}
}

// Lay lays out paragraphs in a column of opt.Width points. It fails only
// when the fonts cannot be read or the text is longer than MaxTextLen.
func Lay(paras []Paragraph, opt Options) (*Layout, error) {
	fs := &fontSet{files: fonts}
	// The first face of every paragraph must load; the others are
	// fallbacks, parsed when a rune needs them.
	for _, p := range paras {
		if m := fs.fontmap(opt.RTL, p.Bold); m.first() == nil {
			return nil, fs.err[m.order[0]]
		}
	}
	total := 0
	for _, p := range paras {
		total += len(p.Text)
	}
	if total > MaxTextLen*4 {
		return nil, ErrTooLong
	}
	if opt.LineSpacing <= 0 {
		opt.LineSpacing = 1
	}
	l := &layouter{fonts: fs, opt: opt, lang: language.NewLanguage(opt.Lang)}
	l.out.Width, l.out.RTL = opt.Width, opt.RTL
	for _, p := range paras {
		if p.Size <= 0 {
			p.Size = 11
		}
		l.y += p.SpaceBefore
		// Each line break starts a paragraph of its own for the bidi
		// algorithm, as Unicode says.
		for _, text := range strings.Split(strings.ReplaceAll(p.Text, "\r\n", "\n"), "\n") {
			l.paragraph(text, p)
		}
	}
	l.out.Height = l.y
	return &l.out, nil
}

type layouter struct {
	fonts   *fontSet
	opt     Options
	lang    language.Language
	seg     shaping.Segmenter
	shaper  shaping.HarfbuzzShaper
	wrapper shaping.LineWrapper
	out     Layout
	y       float64
}

func (l *layouter) paragraph(text string, p Paragraph) {
	runes := []rune(text)
	size := fixed.Int26_6(p.Size * unitsPerPoint * 64)
	dir := di.DirectionLTR
	if l.opt.RTL {
		dir = di.DirectionRTL
	}
	fm := l.fonts.fontmap(l.opt.RTL, p.Bold)
	if len(runes) == 0 {
		// An empty line keeps its height.
		h := l.lineHeight(fm.first(), size)
		l.y += h * l.opt.LineSpacing
		return
	}
	if len(runes) > MaxTextLen {
		runes = runes[:MaxTextLen]
	}
	in := shaping.Input{Text: runes, RunStart: 0, RunEnd: len(runes), Direction: dir, Size: size, Language: l.lang}
	var outs []shaping.Output
	for _, run := range l.seg.Split(in, fm) {
		run.Language = l.lang
		outs = append(outs, l.shaper.Shape(run))
	}
	maxW := int(l.opt.Width * unitsPerPoint)
	lines, _ := l.wrapper.WrapParagraph(shaping.WrapConfig{Direction: dir}, maxW, runes, shaping.NewSliceIterator(outs))
	for _, line := range lines {
		trimTrailingSpace(line, runes)
		l.line(line, fm.first(), size)
	}
}

// trimTrailingSpace gives the space that ends a line (in logical order) no
// width. The wrapper trims only the space at the visual end of the line,
// which is not the logical end when a left-to-right phrase ends a line of
// right-to-left text: the space would stand between the phrase and what
// precedes it.
func trimTrailingSpace(line shaping.Line, runes []rune) {
	if len(line) == 0 {
		return
	}
	last := &line[len(line)-1]
	end := last.Runes.Offset + last.Runes.Count - 1
	if end < 0 || end >= len(runes) || !unicode.IsSpace(runes[end]) {
		return
	}
	for i := range last.Glyphs {
		if last.Glyphs[i].ClusterIndex == end {
			last.Glyphs[i].XAdvance = 0
		}
	}
	last.RecomputeAdvance()
}

// lineHeight is the height of a line of face at size, in points.
func (l *layouter) lineHeight(f *font.Face, size fixed.Int26_6) float64 {
	ext, _ := f.FontHExtents()
	scale := float64(size) / 64 / float64(f.Upem()) / unitsPerPoint
	return float64(ext.Ascender-ext.Descender+ext.LineGap) * scale
}

func (l *layouter) line(line shaping.Line, base *font.Face, size fixed.Int26_6) {
	// The line is as high as its tallest font: Arabic marks sit high and
	// low, so the Arabic font's line height is larger than Latin's.
	ascent, descent := fixed.Int26_6(0), fixed.Int26_6(0)
	width := fixed.Int26_6(0)
	for _, run := range line {
		if run.LineBounds.Ascent > ascent {
			ascent = run.LineBounds.Ascent
		}
		if run.LineBounds.Descent < descent {
			descent = run.LineBounds.Descent
		}
		width += run.Advance
	}
	if len(line) == 0 {
		l.y += l.lineHeight(base, size) * l.opt.LineSpacing
		return
	}
	toPt := func(v fixed.Int26_6) float64 { return float64(v) / 64 / unitsPerPoint }
	h := toPt(ascent-descent) * l.opt.LineSpacing
	top := l.y
	baseline := top + (h-toPt(ascent-descent))/2 + toPt(ascent)

	// Runs in visual order, left to right; glyphs within a run are already
	// in visual order (HarfBuzz reverses right-to-left runs).
	order := make([]int, len(line))
	for i, run := range line {
		order[run.VisualIndex] = i
	}
	x := 0.0
	switch {
	case l.opt.Center:
		x = (l.opt.Width - toPt(width)) / 2
	case l.opt.RTL:
		x = l.opt.Width - toPt(width)
	}
	var glyphs []Glyph
	for _, i := range order {
		run := line[i]
		pt := toPt(run.Size)
		for _, g := range run.Glyphs {
			glyphs = append(glyphs, Glyph{face: run.Face, id: g.GlyphID,
				X: x + toPt(g.XOffset), Y: baseline - toPt(g.YOffset), size: pt, adv: toPt(g.XAdvance)})
			x += toPt(g.XAdvance)
		}
	}
	l.out.Lines = append(l.out.Lines, Line{Top: top, Bottom: top + h, Glyphs: glyphs})
	l.y = top + h
}

// Pages splits the layout into pages of at most height points each, never
// cutting a line. Each page's lines start at the page's top.
func (lay *Layout) Pages(height float64) []*Layout {
	var pages []*Layout
	cur := &Layout{Width: lay.Width, RTL: lay.RTL}
	offset := 0.0
	for _, ln := range lay.Lines {
		if len(cur.Lines) > 0 && ln.Bottom-offset > height {
			cur.Height = height
			pages = append(pages, cur)
			cur = &Layout{Width: lay.Width, RTL: lay.RTL}
			offset = ln.Top
		}
		moved := Line{Top: ln.Top - offset, Bottom: ln.Bottom - offset, Glyphs: make([]Glyph, len(ln.Glyphs))}
		for i, g := range ln.Glyphs {
			g.Y -= offset
			moved.Glyphs[i] = g
		}
		cur.Lines = append(cur.Lines, moved)
	}
	cur.Height = lay.Height - offset
	if cur.Height > height {
		cur.Height = height
	}
	return append(pages, cur)
}

// Fit narrows the layout to the width its lines use, so a short text (a
// name) makes an image no wider than itself.
func (lay *Layout) Fit() {
	minX, maxX := math.Inf(1), math.Inf(-1)
	for _, ln := range lay.Lines {
		for _, g := range ln.Glyphs {
			minX, maxX = math.Min(minX, g.X), math.Max(maxX, g.X+g.adv)
		}
	}
	if minX > maxX {
		lay.Width = 0
		return
	}
	for i := range lay.Lines {
		for j := range lay.Lines[i].Glyphs {
			lay.Lines[i].Glyphs[j].X -= minX
		}
	}
	lay.Width = maxX - minX
}

// IsRTLText reports whether s holds a right-to-left letter (Arabic,
// Hebrew, Syriac, Thaana, N'Ko scripts), so callers can choose a base
// direction for a string of unknown language, such as a name.
func IsRTLText(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Arabic, unicode.Hebrew, unicode.Syriac, unicode.Thaana, unicode.Nko) && unicode.IsLetter(r) {
			return true
		}
	}
	return false
}
