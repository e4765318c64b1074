package hubcmd

import (
	"context"
	"errors"
	"flag"
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
	var c common
	fs := flags("bundle import", stderr, &c)
	before := fs.Bool("before-revocation", false, "accept the bundle of a device revoked after it exported it (lost or stolen while the stick travelled): only if the bundle and all its events are stamped before the revocation")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if c.data == "" || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "reghub bundle import: --data is required, and one bundle file")
		return 2
	}
	h, err := open(&c, stderr, hub.Options{})
	if err != nil {
		return fail(stderr, "bundle import", err)
	}
	defer h.Close()
	importBundle := h.ImportBundle
	if *before {
		importBundle = h.ImportBundleBeforeRevocation
	}
	res, err := importBundle(context.Background(), fs.Arg(0))
	if err != nil {
		if strings.Contains(err.Error(), "nothing was applied") {
			return fail(stderr, "bundle import", fmt.Errorf("bundle refused: %w", err))
		}
		return fail(stderr, "bundle import", fmt.Errorf("bundle refused, nothing was applied: %w", err))
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
	var c common
	fs := flags("bundle export", stderr, &c)
	name := fs.String("device", "", "device name or ID (required)")
	out := fs.String("out", "", "bundle file to write (required)")
	if rc := parse(fs, args, &c); rc >= 0 {
		return rc
	}
	if *name == "" || *out == "" {
		fmt.Fprintln(stderr, "reghub bundle export: --device and --out are required")
		return 2
	}
	h, err := open(&c, stderr, hub.Options{})
	if err != nil {
		return fail(stderr, "bundle export", err)
	}
	defer h.Close()
	var res *hub.BundleExport
	err = bundle.WriteFile(*out, c.data, func(f *os.File) error {
		var err error
		res, err = h.ExportBundle(context.Background(), *name, f)
		return err
	})
	if err != nil {
		return fail(stderr, "bundle export", err)
	}
	if res.Revoked {
		fmt.Fprintf(stdout, "bundle %s for device %s written to %s: the device is revoked; the bundle carries no events, only the revocation list that tells it to stop issuing receipts and saving registrations\n", res.ID, res.Device, *out)
		return 0
	}
	fmt.Fprintf(stdout, "bundle %s for device %s written to %s: %d events\n", res.ID, res.Device, *out, res.Events)
	return 0
}
