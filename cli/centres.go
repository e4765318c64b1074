package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/reception"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/trust"
)

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) {
	b, _ := json.MarshalIndent(v, "", "  ")
	fmt.Fprintln(w, string(b))
}

// cmdCentre adds or changes a reception centre on a standalone device (its
// own country authority; a supervisor's task): `centre add|set` with the
// flags of reghub centre add|set.
func cmdCentre(env *Env, args []string) int {
	if len(args) == 0 || (args[0] != "add" && args[0] != "set") {
		fmt.Fprintln(env.Stderr, "usage: fieldreg centre add|set --data DIR --passphrase-file F --code CODE [--name N --place P --kind K --capacity S=N,...] [--status open|closed|full]")
		return 2
	}
	add := args[0] == "add"
	cmd, fs := newRun(env, "centre "+args[0])
	var cf reception.CentreFlags
	cf.Register(fs)
	if rc, stop := cmd.parse(args[1:], func() bool { return fs.NArg() != 0 }, ""); stop {
		return rc
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	var old *trust.Centre
	if !add {
		if old, err = s.Device().Centre(cf.Code()); err != nil {
			return fail(env, err)
		}
	}
	c, err := cf.Centre(old)
	if err != nil {
		return fail(env, err)
	}
	cs, err := s.SetCentre(c, add)
	if err != nil {
		return fail(env, err)
	}
	printJSON(env.Stdout, cs.Find(c.Code))
	return 0
}

// cmdCentres prints the capacity view: per centre and section the beds,
// residents, open referrals and free places as last known on this device.
func cmdCentres(env *Env, args []string) int {
	cmd, fs := newRun(env, "centres")
	asJSON := fs.Bool("json", false, "print a JSON array of centres")
	if rc, stop := cmd.parse(args, func() bool { return fs.NArg() != 0 }, ""); stop {
		return rc
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	views, err := s.Capacity()
	if err != nil {
		return fail(env, err)
	}
	if *asJSON {
		printJSON(env.Stdout, views)
		return 0
	}
	reception.WriteTable(env.Stdout, views, s.Device().Now())
	return 0
}

// placeFlags are the flags of refer and transfer.
type placeFlags struct {
	centre, section, reason, transport *string
}

func (p *placeFlags) register(fs *flag.FlagSet) {
	p.centre = fs.String("centre", "", "the centre's code")
	p.section = fs.String("section", "", "one of "+strings.Join(registry.Sections, ", ")+" (default: the first that fits, with free places)")
	p.reason = fs.String("reason", "", "why this centre (kept sealed)")
	p.transport = fs.String("transport", "", "how the person gets there (kept sealed)")
}

// cmdRefer refers the IDs given, together, to a centre; cmdTransfer moves
// residents on to another centre. Both print the referral as JSON.
func cmdRefer(env *Env, args []string) int    { return place(env, "refer", args) }
func cmdTransfer(env *Env, args []string) int { return place(env, "transfer", args) }

func place(env *Env, name string, args []string) int {
	cmd, fs := newRun(env, name)
	var p placeFlags
	p.register(fs)
	if rc, stop := cmd.parse(args, func() bool { return fs.NArg() == 0 || *p.centre == "" },
		"usage: fieldreg "+name+" --data DIR --passphrase-file F --centre CODE [--section S] ID [ID...]"); stop {
		return rc
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	o := device.ReferralOptions{Section: *p.section, Reason: *p.reason, Transport: *p.transport}
	var ref *device.Referral
	if name == "transfer" {
		ref, err = s.Transfer(fs.Args(), *p.centre, o)
	} else {
		ref, err = s.Refer(fs.Args(), *p.centre, o)
	}
	if err != nil {
		return fail(env, err)
	}
	printJSON(env.Stdout, ref)
	if ref.Over > 0 {
		fmt.Fprintf(env.Stderr, "fieldreg: %s %s is over capacity by %d as known on this device: the centre decides at check-in\n", ref.Centre, ref.Section, ref.Over)
	}
	return 0
}

// cmdCheckIn checks a person in at a centre by registration ID or by the
// text of their receipt (verified offline first).
func cmdCheckIn(env *Env, args []string) int {
	cmd, fs := newRun(env, "checkin")
	centre := fs.String("centre", "", "the centre's code")
	text := fs.String("receipt", "", "the receipt's text (FR1:..., as a scanner types it)")
	section := fs.String("section", "", "for someone not referred here: the section (default: the first that fits)")
	if rc, stop := cmd.parse(args, func() bool { return *centre == "" || (fs.NArg() == 1) == (*text != "") || fs.NArg() > 1 },
		"usage: fieldreg checkin --data DIR --passphrase-file F --centre CODE (ID | --receipt TEXT)"); stop {
		return rc
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	var in *device.CheckIn
	if *text != "" {
		in, err = s.CheckInReceipt(*centre, *text, *section)
	} else {
		in, err = s.CheckIn(*centre, fs.Arg(0), *section)
	}
	if err != nil {
		return fail(env, err)
	}
	printJSON(env.Stdout, in)
	if in.Over > 0 {
		fmt.Fprintf(env.Stderr, "fieldreg: %s is over capacity by %d\n", in.Centre, in.Over)
	}
	return 0
}

// cmdCheckOut records that a resident left (or closes a referral that never
// arrived); cmdAbsent that a resident is away, their bed held.
func cmdCheckOut(env *Env, args []string) int { return leave(env, "checkout", args) }
func cmdAbsent(env *Env, args []string) int   { return leave(env, "absent", args) }

func leave(env *Env, name string, args []string) int {
	cmd, fs := newRun(env, name)
	var reason *string
	usage := "usage: fieldreg absent --data DIR --passphrase-file F ID"
	if name == "checkout" {
		reason = fs.String("reason", "", "one of "+strings.Join(registry.CheckoutReasons, ", "))
		usage = "usage: fieldreg checkout --data DIR --passphrase-file F --reason REASON ID"
	}
	if rc, stop := cmd.parse(args, func() bool { return fs.NArg() != 1 || (reason != nil && *reason == "") }, usage); stop {
		return rc
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	id := fs.Arg(0)
	if reason != nil {
		err = s.CheckOut(id, *reason)
	} else {
		err = s.Absent(id)
	}
	if err != nil {
		return fail(env, err)
	}
	stay, _, err := s.StayOf(id)
	if err != nil && !errors.Is(err, device.ErrUnknownRecord) {
		return fail(env, err)
	}
	out := map[string]any{"id": id, "done": name}
	if reason != nil {
		out["reason"] = *reason
	}
	if stay != nil {
		out["state"] = stay.State
	}
	printJSON(env.Stdout, out)
	return 0
}

// cmdResidents lists who a centre expects and houses, with the flags for
// action: did not arrive, absent too long.
func cmdResidents(env *Env, args []string) int {
	cmd, fs := newRun(env, "residents")
	centre := fs.String("centre", "", "the centre's code")
	asJSON := fs.Bool("json", false, "print a JSON array")
	if rc, stop := cmd.parse(args, func() bool { return *centre == "" || fs.NArg() != 0 },
		"usage: fieldreg residents --data DIR --passphrase-file F --centre CODE [--json]"); stop {
		return rc
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	rs, err := s.Residents(*centre)
	if err != nil {
		return fail(env, err)
	}
	if rs == nil {
		rs = []device.Resident{}
	}
	if *asJSON {
		printJSON(env.Stdout, rs)
		return 0
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSECTION\tSTATE\tSINCE\tNOTE")
	for _, r := range rs {
		note := ""
		switch {
		case r.DidNotArrive:
			note = "did not arrive"
		case r.AbsentTooLong:
			note = "absent too long: check out"
		case r.WalkIn:
			note = "walked in"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Section, r.State, r.Since.UTC().Format("2006-01-02 15:04"), note)
	}
	tw.Flush()
	return 0
}
