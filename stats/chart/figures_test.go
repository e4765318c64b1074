package chart

import (
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/stats"
)

func figures() *stats.Figures {
	q := stats.Query{From: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 25, 0, 0, 0, 0, time.UTC), By: stats.ByWeek}
	f := stats.New(q)
	f.Total = 93
	f.Series = []stats.Point{{Period: "2026-W02", Total: 40}, {Period: "2026-W03", Total: 50}, {Period: "2026-W04", Total: 3}}
	f.YearEarlier.Series = []stats.Point{{Period: "2025-W02", Total: 20}, {Period: "2025-W03", Total: 30}, {Period: "2025-W04", Total: 10}}
	f.ByNationality = stats.Counts{"AFG": 60, "SYR": 30, "IRQ": 3}
	f.ByStation = stats.Counts{"BIH-VK-01": 90, "BIH-IZ-02": 3}
	f.BySex = stats.Counts{"F": 30, "M": 63}
	f.ByAgeGroup = stats.Counts{stats.Age18to34: 70, stats.Age0to4: 23}
	f.ByAgeAndSex = stats.Counts{"18-34/F": 20, "18-34/M": 50, "0-4/F": 10, "0-4/M": 13}
	return f
}

// The charts of exact figures show every count; of suppressed ones, "<5"
// and "x" in place of the hidden counts, and the rule in the period line.
func TestChartsOfFigures(t *testing.T) {
	f := figures()
	for name, draw := range map[string]func(Options) ([]byte, error){
		"series": SeriesOf(f).Draw, "nationalities": NationalitiesOf(f).Draw, "stations": StationsOf(f).Draw, "pyramid": AgeSexOf(f).Draw,
	} {
		s, err := draw(Options{Format: SVG})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.Contains(string(s), "2026-01-05 to 2026-01-25") {
			t.Errorf("%s: no period", name)
		}
		b, err := draw(Options{})
		if err != nil {
			t.Fatal(err)
		}
		decoded(t, b, DefaultWidth, DefaultHeight)
		keep(t, "figures-"+name+".png", b)
	}
	if s, _ := NationalitiesOf(f).Draw(Options{Format: SVG}); !strings.Contains(string(s), ">3<") {
		t.Error("exact figures: the 3 is not shown")
	}
	f.Suppress()
	s, err := NationalitiesOf(f).Draw(Options{Format: SVG})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(s), ">3<") || !strings.Contains(string(s), "&lt;5") || !strings.Contains(string(s), "under 5") {
		t.Errorf("suppressed chart shows a small count or lacks the rule:\n%.2000s", s)
	}
	s, err = SeriesOf(f).Draw(Options{Format: SVG})
	if err != nil || strings.Contains(string(s), ">3<") {
		t.Errorf("suppressed series: %v", err)
	}
}

// BenchmarkChartsPNG: the four charts a dashboard page loads.
func BenchmarkChartsPNG(b *testing.B) {
	f := figures()
	for b.Loop() {
		for _, draw := range []func(Options) ([]byte, error){SeriesOf(f).Draw, NationalitiesOf(f).Draw, AgeSexOf(f).Draw, StationsOf(f).Draw} {
			if _, err := draw(Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
