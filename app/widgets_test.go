package app

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/internal/i18n"
)

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestScaledPhoto(t *testing.T) {
	big, err := scaledPhoto(testPNG(t, 3000, 2000), 240, 300)
	if err != nil {
		t.Fatal(err)
	}
	if b := big.Bounds(); b.Dx() != 240 || b.Dy() != 160 {
		t.Fatalf("3000x2000 scaled to %v, want 240x160 (fits, proportions kept)", b.Size())
	}
	small, err := scaledPhoto(testPNG(t, 100, 120), 240, 300)
	if err != nil {
		t.Fatal(err)
	}
	if b := small.Bounds(); b.Dx() != 100 || b.Dy() != 120 {
		t.Fatalf("small photo resized to %v", b.Size())
	}
	if _, err := scaledPhoto([]byte("not a photo"), 240, 300); err == nil {
		t.Fatal("garbage decoded")
	}
}

// The thumbnail decodes off the UI goroutine and then shows the scaled
// image, or says it cannot show a broken one.
func TestThumbnail(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "data"))
	shown := func(o fyne.CanvasObject) fyne.CanvasObject {
		if c, ok := o.(*fyne.Container); ok && len(c.Objects) == 1 {
			return c.Objects[0]
		}
		return nil
	}
	good := h.u.thumbnail(testPNG(t, 1200, 1600), 120, 150)
	h.waitFor("the photo", func() bool { _, ok := shown(good).(*canvas.Image); return ok })
	img := shown(good).(*canvas.Image)
	if b := img.Image.Bounds(); b.Dx() != 225 || b.Dy() != 300 {
		t.Fatalf("kept %v pixels, want 225x300", b.Size())
	}
	if img.MinSize() != fyne.NewSize(120, 150) {
		t.Fatalf("min size %v", img.MinSize())
	}
	bad := h.u.thumbnail([]byte{0x89, 'P', 'N', 'G', 1, 2, 3}, 120, 150)
	h.waitFor("the broken-photo message", func() bool {
		l, ok := shown(bad).(*widget.Label)
		return ok && l.Text == "The photo cannot be shown."
	})
}

// The strength meter lights nothing for no passphrase, one red segment for
// a very weak one and all five in green for a strong one.
func TestStrengthMeter(t *testing.T) {
	test.NewApp()
	m := newStrengthMeter(englishUI())
	off := theme.Color(theme.ColorNameInputBorder)
	lit := func() int {
		n := 0
		for _, r := range m.segs {
			if r.FillColor != off {
				n++
			}
		}
		return n
	}
	for _, c := range []struct {
		score int
		empty bool
		lit   int
		col   color.Color
		text  string
	}{
		{0, true, 0, nil, "Strength"},
		{0, false, 1, theme.Color(theme.ColorNameError), "Strength: Very weak"},
		{2, false, 3, theme.Color(theme.ColorNameWarning), "Strength: Fair"},
		{4, false, 5, theme.Color(theme.ColorNameSuccess), "Strength: Strong"},
	} {
		m.set(c.score, c.empty)
		if lit() != c.lit || m.label.Text != c.text || c.col != nil && m.segs[0].FillColor != c.col {
			t.Errorf("score %d empty %v: %d lit, %q", c.score, c.empty, lit(), m.label.Text)
		}
	}
}

// A set-up error goes as soon as its field is changed.
func TestSetupErrorsClearOnChange(t *testing.T) {
	h := newHarness(t, filepath.Join(t.TempDir(), "data"))
	h.tap("Create this device")
	if !h.shows("Choose the country this post belongs to.") || !h.shows("Enter the name of the first officer.") {
		t.Fatalf("empty set-up not refused: %v", h.texts())
	}
	h.typeInto("your name as colleagues know it", "Officer Example")
	h.pick("Type the country name or code, e.g. Bosnia or BIH", "BIH", "BIH")
	if h.shows("Enter the name of the first officer.") || h.shows("Choose the country this post belongs to.") {
		t.Fatalf("corrected fields still show errors: %v", h.texts())
	}
	if !h.shows("Enter the code of the station or crossing point.") {
		t.Fatalf("the uncorrected field lost its error: %v", h.texts())
	}
}

