package commands

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/hub"
	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// multi is a repeatable flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// runRetention shows the retention rules in force, sets periods (--set
// CATEGORY=PERIOD, repeatable: signed by the authority, devices receive
// them at their next sync or bundle), or erases what is due now (--sweep;
// reghub serve sweeps by itself every few hours).
func runRetention(args []string, stdout, stderr io.Writer) int {
	r := newRun("retention", stdout, stderr)
	var sets multi
	r.fs.Var(&sets, "set", "CATEGORY=PERIOD, e.g. irregular_crossing=5y (repeatable; periods in y, m or d)")
	sweep := r.fs.Bool("sweep", false, "erase now every record past its erasure date")
	if rc := r.parse(args, 0, ""); rc >= 0 {
		return rc
	}
	if len(sets) > 0 {
		// Refused before the hub is opened: a typo changes nothing.
		if _, err := registry.ParseRetentionSet(registry.DefaultRetention, sets); err != nil {
			return r.fail(err)
		}
	}
	ctx, h, err := r.open(hub.Options{})
	defer r.close()
	if err != nil {
		return r.fail(err)
	}
	if len(sets) > 0 {
		if _, err := h.SetRetention(ctx, sets); err != nil {
			return r.fail(err)
		}
		fmt.Fprintln(stderr, "retention rules signed; devices receive them at their next sync or bundle")
	}
	if *sweep {
		n, err := h.SweepExpired(ctx)
		if err != nil {
			return r.fail(err)
		}
		fmt.Fprintf(stdout, "erased %d records past their date\n", n)
		k, err := h.SweepPrekeys(ctx)
		if err != nil {
			return r.fail(err)
		}
		fmt.Fprintf(stdout, "destroyed %d one-time bundle keys that expired unused\n", k)
	}
	rules, err := h.Retention(ctx)
	if err != nil {
		return r.fail(err)
	}
	cats := make([]string, 0, len(rules))
	for k := range rules {
		cats = append(cats, k)
	}
	sort.Strings(cats)
	for _, k := range cats {
		fmt.Fprintf(stdout, "%-26s %s\n", k, rules[k])
	}
	return 0
}

// runErase erases one record on HQ's order.
func runErase(args []string, stdout, stderr io.Writer) int {
	r := newRun("erase", stdout, stderr)
	reason := r.fs.String("reason", "", "why: a court decision, the person's request, citizenship... (no personal data)")
	if rc := r.parse(args, 1, "one registration ID is taken"); rc >= 0 {
		return rc
	}
	if *reason == "" {
		fmt.Fprintln(stderr, "usage: reghub erase --data HUB [--passphrase-file F] --reason TEXT ID")
		return 2
	}
	id, err := registry.ParseRegID(r.fs.Arg(0))
	if err != nil {
		return r.fail(err)
	}
	ctx, h, err := r.open(hub.Options{})
	defer r.close()
	if err != nil {
		return r.fail(err)
	}
	err = h.Erase(ctx, id, *reason)
	switch {
	case errors.Is(err, hubstore.ErrNotFound):
		return r.fail(fmt.Errorf("no record %s at this hub", id))
	case err != nil:
		return r.fail(err)
	}
	fmt.Fprintf(stdout, "%s erased; devices erase it at their next sync or bundle, the region at the next push\n", id)
	return 0
}
