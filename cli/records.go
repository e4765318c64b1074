package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
)

func cmdSearch(env *Env, args []string) int {
	cmd, fs := newRun(env, "search")
	category := fs.String("category", "", "only this category")
	vuln := fs.String("vulnerability", "", "only records with this vulnerability (or 'any')")
	from := fs.String("from", "", "registered on or after this date (YYYY-MM-DD)")
	to := fs.String("to", "", "registered on or before this date (YYYY-MM-DD)")
	limit := fs.Int("limit", 50, "at most this many results (0: all)")
	asJSON := fs.Bool("json", false, "print JSON lines instead of a table")
	if rc, stop := cmd.parse(args, nil, ""); stop {
		return rc
	}
	q := device.Query{Text: strings.Join(fs.Args(), " "), Category: *category, Vulnerability: *vuln, Limit: *limit}
	if err := q.SetDays(*from, *to, time.Local); err != nil {
		fmt.Fprintf(env.Stderr, "fieldreg search: --from/--to: %v\n", err)
		return 2
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	found, err := s.SearchSummaries(q)
	if err != nil {
		return fail(env, err)
	}
	enc := json.NewEncoder(env.Stdout)
	for _, m := range found.Summaries {
		if *asJSON {
			_ = enc.Encode(m)
			continue
		}
		fmt.Fprintf(env.Stdout, "%s  %-40s %-11s %s  %s\n", m.ID, m.FullName(), m.BirthDate, m.Sex, m.Created.Time().Format("2006-01-02 15:04"))
	}
	if len(found.Summaries) == 0 && len(found.Damaged) == 0 && !*asJSON {
		fmt.Fprintln(env.Stderr, "no records found")
	}
	if len(found.Damaged) > 0 {
		fmt.Fprintf(env.Stderr, "%d damaged records matched and were skipped (run fieldreg audit verify): %s\n",
			len(found.Damaged), strings.Join(found.Damaged, " "))
		return 3
	}
	return 0
}

func cmdShow(env *Env, args []string) int {
	cmd, fs := newRun(env, "show")
	if rc, stop := cmd.parse(args, func() bool { return fs.NArg() != 1 }, "fieldreg show: give one registration ID"); stop {
		return rc
	}
	id, err := registry.ParseRegID(fs.Arg(0))
	if err != nil {
		return fail(env, err)
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	v, err := s.Get(id)
	var ee *device.ErasedError
	if errors.As(err, &ee) {
		fmt.Fprintf(env.Stderr, "fieldreg: %s %s\n", id, erasedLine(ee))
		return exitErased
	}
	if errors.Is(err, store.ErrNotFound) {
		return fail(env, fmt.Errorf("no record %s on this device", id))
	}
	if err != nil {
		return fail(env, err)
	}
	type version struct {
		registry.Version
		OfficerName string    `json:"officer_name"`
		At          time.Time `json:"at"`
	}
	out := struct {
		ID        string               `json:"id"`
		Person    registry.Person      `json:"person"`
		Versions  []version            `json:"versions"`
		Conflicts []registry.Conflict  `json:"conflicts,omitempty"`
		Links     []registry.LinkState `json:"links,omitempty"`
		Group     []device.Summary     `json:"group,omitempty"`
		// ErasureDue is when the record is erased on this device's
		// retention rules (or the earlier date a supervisor set).
		ErasureDue string `json:"erasure_due"`
	}{ID: v.ID, Person: v.Person, Conflicts: v.Conflicts, Links: v.Links, Group: v.Group}
	due, err := s.Device().ErasureDue(v.Record)
	if err != nil {
		return fail(env, err)
	}
	out.ErasureDue = due.Format(time.DateOnly)
	for _, ver := range v.Versions {
		out.Versions = append(out.Versions, version{ver, v.By[ver.Event], ver.HLC.Time()})
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fail(env, err)
	}
	return 0
}

func cmdAudit(env *Env, args []string) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(env.Stderr, "usage: fieldreg audit verify --data DIR --passphrase-file FILE")
		return 2
	}
	cmd, _ := newRun(env, "audit verify")
	if rc, stop := cmd.parse(args[1:], nil, ""); stop {
		return rc
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	rep, err := s.VerifyAudit()
	if err != nil {
		return fail(env, err)
	}
	if rep.OK {
		fmt.Fprintf(env.Stdout, "audit log intact: %d entries, chain and authentication codes verified\n", rep.Entries)
		fmt.Fprintf(env.Stdout, "records intact: %d records, every event signature and projection verified\n", rep.Checked)
		return 0
	}
	if len(rep.Problems) > 0 {
		fmt.Fprintf(env.Stdout, "AUDIT LOG TAMPERED: %d problems in %d entries\n", len(rep.Problems), rep.Entries)
		for _, p := range rep.Problems {
			fmt.Fprintln(env.Stdout, "  "+p)
		}
	} else {
		fmt.Fprintf(env.Stdout, "audit log intact: %d entries, chain and authentication codes verified\n", rep.Entries)
	}
	if len(rep.Records) > 0 {
		fmt.Fprintf(env.Stdout, "RECORDS DAMAGED: %d of %d records fail the integrity check (tell your supervisor; the registrations may have to be made again):\n", len(rep.Records), rep.Checked)
		for _, r := range rep.Records {
			fmt.Fprintf(env.Stdout, "  %s: %s\n", r.Record, r.Problem)
		}
	}
	return 1
}

func cmdStatus(env *Env, args []string) int {
	fs := flags(env, "status")
	data := fs.String("data", device.DefaultDir(), "data directory")
	if rc, stop := parseFlags(fs, args); stop {
		return rc
	}
	d, err := device.Open(*data, env.Opts)
	if err != nil {
		return fail(env, err)
	}
	defer d.Close()
	info := d.Info()
	mode := "enrolled"
	if info.Standalone {
		mode = "standalone (holds its own country authority)"
	}
	officers, err := d.Officers()
	if err != nil {
		return fail(env, err)
	}
	records, _ := d.Store().CountRecords()
	events, _ := d.Store().CountEvents()
	vec, err := d.Store().Heads()
	if err != nil {
		return fail(env, err)
	}
	rev, err := d.OwnRevocation()
	if err != nil {
		return fail(env, err)
	}
	if rev != nil {
		mode += fmt.Sprintf("; REVOKED from %s: it issues no receipts and saves no registrations or changes", rev.At.UTC().Format(time.RFC3339))
	}
	// The officer rows are read without a key: names and roles as stored,
	// checked at unlock and by `fieldreg audit verify`.
	fmt.Fprintf(env.Stdout, "device    %s (%s)\ncountry   %s\nstation   %s\nmode      %s\nrecords   %d\nevents    %d\nvector    %s\nofficers  %d (as stored; `fieldreg audit verify` checks them)\n",
		info.DeviceID, info.Name, info.Country, info.Station, mode, records, events, vec, len(officers))
	for _, o := range officers {
		role := "officer"
		if o.Supervisor {
			role = "supervisor"
		}
		state := ""
		if o.Locked {
			state = " (locked out)"
		}
		fmt.Fprintf(env.Stdout, "  %-30s %s%s\n", o.Name, role, state)
	}
	return 0
}

func cmdOfficer(env *Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, "usage: fieldreg officer add|list|remove|reset|unlock [flags] [NAME]")
		return 2
	}
	sub := args[0]
	switch sub {
	case "add", "list", "remove", "reset", "unlock":
	default:
		// Refused before any passphrase is asked or any unlock is logged.
		fmt.Fprintf(env.Stderr, "fieldreg officer: unknown action %q (add, list, remove, reset or unlock)\n", sub)
		return 2
	}
	cmd, fs := newRun(env, "officer "+sub)
	newPass := fs.String("new-passphrase-file", "", "file holding the new officer's passphrase (add, reset)")
	supervisor := fs.Bool("supervisor", false, "the new officer is a supervisor (add)")
	if rc, stop := cmd.parse(args[1:], nil, ""); stop {
		return rc
	}
	if sub == "list" {
		return cmdStatus(env, []string{"--data", cmd.u.data})
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(env.Stderr, "fieldreg officer %s: give the officer's name\n", sub)
		return 2
	}
	name := fs.Arg(0)
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	target := func() (device.Officer, error) { return s.Device().OfficerByName(name) }
	switch sub {
	case "add":
		pass, err := readPassphrase(env, *newPass, "Passphrase for "+name+": ")
		if err != nil {
			return fail(env, err)
		}
		defer wipe(pass)
		if _, err := s.AddOfficer(name, pass, *supervisor); err != nil {
			return fail(env, err)
		}
		fmt.Fprintf(env.Stdout, "officer %s added\n", name)
	case "remove", "reset", "unlock":
		o, err := target()
		if err != nil {
			return fail(env, err)
		}
		switch sub {
		case "remove":
			err = s.RemoveOfficer(o.ID)
		case "unlock":
			err = s.UnlockOfficer(o.ID)
		case "reset":
			var pass []byte
			if pass, err = readPassphrase(env, *newPass, "New passphrase for "+name+": "); err == nil {
				err = s.ResetPassphrase(o.ID, pass)
				wipe(pass)
			}
		}
		if err != nil {
			return fail(env, err)
		}
		fmt.Fprintf(env.Stdout, "officer %s: %s done\n", name, sub)
	default:
		fmt.Fprintf(env.Stderr, "fieldreg officer: unknown action %q (add, list, remove, reset, unlock)\n", sub)
		return 2
	}
	return 0
}
