package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func weeks(n int) Period {
	c := Period{Title: "People registered per week", Period: "2026-01-05 to 2026-03-29 (ISO weeks 2 to 13)"}
	for i := range n {
		c.Current = append(c.Current, Point{Label: fmt.Sprintf("W%02d", i+2), Count: 40 + 13*i%70})
		c.Earlier = append(c.Earlier, Point{Count: 20 + 7*i%50})
	}
	return c
}

func rankedChart() Ranked {
	return Ranked{Title: "Top nationalities", Period: "2026-01-05 to 2026-03-29", Items: []Point{
		{"AFG", 412, ""}, {"SYR", 301, ""}, {"PAK", 188, ""}, {"MAR", 97, ""}, {"IRQ", 61, ""}, {"other", 140, ""},
	}}
}

func pyramid() Pyramid {
	return Pyramid{Title: "Age and sex", Period: "2026-01-05 to 2026-03-29",
		Groups: []string{"0-4", "5-11", "12-17", "18-34", "35-59", "60+", "unknown"},
		Female: pts(21, 30, 25, 120, 44, 6, 3), Male: pts(25, 33, 80, 410, 90, 4, 9)}
}

func pts(n ...int) []Point {
	var out []Point
	for _, c := range n {
		out = append(out, Point{Count: c})
	}
	return out
}

// decoded checks b is a PNG of the size asked for, not one colour: the
// bars and labels are drawn.
func decoded(t *testing.T, b []byte, w, h int) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if got := img.Bounds().Size(); got.X != w || got.Y != h {
		t.Fatalf("size %v, want %dx%d", got, w, h)
	}
	colours := map[[3]uint32]int{}
	for y := 0; y < h; y += 3 {
		for x := 0; x < w; x += 3 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, b >> 8}]++
		}
	}
	if len(colours) < 8 {
		t.Fatalf("only %d colours: the chart is blank", len(colours))
	}
	return img
}

// keep writes the chart for a person to look at when FIELDREG_CHART_DIR is set.
func keep(t *testing.T, name string, b []byte) {
	if d := os.Getenv("FIELDREG_CHART_DIR"); d != "" {
		if err := os.WriteFile(filepath.Join(d, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestChartsDraw(t *testing.T) {
	for _, tc := range []struct {
		name string
		draw func(Options) ([]byte, error)
	}{
		{"weeks.png", weeks(12).Draw},
		{"year.png", weeks(52).Draw},
		{"ranked.png", rankedChart().Draw},
		{"pyramid.png", pyramid().Draw},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.draw(Options{})
			if err != nil {
				t.Fatal(err)
			}
			decoded(t, b, DefaultWidth, DefaultHeight)
			keep(t, tc.name, b)
			s, err := tc.draw(Options{Format: SVG, Width: 800, Height: 400})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(s, []byte("<svg")) || !bytes.Contains(s, []byte("2026-01-05")) {
				t.Fatalf("SVG without its period: %.200s", s)
			}
		})
	}
}

// The title, the period and the labels are in the SVG as text.
func TestChartsLabelled(t *testing.T) {
	s, err := rankedChart().Draw(Options{Format: SVG})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Top nationalities", "2026-01-05 to 2026-03-29", "AFG", "412", "other"} {
		if !strings.Contains(string(s), ">"+want+"<") {
			t.Errorf("no %q in the SVG", want)
		}
	}
	s, err = pyramid().Draw(Options{Format: SVG})
	if err != nil {
		t.Fatal(err)
	}
	// The men's bars are drawn left of the axis but counted positive.
	for _, want := range []string{"410", "Men and boys (M)", "Women and girls (F)", "unknown"} {
		if !strings.Contains(string(s), ">"+want+"<") {
			t.Errorf("no %q in the pyramid", want)
		}
	}
	if strings.Contains(string(s), ">-410<") {
		t.Error("a negative count shown on the pyramid")
	}
}

// A period with nothing registered is drawn (zeros), not refused.
func TestChartsEmptyPeriod(t *testing.T) {
	c := weeks(4)
	for i := range c.Current {
		c.Current[i].Count, c.Earlier[i].Count = 0, 0
	}
	b, err := c.Draw(Options{})
	if err != nil {
		t.Fatal(err)
	}
	decoded(t, b, DefaultWidth, DefaultHeight)
	p := pyramid()
	p.Female, p.Male = pts(0, 0, 0, 0, 0, 0, 0), pts(0, 0, 0, 0, 0, 0, 0)
	if _, err := p.Draw(Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestChartsBadInput(t *testing.T) {
	long := weeks(MaxBars + 1)
	short := weeks(3)
	short.Earlier = short.Earlier[:2]
	neg := rankedChart()
	neg.Items[2].Count = -1
	lop := pyramid()
	lop.Male = lop.Male[1:]
	for name, draw := range map[string]func(Options) ([]byte, error){
		"too many bars":     long.Draw,
		"earlier too short": short.Draw,
		"negative":          neg.Draw,
		"pyramid lengths":   lop.Draw,
		"nothing":           Ranked{Title: "x"}.Draw,
	} {
		if _, err := draw(Options{}); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: %v, want ErrBadInput", name, err)
		}
	}
	for _, o := range []Options{{Format: "gif"}, {Width: 10, Height: 10}, {Width: 100000, Height: 600}} {
		if _, err := rankedChart().Draw(o); !errors.Is(err, ErrBadInput) {
			t.Errorf("%+v: %v, want ErrBadInput", o, err)
		}
	}
}

func TestNiceStep(t *testing.T) {
	for x, want := range map[float64]float64{0: 1, 0.5: 1, 1: 1, 1.2: 2, 3: 3, 7: 8, 9: 10, 11: 15, 117.9: 150, 410: 500, 2100: 2500} {
		if got := niceStep(x); got != want {
			t.Errorf("niceStep(%v) = %v, want %v", x, got, want)
		}
	}
}
