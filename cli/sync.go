package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/sync/client"
)

// cmdSync exchanges events with the hub and prints progress and a summary.
// Exit status: 0 complete, 1 failed (retry later may help: the message
// says), 3 completed with refused or quarantined events.
func cmdSync(env *Env, args []string) int {
	cmd, fs := newRun(env, "sync")
	hub := fs.String("hub", "", "hub address, e.g. https://hub.example:8443 (default: from the enrolment)")
	quiet := fs.Bool("quiet", false, "print only the summary")
	chunk := fs.Int("chunk", 0, "events per chunk (default 1000; smaller on a poor link)")
	if rc, stop := cmd.parse(args, func() bool { return fs.NArg() != 0 }, ""); stop {
		return rc
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	last := time.Time{}
	rep, err := s.Sync(ctx, device.SyncOptions{HubURL: *hub, ChunkEvents: *chunk, Progress: func(p device.Progress) {
		if *quiet || (p.Phase != "done" && time.Since(last) < 500*time.Millisecond) {
			return
		}
		last = time.Now()
		fmt.Fprintf(env.Stderr, "%-10s sent %d/%d  received %d/%d\n", p.Phase, p.Sent, p.ToSend, p.Received, p.ToReceive)
	}})
	fmt.Fprintf(env.Stdout, "sent %d (already at the hub %d), received %d, refused %d, quarantined %d, conflicts %d, future-dated %d\n",
		rep.Sent, rep.Duplicates, rep.Received, rep.Refused, rep.Quarantined, rep.Conflicts, rep.Future)
	if err != nil {
		if errors.Is(err, device.ErrNoHub) {
			return fail(env, err)
		}
		hint := "retrying will not help until this is fixed"
		if client.Retryable(err) {
			hint = "nothing was lost; try again later"
		}
		return fail(env, fmt.Errorf("%w (%s)", err, hint))
	}
	if rep.Answered > 0 || rep.QuestionsFailed > 0 {
		fmt.Fprintf(env.Stdout, "registered elsewhere? %d waiting question(s) answered, %d not yet (see fieldreg elsewhere --stored ID)\n",
			rep.Answered, rep.QuestionsFailed)
	}
	if rep.Erased > 0 {
		fmt.Fprintf(env.Stdout, "%d record(s) erased by order received\n", rep.Erased)
	}
	// Records past their date are erased on this device's clock too.
	if gone, err := s.SweepExpired(ctx); err != nil {
		return fail(env, fmt.Errorf("retention sweep: %w", err))
	} else if len(gone) > 0 {
		fmt.Fprintf(env.Stdout, "%d record(s) erased at the end of their retention period\n", len(gone))
	}
	if pend, err := s.Pending(); err == nil && len(pend) > 0 {
		fmt.Fprintf(env.Stdout, "%d registrations still wait for the hub; the first must arrive by %s\n", len(pend), pend[0].Deadline.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if !rep.Complete {
		return 3
	}
	return 0
}
