package reception

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/fieldreg/fieldreg/registry"
)

// WriteTable writes the capacity view as a table, with "over capacity
// by N" where offline referrals met, and how old the knowledge is.
func WriteTable(w io.Writer, views []View, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CENTRE\tSTATUS\tSECTION\tBEDS\tRESIDENTS\tREFERRED\tFREE\tAS OF")
	for _, v := range views {
		for _, sec := range registry.Sections {
			n, ok := v.Sections[sec]
			if !ok {
				continue
			}
			free := fmt.Sprint(n.Free)
			if n.Over > 0 {
				free = fmt.Sprintf("over capacity by %d", n.Over)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", v.Code, v.Status, sec, n.Capacity, n.Residents, n.Referred, free, Ago(v.AsOf, now))
		}
	}
	tw.Flush()
	var days []string
	for _, v := range views {
		for d, n := range v.Days {
			days = append(days, fmt.Sprintf("%s\t%s\t%d\t%d\n", v.Code, d, n.Arrivals, n.Departures))
		}
	}
	if len(days) == 0 {
		return
	}
	slices.Sort(days)
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CENTRE\tDAY\tARRIVALS\tDEPARTURES")
	for _, l := range days {
		fmt.Fprint(tw, l)
	}
	tw.Flush()
}

// Ago says how old a piece of knowledge is: "3 h ago".
func Ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}
