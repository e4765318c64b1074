package commands

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fieldreg/fieldreg/sync/bundle"
	"github.com/fieldreg/fieldreg/sync/hub"
)

// runBundle is "reghub bundle import|export": USB bundles for devices
// without a network (docs/bundles.md).
func runBundle(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: reghub bundle import --data DIR BUNDLE")
		fmt.Fprintln(stderr, "       reghub bundle export --data DIR --device NAME --out FILE")
		return 2
	}
	switch args[0] {
	case "import":
		return runBundleImport(args[1:], stdout, stderr)
	case "export":
		return runBundleExport(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "reghub bundle: unknown subcommand %q (import or export)\n", args[0])
	return 2
}

func runBundleImport(args []string, stdout, stderr io.Writer) int {
	r := newRun("bundle import", stdout, stderr)
	before := r.fs.Bool("before-revocation", false, "accept the bundle of a device revoked after it exported it (lost or stolen while the stick travelled): only if the bundle and all its events are stamped before the revocation")
	if rc := r.parse(args, 1, "one bundle file is named"); rc >= 0 {
		return rc
	}
	ctx, h, err := r.open(hub.Options{})
	defer r.close()
	if err != nil {
		return r.fail(err)
	}
	importBundle := h.ImportBundle
	if *before {
		importBundle = h.ImportBundleBeforeRevocation
	}
	res, err := importBundle(ctx, r.fs.Arg(0))
	if err != nil {
		if strings.Contains(err.Error(), "nothing was applied") {
			return r.fail(fmt.Errorf("bundle refused: %w", err))
		}
		return r.fail(fmt.Errorf("bundle refused, nothing was applied: %w", err))
	}
	if res.Repeated {
		fmt.Fprintf(stdout, "bundle %s from device %s was already imported: nothing changed\n", res.ID, res.Device)
		return 0
	}
	fmt.Fprintf(stdout, "bundle %s from device %s imported: %d events, %d new, %d already held, %d quarantined, %d future-dated\n",
		res.ID, res.Device, res.Events, res.Accepted, res.Duplicates, res.Quarantined, res.Flagged)
	if !res.RevokedAt.IsZero() {
		fmt.Fprintf(stdout, "NOTE: device %s was revoked at %s; this bundle and all its events are stamped before that, by the device's own clock (accepted with --before-revocation)\n",
			res.Device, res.RevokedAt.UTC().Format(time.RFC3339))
	}
	if res.Quarantined > 0 {
		return 3
	}
	return 0
}

func runBundleExport(args []string, stdout, stderr io.Writer) int {
	r := newRun("bundle export", stdout, stderr)
	name := r.fs.String("device", "", "device name or ID (required)")
	out := r.fs.String("out", "", "bundle file to write (required)")
	if rc := r.parse(args, 0, ""); rc >= 0 {
		return rc
	}
	if *name == "" || *out == "" {
		return r.usage("--device and --out are required")
	}
	ctx, h, err := r.open(hub.Options{})
	defer r.close()
	if err != nil {
		return r.fail(err)
	}
	var res *hub.BundleExport
	err = bundle.WriteFile(*out, r.data, func(f *os.File) error {
		var err error
		res, err = h.ExportBundle(ctx, *name, f)
		return err
	})
	if err != nil {
		return r.fail(err)
	}
	if res.Revoked {
		fmt.Fprintf(stdout, "bundle %s for device %s written to %s: the device is revoked; the bundle carries no events, only the revocation list that tells it to stop issuing receipts and saving registrations\n", res.ID, res.Device, *out)
	} else {
		fmt.Fprintf(stdout, "bundle %s for device %s written to %s: %d events\n", res.ID, res.Device, *out, res.Events)
	}
	fmt.Fprintln(stdout, bundle.SealingNote(res.Prekey, "the device"))
	return 0
}
