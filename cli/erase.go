package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
)

// exitErased is show's exit status for a record that was erased.
const exitErased = 3

func cmdErase(env *Env, args []string) int {
	fs := flags(env, "erase")
	var u unlockFlags
	u.register(fs)
	reason := fs.String("reason", "", "why: a court decision, the person's request, citizenship... (no personal data)")
	if rc, stop := parseFlags(fs, args); stop {
		return rc
	}
	if fs.NArg() != 1 || *reason == "" {
		fmt.Fprintln(env.Stderr, "usage: fieldreg erase --data DIR --passphrase-file FILE [--officer NAME] --reason TEXT ID")
		return 2
	}
	id, err := registry.ParseRegID(fs.Arg(0))
	if err != nil {
		return fail(env, err)
	}
	s, done, err := openSession(env, &u)
	if err != nil {
		return fail(env, err)
	}
	defer done()
	err = s.Erase(id, *reason)
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
