package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/sync/client"
)

// cmdElsewhere asks the regional joint database (through the hub) whether
// the person of a record was registered in another country. Exit status 0
// with "no hit" or the hits; 1 when the hub or the region could not answer.
func cmdElsewhere(env *Env, args []string) int {
	fs := flags(env, "elsewhere")
	var u unlockFlags
	u.register(fs)
	hub := fs.String("hub", "", "hub address (default: from the enrolment)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.Stderr, "usage: fieldreg elsewhere [flags] REGISTRATION-ID")
		return 2
	}
	s, done, err := openSession(env, &u)
	if err != nil {
		return fail(env, err)
	}
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := s.Elsewhere(ctx, fs.Arg(0), device.SyncOptions{HubURL: *hub})
	if err != nil {
		hint := "retrying will not help until this is fixed"
		if client.Retryable(err) {
			hint = "ask again when the hub is reachable"
		}
		return fail(env, fmt.Errorf("%w (%s)", err, hint))
	}
	if len(rep.Hits) == 0 {
		fmt.Fprintf(env.Stdout, "no hit: not registered in another country of region %s\n", rep.Region)
		return 0
	}
	fmt.Fprintf(env.Stdout, "HIT: %d earlier registration(s) in region %s; ask the owning country for details\n", len(rep.Hits), rep.Region)
	for _, h := range rep.Hits {
		fmt.Fprintf(env.Stdout, "  %s %s registered %s at %s, category %s (%s)\n", h.Country, h.Ref, h.Date, h.Place, h.Category, h.Evidence)
	}
	return 0
}
