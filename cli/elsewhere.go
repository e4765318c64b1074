package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/sync/client"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// cmdElsewhere asks the regional joint database (through the hub) whether
// the person of a record was registered in another country, and stores the
// answer on the record. When the hub cannot be reached the question is
// kept and asked at the next sync. --stored prints the stored answer
// without asking. Exit status 0 with "no hit" or the hits; 1 when there is
// no answer (yet).
func cmdElsewhere(env *Env, args []string) int {
	cmd, fs := newRun(env, "elsewhere")
	hub := fs.String("hub", "", "hub address (default: from the enrolment)")
	stored := fs.Bool("stored", false, "print the answer stored on the record, without asking again")
	if rc, stop := cmd.parse(args, func() bool { return fs.NArg() != 1 },
		"usage: fieldreg elsewhere [flags] REGISTRATION-ID"); stop {
		return rc
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	if *stored {
		a, ok, err := s.ElsewhereAnswerOf(fs.Arg(0))
		switch {
		case err != nil:
			return fail(env, err)
		case !ok:
			return fail(env, fmt.Errorf("the question was never asked for %s on this device", fs.Arg(0)))
		case a.Reply == nil:
			fmt.Fprintf(env.Stdout, "waiting: asked %s; the answer comes with the next sync%s\n", a.Asked.UTC().Format(time.RFC3339), lastError(a))
			return 1
		}
		printReply(env.Stdout, a.Reply, a.Answered)
		if a.Waiting {
			fmt.Fprintf(env.Stdout, "asked again %s; the new answer comes with the next sync%s\n", a.Asked.UTC().Format(time.RFC3339), lastError(a))
		}
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := s.Elsewhere(ctx, fs.Arg(0), device.SyncOptions{HubURL: *hub})
	if err != nil {
		hint := "retrying will not help until this is fixed"
		if client.Retryable(err) {
			hint = "the question is kept and asked at the next sync"
		}
		return fail(env, fmt.Errorf("%w (%s)", err, hint))
	}
	printReply(env.Stdout, rep, time.Time{})
	return 0
}

func lastError(a device.ElsewhereAnswer) string {
	if a.Error == "" {
		return ""
	}
	return fmt.Sprintf(" (%d failed attempt(s): %s)", a.Attempts, a.Error)
}

// printReply prints a hit/no-hit answer; at, if set, is when it arrived.
func printReply(w io.Writer, rep *wire.ElsewhereReply, at time.Time) {
	when := ""
	if !at.IsZero() {
		when = " (answered " + at.UTC().Format(time.RFC3339) + ")"
	}
	if len(rep.Hits) == 0 {
		fmt.Fprintf(w, "no hit: not registered in another country of region %s%s\n", rep.Region, when)
		return
	}
	count := fmt.Sprint(len(rep.Hits))
	if rep.More {
		count = "more than " + count + " (the strongest shown)"
	}
	fmt.Fprintf(w, "HIT: %s earlier registration(s) in region %s%s; ask the owning country for details\n", count, rep.Region, when)
	for _, h := range rep.Hits {
		fmt.Fprintf(w, "  %s %s registered %s at %s, category %s (%s)\n", h.Country, h.Ref, h.Date, h.Place, h.Category, h.Evidence)
		if h.Details != nil {
			fmt.Fprintf(w, "    as registered there: %s\n", h.Details.Describe())
		}
	}
}
