package report

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/stats"
)

func weekFigures() *stats.Figures {
	q := stats.Query{From: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), By: stats.ByWeek}
	f := stats.New(q)
	f.Total = 1234
	f.Series = []stats.Point{{Period: "2026-W02", Total: 280}, {Period: "2026-W03", Total: 301}, {Period: "2026-W04", Total: 322}, {Period: "2026-W05", Total: 331}}
	f.YearEarlier = stats.Earlier{From: "2025-01-05", To: "2025-02-01", Total: 610,
		Series: []stats.Point{{Period: "2025-W02", Total: 140}, {Period: "2025-W03", Total: 150}, {Period: "2025-W04", Total: 160}, {Period: "2025-W05", Total: 160}}}
	ch := 102.3
	f.YearEarlier.Change = &ch
	f.ByNationality = stats.Counts{"AFG": 520, "SYR": 301, "PAK": 188, "MAR": 97, "IRQ": 61, "BGD": 64, "TUR": 3}
	f.BySex = stats.Counts{"F": 301, "M": 930, "X": 0, "U": 3}
	f.ByAgeGroup = stats.Counts{"0-4": 61, "5-11": 70, "12-17": 170, "18-34": 700, "35-59": 220, "60+": 10, "unknown": 3}
	f.ByAgeAndSex = stats.Counts{"0-4/F": 30, "0-4/M": 31, "5-11/F": 33, "5-11/M": 37, "12-17/F": 40, "12-17/M": 130,
		"18-34/F": 150, "18-34/M": 550, "35-59/F": 45, "35-59/M": 175, "60+/F": 3, "60+/M": 7, "unknown/U": 3}
	f.ByCategory = stats.Counts{"international_protection": 400, "irregular_crossing": 834}
	f.ByStation = stats.Counts{"BIH-VK-01": 700, "BIH-IZ-02": 400, "BIH-BR-03": 134}
	f.UnaccompaniedChildren = stats.Counts{"F": 12, "M": 88}
	f.Transmission = stats.Transmission{Known: 1234, OnTime: 1200, Late: 34}
	r := 97.2
	f.Transmission.Rate = &r
	f.Accommodation = []stats.Centre{{Code: "BIH-BORICI", Name: "Borići", Capacity: 430, Weeks: []stats.CentreWeek{
		{Week: "2026-W04", Residents: 311, Free: 119, Arrivals: 48, Departures: 40}, {Week: "2026-W05", Residents: 3, Free: 427, Arrivals: 0, Departures: 308}}}}
	return f
}

// The report is a PDF that pdftoppm renders: pages with the title, the
// charts and the tables, not blank. FIELDREG_REPORT_DIR keeps the PDF and
// the first page's image to look at.
func TestReportRenders(t *testing.T) {
	var buf bytes.Buffer
	gen := time.Date(2026, 2, 2, 7, 30, 0, 0, time.UTC)
	if err := Write(&buf, weekFigures(), Info{Country: "BIH", Generated: gen}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatal("not a PDF")
	}
	dir := t.TempDir()
	if d := os.Getenv("FIELDREG_REPORT_DIR"); d != "" {
		dir = d
	}
	pdfPath := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(pdfPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		if os.Getenv("FIELDREG_REQUIRE_BROWSER") != "" {
			t.Fatal("pdftoppm (poppler-utils) is missing")
		}
		t.Skip("pdftoppm (poppler-utils) is not installed")
	}
	out, err := exec.Command("pdftoppm", "-png", "-r", "60", pdfPath, filepath.Join(dir, "page")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page-*.png"))
	if len(pages) < 2 {
		t.Fatalf("%d pages", len(pages))
	}
	for _, p := range pages {
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		if inked(img) < 0.02 {
			t.Errorf("%s is nearly blank (%.3f inked)", filepath.Base(p), inked(img))
		}
	}
	if txt, err := exec.Command("pdftotext", "-layout", pdfPath, "-").Output(); err == nil {
		s := string(txt)
		for _, want := range []string{"Registrations in BIH, 2026-01-05 to 2026-02-01", "People registered", "1234", "+102.3 %", "2026-02-02 07:30 UTC", "AFG", "<5", "97.2 %",
			"Reception centres", "Borići (BIH-BORICI), 430 beds", "2026-W04", "311", "119"} {
			if !strings.Contains(s, want) {
				t.Errorf("the report does not say %q", want)
			}
		}
	}
}

// inked is the share of pixels that are not white.
func inked(img image.Image) float64 {
	b := img.Bounds()
	n, ink := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			n++
			if r < 0xe000 || g < 0xe000 || bl < 0xe000 {
				ink++
			}
		}
	}
	return float64(ink) / float64(n)
}

// A period with nothing is a report of zeros, not an error.
func TestReportEmptyPeriod(t *testing.T) {
	q := stats.Query{From: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 11, 0, 0, 0, 0, time.UTC), By: stats.ByDay}
	var buf bytes.Buffer
	if err := Write(&buf, stats.New(q), Info{Country: "BIH", Generated: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := Write(&buf, nil, Info{}); err == nil {
		t.Fatal("no figures accepted")
	}
}

// BenchmarkReport: one weekly report, four charts and the tables.
func BenchmarkReport(b *testing.B) {
	f := weekFigures()
	for b.Loop() {
		var buf bytes.Buffer
		if err := Write(&buf, f, Info{Country: "BIH", Generated: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
}
