package textimg

import (
	"bytes"
	"errors"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/go-pdf/fpdf"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata/")

// goldens are renderings a reader of each script has looked at and found
// right (docs/notice.md): Arabic with joined letters, the lam-alef
// ligature, a number and a Latin code in their own order, wrapped and
// aligned right; Serbian Cyrillic wrapped and aligned left.
var goldens = []struct {
	name  string
	paras []Paragraph
	opt   Options
}{
	{"arabic", []Paragraph{
		{Text: "لا تقلق: رقم التسجيل BIH-7KQ4-M2XD-9TRC، سجّلناك في 3 ديسمبر 2026 في مركز Ušivak.", Size: 12},
		{Text: "السلام عليكم", Size: 14, Bold: true, SpaceBefore: 4},
	}, Options{Lang: "ar", RTL: true, Width: 240}},
	{"cyrillic", []Paragraph{
		{Text: "Регистрација број BIH-7KQ4-M2XD-9TRC, Ђорђе Шћекић, Љубовија и Њива: 3. децембар 2026.", Size: 12},
		{Text: "Обавештење", Size: 14, Bold: true, SpaceBefore: 4},
	}, Options{Lang: "sr", Width: 240}},
}

func render(t testing.TB, paras []Paragraph, opt Options) *image.Gray {
	t.Helper()
	lay, err := Lay(paras, opt)
	if err != nil {
		t.Fatal(err)
	}
	return lay.Image(150, 6)
}

// TestGolden compares renderings with the images in testdata/. Pixels may
// differ slightly between platforms (floating point in the rasteriser), so
// it allows a few faint differences but not a changed glyph or order.
func TestGolden(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.name, func(t *testing.T) {
			img := render(t, g.paras, g.opt)
			path := filepath.Join("testdata", g.name+".png")
			if *update {
				var buf bytes.Buffer
				if err := png.Encode(&buf, img); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it, then look at it)", err)
			}
			defer f.Close()
			want, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if want.Bounds() != img.Bounds() {
				t.Fatalf("rendering is %v, golden %v", img.Bounds(), want.Bounds())
			}
			if d := differing(want, img); d > img.Bounds().Dx()*img.Bounds().Dy()/500 {
				t.Errorf("%d pixels differ from %s", d, path)
			}
		})
	}
}

// differing counts pixels whose grey differs by more than a quarter.
func differing(a image.Image, b *image.Gray) int {
	n := 0
	for y := b.Rect.Min.Y; y < b.Rect.Max.Y; y++ {
		for x := b.Rect.Min.X; x < b.Rect.Max.X; x++ {
			r, _, _, _ := a.At(x, y).RGBA()
			d := int(r>>8) - int(b.GrayAt(x, y).Y)
			if d > 64 || d < -64 {
				n++
			}
		}
	}
	return n
}