func TestPaperKey(t *testing.T) {
	key := "AGE-SECRET-KEY-10A85TXXRXUDYC0Z29F0S2FHDF2XYQLXYYL53SCS7USD9LY90UKRQ8VTMZG"
	got := paperKey(key)
	if got != "AGE-SECRET-KEY-1 0A85T XXRXU DYC0Z 29F0S 2FHDF 2XYQL XYYL5 3SCS7 USD9L Y90UK RQ8VT MZG" {
		t.Fatalf("paper key %q", got)
	}
	if strings.ReplaceAll(got, " ", "") != key {
		t.Fatal("the paper key is not the key")
	}
	if paperKey("something else") != "something else" {
		t.Fatal("a text that is not a key was changed")
	}
}

// englishUI is a UI with no window, for the functions that only word
// things in the officer's language.
func englishUI() *UI { return &UI{loc: i18n.MustNew("en")} }

// Reasons flow like words: short ones share a line, a phrase wider than
// the panel wraps inside it, and the flow never asks for more width than
// the panel has (which the side panel would clip).
func TestFlowLayoutWrapsInsteadOfClipping(t *testing.T) {
	test.NewTempApp(t)
	label := func(s string) *widget.Label {
		l := widget.NewLabel(s)
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	short1, short2 := label("✓ sex: same"), label("✓ nationality: a nationality in common")
	long := label("✓ ονόμα: 4 από 4 ονόματα συμφωνούν, 1 παραλλαγή γραφής, 2 επιπλέον ονόματα, επώνυμο και όνομα αντεστραμμένα")
	box := container.New(&flowLayout{}, short1, short2, long)
	box.Resize(fyne.NewSize(420, 400))
	box.Resize(fyne.NewSize(420, box.MinSize().Height))
	if short2.Position().Y != short1.Position().Y || short2.Position().X <= short1.Position().X {
		t.Errorf("short reasons on different lines: %v %v", short1.Position(), short2.Position())
	}
	if long.Position().Y <= short1.Position().Y || long.Size().Width > 420 {
		t.Errorf("long reason at %v, size %v: not on a line of its own within 420", long.Position(), long.Size())
	}
	if long.Size().Height < 2*short1.Size().Height-1 {
		t.Errorf("long reason not wrapped: height %v", long.Size().Height)
	}
	if w := box.MinSize().Width; w > 420 {
		t.Errorf("the flow asks for %v wide, more than the panel", w)
	}
	if h := box.MinSize().Height; h < long.Position().Y+long.Size().Height {
		t.Errorf("min height %v does not hold the last line", h)
	}
}

// TestRowsLayoutAsksForOneRowFirst: before it knows its width, the
// navigation row asks for one row; laid out narrow, it asks for the rows
// it needs.
func TestRowsLayoutAsksForOneRowFirst(t *testing.T) {
	var buttons []fyne.CanvasObject
	for i := 0; i < 10; i++ {
		buttons = append(buttons, widget.NewButton("Button", nil))
	}
	row := container.New(newRowsLayout(), buttons...)
	h := buttons[0].MinSize().Height
	if got := row.MinSize().Height; got != h {
		t.Fatalf("before layout: min height %v, want one row of %v", got, h)
	}
	row.Resize(fyne.NewSize(buttons[0].MinSize().Width*3, h))
	if got := row.MinSize().Height; got < 3*h {
		t.Fatalf("laid out three to a row: min height %v, want at least 4 rows of %v", got, h)
	}
}

// TestRowsLayoutIgnoresNoWidth: a layout before the row is placed (width
// 0) does not make it ask for a column of buttons afterwards.
func TestRowsLayoutIgnoresNoWidth(t *testing.T) {
	var buttons []fyne.CanvasObject
	for i := 0; i < 10; i++ {
		buttons = append(buttons, widget.NewButton("Button", nil))
	}
	row := container.New(newRowsLayout(), buttons...)
	row.Resize(fyne.NewSize(0, 0))
	row.Refresh()
	if got, h := row.MinSize().Height, buttons[0].MinSize().Height; got != h {
		t.Fatalf("after a layout at no width: min height %v, want one row of %v", got, h)
	}
}
