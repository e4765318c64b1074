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
	r := newRun("report", stdout, stderr)
	fs := r.fs
	from := fs.String("from", "", "first day of the period, YYYY-MM-DD (required)")
	to := fs.String("to", "", "last day of the period, YYYY-MM-DD (required)")
	by := fs.String("by", "week", "the series by day, week or month")
	station := fs.String("station", "", "only this station or crossing")
	category := fs.String("category", "", "only this category (as in register --json)")
	out := fs.String("out", "", "new PDF file to write (created 0600, never overwritten; required)")
	force := fs.Bool("force", false, "replace --out if it exists")
	if rc := r.parse(args, 0, ""); rc >= 0 {
		return rc
	}
	if *from == "" || *to == "" || *out == "" {
		return r.usage("--from, --to and --out are required")
	}
	// Refused before the passphrase is asked.
	q, err := stats.NewQuery(*from, *to, *by)
	if err != nil {
		return r.fail(err)
	}
	q = q.Only(*station, *category)
	if err := safefile.Absent(*out, *force); err != nil {
		return r.fail(fmt.Errorf("%w: choose another file or --force (nothing was written)", err))
	}
	ctx, h, err := r.open(hub.Options{})
	defer r.close()
	if err != nil {
		return r.fail(err)
	}
	f, err := h.Stats(ctx, q)
	if err != nil {
		return r.fail(err)
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, f, report.Info{Country: h.Country(), Generated: time.Now()}); err != nil {
		return r.fail(err)
	}
	if err := safefile.WriteBytes(*out, safefile.Output{Force: *force}, buf.Bytes()); err != nil {
		return r.fail(err)
	}
	fmt.Fprintf(stdout, "report of %s to %s written to %s (%s people registered; counts under 5 shown as \"<5\")\n", f.From, f.To, *out, f.Total)
	return 0
}
