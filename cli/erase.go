package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
)

// exitErased is show's exit status for a record that was erased.
const exitErased = 3

func cmdErase(env *Env, args []string) int {
	cmd, fs := newRun(env, "erase")
	reason := fs.String("reason", "", "why: a court decision, the person's request, citizenship... (no personal data)")
	by := fs.String("by", "", "instead of erasing now, set an earlier erasure date (YYYY-MM-DD)")
	if rc, stop := cmd.parse(args, func() bool { return fs.NArg() != 1 || *reason == "" },
		"usage: fieldreg erase --data DIR --passphrase-file FILE [--officer NAME] --reason TEXT [--by YYYY-MM-DD] ID"); stop {
		return rc
	}
	var date time.Time
	if *by != "" {
		var err error
		if date, err = time.Parse(time.DateOnly, *by); err != nil {
			return fail(env, errors.New("--by: the date must be YYYY-MM-DD"))
		}
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
	if *by != "" {
		err = s.SetErasureDate(id, date, *reason)
	} else {
		err = s.Erase(id, *reason)
	}
	var ee *device.ErasedError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fail(env, fmt.Errorf("no record %s on this device", id))
	case errors.As(err, &ee):
		return fail(env, fmt.Errorf("already %s", erasedLine(ee)))
	case errors.Is(err, device.ErrNotSupervisor):
		return fail(env, errors.New("only a supervisor can erase a record (--officer NAME of a supervisor)"))
	case err != nil:
		return fail(env, err)
	}
	if *by != "" {
		fmt.Fprintf(env.Stdout, "%s is erased on %s at the latest; the date reaches the hub and other devices at the next sync\n", id, *by)
		return 0
	}
	fmt.Fprintf(env.Stdout, "%s erased; the erasure reaches the hub and other devices at the next sync\n", id)
	return 0
}

// erasedLine is "erased on DATE (REASON)".
func erasedLine(e *device.ErasedError) string {
	if e.Reason == "" {
		return "erased on " + e.At.Format(time.DateOnly)
	}
	return fmt.Sprintf("erased on %s (%s)", e.At.Format(time.DateOnly), e.Reason)
}

func cmdRetention(env *Env, args []string) int {
	cmd, fs := newRun(env, "retention")
	asJSON := fs.Bool("json", false, "print JSON")
	days := fs.Int("days", 90, "list the erasures due within this many days")
	if rc, stop := cmd.parse(args, func() bool { return fs.NArg() != 0 || *days < 0 || *days > 36600 },
		"usage: fieldreg retention --data DIR --passphrase-file FILE [--json] [--days N]"); stop {
		return rc
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	ctx := context.Background()
	// The device erases on its own clock what is past its date, first.
	erased, err := s.SweepExpired(ctx)
	if err != nil {
		return fail(env, err)
	}
	rules, issued, err := s.Device().Retention()
	if err != nil {
		return fail(env, err)
	}
	due, err := s.NextDue(ctx, s.Device().Now().AddDate(0, 0, *days), 1000)
	if err != nil {
		return fail(env, err)
	}
	source := "defaults of Regulation (EU) 2024/1358, Art. 29"
	if !issued.IsZero() {
		source = "the authority's rules of " + issued.Format(time.DateOnly)
	}
	if *asJSON {
		periods := map[string]string{}
		for k, p := range rules {
			periods[k] = p.String()
		}
		out := struct {
			Source  string             `json:"source"`
			Periods map[string]string  `json:"periods"`
			Erased  []string           `json:"erased_now"`
			Due     []device.DueRecord `json:"due"`
		}{source, periods, erased, due}
		if out.Erased == nil {
			out.Erased = []string{}
		}
		if out.Due == nil {
			out.Due = []device.DueRecord{}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fail(env, err)
		}
		return 0
	}
	fmt.Fprintf(env.Stdout, "retention (%s):\n", source)
	for _, k := range registry.Categories {
		if p, ok := rules[k]; ok {
			fmt.Fprintf(env.Stdout, "  %-26s %s\n", k, p)
		}
	}
	if len(erased) > 0 {
		fmt.Fprintf(env.Stdout, "erased now, past their date: %s\n", strings.Join(erased, " "))
	}
	fmt.Fprintf(env.Stdout, "due within %d days: %d\n", *days, len(due))
	for _, d := range due {
		fmt.Fprintf(env.Stdout, "  %s  %s\n", d.Due.Format(time.DateOnly), d.ID)
	}
	return 0
}
