package cli

import (
	"context"
	"fmt"

	"github.com/fieldreg/fieldreg/stats"
)

// cmdStats prints the figures of a period from this device's records (its
// own and those sync brought): exact counts, for a supervisor.
func cmdStats(env *Env, args []string) int {
	cmd, fs := newRun(env, "stats")
	from := fs.String("from", "", "first day of the period, YYYY-MM-DD (required)")
	to := fs.String("to", "", "last day of the period, YYYY-MM-DD, included (required)")
	by := fs.String("by", "week", "unit of the series: day, week (ISO 8601) or month")
	format := fs.String("format", "json", "output: json or csv")
	station := fs.String("station", "", "only this station's registrations")
	category := fs.String("category", "", "only this category's registrations, as in register --json")
	top := fs.Int("top", stats.DefaultTop, "nationalities named before \"other\"")
	if rc, stop := cmd.parse(args, func() bool { return *from == "" || *to == "" || fs.NArg() != 0 },
		"fieldreg stats: --from and --to are required (YYYY-MM-DD), and no other arguments are taken"); stop {
		return rc
	}
	// Refuse bad input before asking for a passphrase.
	q, err := stats.NewQuery(*from, *to, *by)
	if err == nil {
		q, err = q.Narrow(*station, *category, *top, *format)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "fieldreg stats: %v\n", err)
		return 2
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	f, err := s.Stats(context.Background(), q)
	if err != nil {
		return fail(env, err)
	}
	if *format == "csv" {
		err = f.WriteCSV(env.Stdout)
	} else {
		err = f.WriteJSON(env.Stdout)
	}
	if err != nil {
		return fail(env, err)
	}
	return 0
}
