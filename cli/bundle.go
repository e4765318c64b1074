package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/sync/bundle"
)

// cmdBundle is "bundle export" and "bundle import": USB bundles for posts
// without a network (docs/bundles.md).
func cmdBundle(env *Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, "usage: fieldreg bundle export --data DIR --passphrase-file FILE --out FILE")
		fmt.Fprintln(env.Stderr, "       fieldreg bundle import --data DIR --passphrase-file FILE BUNDLE")
		return 2
	}
	switch args[0] {
	case "export":
		return cmdBundleExport(env, args[1:])
	case "import":
		return cmdBundleImport(env, args[1:])
	}
	fmt.Fprintf(env.Stderr, "fieldreg bundle: unknown subcommand %q (export or import)\n", args[0])
	return 2
}

func cmdBundleExport(env *Env, args []string) int {
	fs := flags(env, "bundle export")
	var u unlockFlags
	u.register(fs)
	out := fs.String("out", "", "bundle file to write, e.g. on a USB stick (required)")
	if rc, stop := parseFlags(fs, args); stop {
		return rc
	}
	if *out == "" || fs.NArg() != 0 {
		fmt.Fprintln(env.Stderr, "fieldreg bundle export: --out FILE is required and no other arguments are taken")
		return 2
	}
	s, done, err := openSession(env, &u)
	if err != nil {
		return fail(env, err)
	}
	defer done()
	var res *device.BundleExport
	err = bundle.WriteFile(*out, s.Device().Dir(), func(f *os.File) error {
		var err error
		res, err = s.ExportBundle(context.Background(), f, bundleProgress(env, "written"))
		return err
	})
	if err != nil {
		return fail(env, err)
	}
	fmt.Fprintf(env.Stdout, "bundle %s written to %s: %d events for the hub\n", res.ID, *out, res.Events)
	fmt.Fprintln(env.Stdout, bundle.SealingNote(res.Prekey, "the hub"))
	if res.Pending > 0 {
		fmt.Fprintf(env.Stdout, "%d registrations wait for the hub's answer bundle (or a sync) to be acknowledged\n", res.Pending)
	}
	return 0
}

func cmdBundleImport(env *Env, args []string) int {
	fs := flags(env, "bundle import")
	var u unlockFlags
	u.register(fs)
	if rc, stop := parseFlags(fs, args); stop {
		return rc
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.Stderr, "fieldreg bundle import: name one bundle file")
		return 2
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fail(env, fmt.Errorf("cannot read the bundle: %w", err))
	}
	defer f.Close()
	s, done, err := openSession(env, &u)
	if err != nil {
		return fail(env, err)
	}
	defer done()
	res, err := s.ImportBundle(context.Background(), f, bundleProgress(env, "applied"))
	if err != nil {
		return fail(env, fmt.Errorf("bundle refused, nothing was applied: %w", err))
	}
	if res.Repeated {
		fmt.Fprintf(env.Stdout, "bundle %s was already imported: nothing changed\n", res.ID)
		return 0
	}
	fmt.Fprintf(env.Stdout, "bundle %s imported: received %d, refused %d, quarantined %d, conflicts %d, future-dated %d\n",
		res.ID, res.Received, res.Refused, res.Quarantined, res.Conflicts, res.Future)
	if res.Pending > 0 {
		fmt.Fprintf(env.Stdout, "%d registrations still wait for the hub\n", res.Pending)
	}
	if res.Refused > 0 || res.Quarantined > 0 {
		return 3
	}
	return 0
}

// bundleProgress prints "events written/applied n of total" to standard
// error, at most twice a second and once at the end.
func bundleProgress(env *Env, verb string) device.BundleProgress {
	var last time.Time
	return func(done, total int) {
		if total == 0 || (done < total && time.Since(last) < 500*time.Millisecond) {
			return
		}
		last = time.Now()
		fmt.Fprintf(env.Stderr, "events %s: %d of %d\n", verb, done, total)
	}
}
