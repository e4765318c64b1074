package commands

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/sync/hub"
)

// runStats prints the figures of a period: a country hub's exact figures
// (or, with --suppress, with the "<5" rule applied, for publishing), a
// region's per-country figures and movement matrix, always suppressed.
func runStats(args []string, stdout, stderr io.Writer) int {
	ctx, stop := interruptible()
	defer stop()
	var c common
	fs := flags("stats", stderr, &c)
	from := fs.String("from", "", "first day of the period, YYYY-MM-DD (required)")
	to := fs.String("to", "", "last day of the period, YYYY-MM-DD, included (required)")
	by := fs.String("by", "week", "unit of the series: day, week (ISO 8601) or month")
	format := fs.String("format", "json", "output: json or csv")
	station := fs.String("station", "", "only this station's registrations (country hub)")
	category := fs.String("category", "", "only this category's registrations (country hub), as in register --json")
	top := fs.Int("top", stats.DefaultTop, "nationalities named before \"other\"")
	suppress := fs.Bool("suppress", false, "apply the \"<5\" rule (country hub; a region always does): for figures that leave the hub")
	if rc := parse(fs, args, &c); rc >= 0 {
		return rc
	}
	// Refuse bad input before unlocking anything.
	if *from == "" || *to == "" {
		fmt.Fprintln(stderr, "reghub stats: --from and --to are required (YYYY-MM-DD)")
		return 2
	}
	q, err := stats.NewQuery(*from, *to, *by)
	if err == nil {
		q.Station, q.Category, q.Top = strings.TrimSpace(*station), strings.TrimSpace(*category), *top
		err = q.Check()
	}
	if err == nil && *format != "json" && *format != "csv" {
		err = fmt.Errorf("%w: --format %q: use json or csv", stats.ErrBadQuery, *format)
	}
	if err != nil {
		fmt.Fprintf(stderr, "reghub stats: %v\n", err)
		return 2
	}
	h, err := open(&c, stderr, hub.Options{})
	if err != nil {
		return fail(stderr, "stats", err)
	}
	defer h.Close()
	if h.IsRegion() {
		r, err := h.RegionStats(ctx, q)
		if err != nil {
			return fail(stderr, "stats", err)
		}
		if *format == "csv" {
			err = r.WriteCSV(stdout)
		} else {
			err = r.WriteJSON(stdout)
		}
		if err != nil {
			return fail(stderr, "stats", err)
		}
		return 0
	}
	f, err := h.Stats(ctx, q)
	if errors.Is(err, stats.ErrBadQuery) {
		fmt.Fprintf(stderr, "reghub stats: %v\n", err)
		return 2
	}
	if err != nil {
		return fail(stderr, "stats", err)
	}
	if *suppress {
		f.Suppress()
	}
	if *format == "csv" {
		err = f.WriteCSV(stdout)
	} else {
		err = f.WriteJSON(stdout)
	}
	if err != nil {
		return fail(stderr, "stats", err)
	}
	return 0
}
