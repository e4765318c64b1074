package commands

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/fieldreg/fieldreg/reception"
	"github.com/fieldreg/fieldreg/sync/hub"
	"github.com/fieldreg/fieldreg/trust"
)

// runCentre manages the country's reception centres: add and set sign a
// new list that reaches every device at its next sync or bundle; list
// prints the capacity view of the whole country.
func runCentre(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "add" && args[0] != "set" && args[0] != "list") {
		fmt.Fprintln(stderr, "usage: reghub centre add|set|list --data HUB [--passphrase-file F] [--code CODE ...] [--json]")
		return 2
	}
	verb := args[0]
	r := newRun("centre "+verb, stdout, stderr)
	var cf reception.CentreFlags
	asJSON := new(bool)
	if verb == "list" {
		asJSON = r.fs.Bool("json", false, "print a JSON array of centres")
	} else {
		cf.Register(r.fs)
	}
	if rc := r.parse(args[1:], 0, ""); rc >= 0 {
		return rc
	}
	ctx, h, err := r.open(hub.Options{})
	defer r.close()
	if err != nil {
		return r.fail(err)
	}
	if verb == "list" {
		views, err := h.Capacity(ctx)
		if err != nil {
			return r.fail(err)
		}
		if *asJSON {
			b, _ := json.MarshalIndent(views, "", "  ")
			fmt.Fprintln(stdout, string(b))
		} else {
			reception.WriteTable(stdout, views, time.Now())
		}
		return 0
	}
	var old *trust.Centre
	if verb == "set" {
		if old, err = h.Centre(ctx, cf.Code()); err != nil {
			return r.fail(err)
		}
	}
	centre, err := cf.Centre(old)
	if err != nil {
		return r.fail(err)
	}
	cs, err := h.SetCentre(ctx, centre, verb == "add")
	if err != nil {
		return r.fail(err)
	}
	b, _ := json.MarshalIndent(cs.Find(centre.Code), "", "  ")
	fmt.Fprintln(stdout, string(b))
	fmt.Fprintln(stderr, "centres signed; devices receive them at their next sync or bundle")
	return 0
}
