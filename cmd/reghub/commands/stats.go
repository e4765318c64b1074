package commands

import (
	"io"

	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/sync/hub"
)

// runStats prints the figures of a period: a country hub's exact figures
// (or, with --suppress, with the "<5" rule applied, for publishing), a
// region's per-country figures and movement matrix, always suppressed.
func runStats(args []string, stdout, stderr io.Writer) int {
	r := newRun("stats", stdout, stderr)
	fs := r.fs
	from := fs.String("from", "", "first day of the period, YYYY-MM-DD (required)")
	to := fs.String("to", "", "last day of the period, YYYY-MM-DD, included (required)")
	by := fs.String("by", "week", "unit of the series: day, week (ISO 8601) or month")
	format := fs.String("format", "json", "output: json or csv")
	station := fs.String("station", "", "only this station's registrations (country hub)")
	category := fs.String("category", "", "only this category's registrations (country hub), as in register --json")
	top := fs.Int("top", stats.DefaultTop, "nationalities named before \"other\"")
	suppress := fs.Bool("suppress", false, "apply the \"<5\" rule (country hub; a region always does): for figures that leave the hub")
	if rc := r.parse(args, 0, ""); rc >= 0 {
		return rc
	}
	// Refuse bad input before unlocking anything.
	if *from == "" || *to == "" {
		return r.usage("--from and --to are required (YYYY-MM-DD)")
	}
	q, err := stats.NewQuery(*from, *to, *by)
	if err == nil {
		q, err = q.Narrow(*station, *category, *top, *format)
	}
	if err != nil {
		return r.usage(err.Error())
	}
	ctx, h, err := r.open(hub.Options{})
	defer r.close()
	if err != nil {
		return r.fail(err)
	}
	type writer interface {
		WriteJSON(io.Writer) error
		WriteCSV(io.Writer) error
	}
	var out writer
	if h.IsRegion() {
		out, err = h.RegionStats(ctx, q)
	} else {
		var f *stats.Figures
		if f, err = h.Stats(ctx, q); err == nil {
			if *suppress {
				f.Suppress()
			}
			out = f
		}
	}
	if err != nil {
		return r.fail(err)
	}
	if *format == "csv" {
		err = out.WriteCSV(stdout)
	} else {
		err = out.WriteJSON(stdout)
	}
	if err != nil {
		return r.fail(err)
	}
	return 0
}