// The golden test can fail: the same text laid out left to right, or
// another text, differs from the golden image.
func TestGoldenDetectsChange(t *testing.T) {
	g := goldens[0]
	f, err := os.Open(filepath.Join("testdata", g.name+".png"))
	if err != nil {
		t.Skip("no golden image yet")
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	ltr := g.opt
	ltr.RTL = false
	img := render(t, g.paras, ltr)
	if img.Bounds() == want.Bounds() && differing(want, img) <= img.Bounds().Dx()*img.Bounds().Dy()/500 {
		t.Error("a left-to-right rendering of the Arabic passes the golden comparison")
	}
}

// inkColumns returns the leftmost and rightmost columns holding dark
// pixels in rows [y0, y1).
func inkColumns(img *image.Gray, y0, y1 int) (left, right int) {
	left, right = img.Rect.Dx(), -1
	for y := y0; y < y1; y++ {
		for x := 0; x < img.Rect.Dx(); x++ {
			if img.GrayAt(x, y).Y < 128 {
				left, right = min(left, x), max(right, x)
			}
		}
	}
	return left, right
}

// Right-to-left lines are aligned and wrapped on the right; left-to-right
// lines on the left.
func TestAlignment(t *testing.T) {
	const dpi, width = 72.0, 300.0
	for _, c := range []struct {
		text string
		rtl  bool
	}{{"قصير", true}, {"short", false}} {
		lay, err := Lay([]Paragraph{{Text: c.text}}, Options{RTL: c.rtl, Width: width})
		if err != nil {
			t.Fatal(err)
		}
		img := lay.Image(dpi, 0)
		left, right := inkColumns(img, 0, img.Rect.Dy())
		if c.rtl && (right < int(width)-4 || left < int(width)/2) {
			t.Errorf("%q: ink from %d to %d, want it at the right of %v", c.text, left, right, width)
		}
		if !c.rtl && (left > 4 || right > int(width)/2) {
			t.Errorf("%q: ink from %d to %d, want it at the left", c.text, left, right)
		}
	}
}

// A long paragraph wraps into lines no wider than the column, each right
// aligned.
func TestWrapRTL(t *testing.T) {
	text := strings.Repeat("هذا نص طويل يلتف على عدة أسطر ", 8)
	lay, err := Lay([]Paragraph{{Text: text, Size: 11}}, Options{Lang: "ar", RTL: true, Width: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(lay.Lines) < 4 {
		t.Fatalf("%d lines", len(lay.Lines))
	}
	for i, ln := range lay.Lines {
		minX, maxX := 1e9, -1e9
		for _, g := range ln.Glyphs {
			minX, maxX = min(minX, g.X), max(maxX, g.X)
		}
		if minX < -1 || maxX > 200 {
			t.Errorf("line %d spans %.1f to %.1f, outside the 200 pt column", i, minX, maxX)
		}
		if ln.Top >= ln.Bottom || (i > 0 && ln.Top < lay.Lines[i-1].Bottom) {
			t.Errorf("line %d overlaps the one before", i)
		}
	}
	pages := lay.Pages(40)
	if len(pages) < 2 {
		t.Fatalf("%d pages of 40 pt for %.0f pt of text", len(pages), lay.Height)
	}
	n := 0
	for _, p := range pages {
		n += len(p.Lines)
		for _, ln := range p.Lines {
			if ln.Bottom > 40+0.01 && len(p.Lines) > 1 {
				t.Errorf("a line ends at %.1f on a page of 40", ln.Bottom)
			}
		}
	}
	if n != len(lay.Lines) {
		t.Errorf("pages hold %d lines of %d", n, len(lay.Lines))
	}
}

func TestTooLong(t *testing.T) {
	if _, err := Lay([]Paragraph{{Text: strings.Repeat("a", MaxTextLen*4+1)}}, Options{Width: 100}); !errors.Is(err, ErrTooLong) {
		t.Errorf("err = %v, want ErrTooLong", err)
	}
}

func TestIsRTLText(t *testing.T) {
	for s, want := range map[string]bool{"محمد": true, "Ali محمد": true, "Ђорђе": false, "Ali": false, "123": false, "": false, "שלום": true} {
		if IsRTLText(s) != want {
			t.Errorf("IsRTLText(%q) = %v", s, !want)
		}
	}
}

// The PDF holds the glyphs as filled paths.
func TestDrawPDF(t *testing.T) {
	lay, err := Lay(goldens[0].paras, goldens[0].opt)
	if err != nil {
		t.Fatal(err)
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(false)
	pdf.AddPage()
	lay.DrawPDF(pdf, 20, 20)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(buf.Bytes(), []byte("f Q")); n < 40 {
		t.Errorf("%d glyphs filled in the PDF", n)
	}
}

func BenchmarkArabicParagraph(b *testing.B) {
	g := goldens[0]
	for b.Loop() {
		render(b, g.paras, g.opt)
	}
}

func TestFit(t *testing.T) {
	for _, rtl := range []bool{true, false} {
		lay, err := Lay([]Paragraph{{Text: "محمد Ali", Size: 12}}, Options{RTL: rtl, Width: 500})
		if err != nil {
			t.Fatal(err)
		}
		lay.Fit()
		if lay.Width < 20 || lay.Width > 80 {
			t.Errorf("rtl=%v: fitted width %.1f pt for a short name", rtl, lay.Width)
		}
		img := lay.Image(72, 0)
		left, right := inkColumns(img, 0, img.Rect.Dy())
		if left > 3 || right < img.Rect.Dx()-4 {
			t.Errorf("rtl=%v: ink from %d to %d in an image %d wide", rtl, left, right, img.Rect.Dx())
		}
	}
}

// parsed names the embedded fonts parsed so far.
func parsed(f *fontFiles) []string {
	var out []string
	for i := range f {
		if f[i].font != nil {
			out = append(out, f[i].name)
		}
	}
	return out
}

// Each font is parsed when a layout first needs it: Latin text parses the
// Latin font only, Arabic the Arabic font (and the Latin for a Latin word
// inside), Bengali the Bengali; the layouts are the same as with every
// font parsed up front.
func TestFontsParsedWhenNeeded(t *testing.T) {
	old := fonts
	t.Cleanup(func() { fonts = old })
	fonts = newFontFiles()
	lay := func(text string, rtl bool) *Layout {
		t.Helper()
		l, err := Lay([]Paragraph{{Text: text, Size: 12}}, Options{Width: 300, RTL: rtl})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	latin := lay("Registration ID BIH-7KQ4-M2XD-9TRC, 2026-12-03", false)
	if got := strings.Join(parsed(fonts), " "); got != "NotoSans-Regular.ttf" {
		t.Errorf("after Latin text: %s", got)
	}
	arabic := lay("رقم التسجيل BIH-7KQ4", true)
	if got := strings.Join(parsed(fonts), " "); got != "NotoSans-Regular.ttf NotoNaskhArabic-Regular.ttf" {
		t.Errorf("after Arabic text: %s", got)
	}
	lay("নিবন্ধন", false)
	// Naskh is looked at before Bengali (fontmap's order); Ethiopic never.
	if got := strings.Join(parsed(fonts), " "); got != "NotoSans-Regular.ttf NotoNaskhArabic-Regular.ttf NotoSansBengali-Regular.ttf" {
		t.Errorf("after Bengali text: %s", got)
	}

	// The same lines with every font parsed before.
	fonts = newFontFiles()
	for i := range fonts {
		if _, err := fonts[i].get(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		lazy *Layout
		text string
		rtl  bool
	}{{latin, "Registration ID BIH-7KQ4-M2XD-9TRC, 2026-12-03", false}, {arabic, "رقم التسجيل BIH-7KQ4", true}} {
		eager := lay(c.text, c.rtl)
		if eager.Height != c.lazy.Height || len(eager.Lines) != len(c.lazy.Lines) || len(eager.Lines[0].Glyphs) != len(c.lazy.Lines[0].Glyphs) {
			t.Errorf("%q laid out differently with every font parsed first", c.text)
		}
	}
}
