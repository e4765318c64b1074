package commands

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/stats/report"
	"github.com/fieldreg/fieldreg/sync/hub"
)

// runReport writes the statistics report of a period as a PDF for the
// ministry: headline figures, charts and tables, with small counts
// suppressed ("<5"), since the file leaves the hub.
func runReport(args []string, stdout, stderr io.Writer) int {
	var c common
	fs := flags("report", stderr, &c)
	from := fs.String("from", "", "first day of the period, YYYY-MM-DD (required)")
	to := fs.String("to", "", "last day of the period, YYYY-MM-DD (required)")
	by := fs.String("by", "week", "the series by day, week or month")
	station := fs.String("station", "", "only this station or crossing")
	category := fs.String("category", "", "only this category (as in register --json)")
	out := fs.String("out", "", "new PDF file to write (created 0600, never overwritten; required)")
	force := fs.Bool("force", false, "replace --out if it exists")
	if rc := parse(fs, args, &c); rc >= 0 {
		return rc
	}
	if *from == "" || *to == "" || *out == "" {
		fmt.Fprintln(stderr, "reghub report: --from, --to and --out are required")
		return 2
	}
	q, err := stats.NewQuery(*from, *to, *by)
	if err != nil {
		return fail(stderr, "report", err)
	}
	q.Station, q.Category = *station, *category
	// Refused before the passphrase is asked.
	if err := safefile.Absent(*out, *force); err != nil {
		return fail(stderr, "report", fmt.Errorf("%w: choose another file or --force (nothing was written)", err))
	}
	ctx, stop := interruptible()
	defer stop()
	h, err := open(&c, stderr, hub.Options{})
	if err != nil {
		return fail(stderr, "report", err)
	}
	defer h.Close()
	f, err := h.Stats(ctx, q)
	if err != nil {
		return fail(stderr, "report", err)
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, f, report.Info{Country: h.Country(), Generated: time.Now()}); err != nil {
		return fail(stderr, "report", err)
	}
	if err := safefile.WriteBytes(*out, safefile.Output{Force: *force}, buf.Bytes()); err != nil {
		return fail(stderr, "report", err)
	}
	fmt.Fprintf(stdout, "report of %s to %s written to %s (%s people registered; counts under 5 shown as \"<5\")\n", f.From, f.To, *out, f.Total)
	return 0
}
