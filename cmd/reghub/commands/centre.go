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
	var c common
	fs := flags("centre "+verb, stderr, &c)
	var cf reception.CentreFlags
	asJSON := new(bool)
	if verb == "list" {
		asJSON = fs.Bool("json", false, "print a JSON array of centres")
	} else {
		cf.Register(fs)
	}
	if rc := parse(fs, args[1:], &c); rc >= 0 {
		return rc
	}
	h, err := open(&c, stderr, hub.Options{})
	if err != nil {
		return fail(stderr, "centre", err)
	}
	defer h.Close()
	ctx, cancel := interruptible()
	defer cancel()
	if verb == "list" {
		views, err := h.Capacity(ctx)
		if err != nil {
			return fail(stderr, "centre", err)
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
			return fail(stderr, "centre", err)
		}
	}
	centre, err := cf.Centre(old)
	if err != nil {
		return fail(stderr, "centre", err)
	}
	cs, err := h.SetCentre(ctx, centre, verb == "add")
	if err != nil {
		return fail(stderr, "centre", err)
	}
	b, _ := json.MarshalIndent(cs.Find(centre.Code), "", "  ")
	fmt.Fprintln(stdout, string(b))
	fmt.Fprintln(stderr, "centres signed; devices receive them at their next sync or bundle")
	return 0
}
