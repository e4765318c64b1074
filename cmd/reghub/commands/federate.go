package commands

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/sync/client"
	"github.com/fieldreg/fieldreg/sync/federation"
	"github.com/fieldreg/fieldreg/sync/hub"
)

// runEnrolCountry (regional hub) makes a country hub's federation package.
func runEnrolCountry(args []string, stdout, stderr io.Writer) int {
	var c common
	fs := flags("enrol-country", stderr, &c)
	country := fs.String("country", "", "ISO 3166-1 alpha-3 code of the country hub to admit (required)")
	out := fs.String("out", "", "federation package file to write (required)")
	url := fs.String("region-url", "", "address country hubs reach the region at (default: the one given at init)")
	sharing := fs.String("sharing", federation.SharingIndex, "what the country sends: index (tokens and minimal metadata) or full (also each record's Eurodac data set, encrypted to the region; needs a legal basis)")
	fs.StringVar(&c.kdf, "kdf", "default", "Argon2id cost for the code: default or low (tests)")
	if rc := parse(fs, args, &c); rc >= 0 {
		return rc
	}
	if *country == "" || *out == "" {
		fmt.Fprintln(stderr, "reghub enrol-country: --country and --out are required")
		return 2
	}
	if err := federation.CheckSharing(*sharing); err != nil {
		fmt.Fprintf(stderr, "reghub enrol-country: --%v\n", err)
		return 2
	}
	if err := notThere(*out); err != nil {
		return fail(stderr, "enrol-country", err)
	}
	h, err := open(&c, stderr, hub.Options{})
	if err != nil {
		return fail(stderr, "enrol-country", err)
	}
	defer h.Close()
	e, err := h.EnrolCountrySharing(*country, *url, *sharing)
	if err != nil {
		return fail(stderr, "enrol-country", err)
	}
	if err := writeNew(*out, e.File); err != nil {
		return fail(stderr, "enrol-country", fmt.Errorf("the country was admitted but its file could not be written: %w; revoke %s and admit it again", err, e.ClientID))
	}
	fmt.Fprintf(stdout, "country hub %s admitted as %s (sharing: %s); package written to %s\n", strings.ToUpper(*country), e.ClientID, *sharing, *out)
	fmt.Fprintf(stdout, "federation code (tell the country's operator; do not send it with the file): %s\n", e.Code)
	return 0
}

// runFederate (country hub) joins the region with a package, and/or pushes
// the index entries of new and changed records upstream once.
func runFederate(args []string, stdout, stderr io.Writer) int {
	ctx, stop := interruptible()
	defer stop()
	var c common
	fs := flags("federate", stderr, &c)
	join := fs.String("join", "", "federation package from the regional authority to store")
	code := fs.String("code", "", "the package's one-time code (with --join)")
	push := fs.Bool("push", false, "send the region the index entries of new and changed records, then exit")
	upstream := fs.String("upstream", "", "the regional hub's address (default: from the package)")
	fs.StringVar(&c.kdf, "kdf", "default", "has no effect here: the package and the hub carry their own Argon2id parameters (accepted so scripts that pass it keep working)")
	if rc := parse(fs, args, &c); rc >= 0 {
		return rc
	}
	if *join == "" && !*push {
		fmt.Fprintln(stderr, "reghub federate: give --join FILE --code CODE, or --push, or both")
		return 2
	}
	if *join != "" && *code == "" {
		fmt.Fprintln(stderr, "reghub federate: --join needs --code")
		return 2
	}
	// The passphrase is asked once, for the join and the push.
	pass, err := c.passphrase(stderr)
	if err != nil {
		return fail(stderr, "federate", err)
	}
	defer clear(pass)
	p, err := c.params()
	if err != nil {
		return fail(stderr, "federate", err)
	}
	if *join != "" {
		b, err := safefile.ReadFile(*join, "the federation package", federation.MaxFileSize)
		if err != nil {
			return fail(stderr, "federate", err)
		}
		pkg, err := hub.Federate(c.data, pass, b, *code, hub.Options{Params: p, Logger: warnings(stderr)})
		if err != nil {
			return fail(stderr, "federate", err)
		}
		fmt.Fprintf(stdout, "%s joined region %s at %s (sharing: %s)\n", pkg.Country, pkg.Region, pkg.RegionURL, pkg.Sharing)
		fmt.Fprintln(stdout, "if reghub serve is running for this hub, restart it: it reads the federation when it starts")
	}
	if *push {
		h, err := hub.Open(c.data, pass, hub.Options{Params: p, Logger: warnings(stderr)})
		if err != nil {
			return fail(stderr, "federate", err)
		}
		defer h.Close()
		if *upstream != "" {
			h.SetUpstream(*upstream)
		}
		rep, err := h.PushUpstream(ctx)
		switch {
		case errors.Is(err, client.ErrRevoked):
			return fail(stderr, "federate", fmt.Errorf("the regional joint database no longer admits this hub (its admission was revoked): ask the regional authority for a new package (sent %d records before)", rep.Records))
		case errors.Is(err, client.ErrNotEnrolled), errors.Is(err, client.ErrCertMismatch), errors.Is(err, client.ErrBadURL):
			return fail(stderr, "federate", fmt.Errorf("%w: check the region's address and this hub's federation package (sent %d records before)", err, rep.Records))
		case err != nil:
			return fail(stderr, "federate", fmt.Errorf("%w (sent %d records before; the next push resumes)", err, rep.Records))
		}
		what := "index only"
		if _, _, sharing := h.Federation(); sharing == federation.SharingFull {
			what = "index and data sets encrypted to the region"
		}
		fmt.Fprintf(stdout, "sent %d records upstream (%s), skipped %d\n", rep.Records, what, rep.Skipped)
	}
	return 0
}

// runExport writes the country's records in the Eurodac-aligned structure.
func runExport(args []string, stdout, stderr io.Writer) int {
	ctx, stop := interruptible()
	defer stop()
	var c common
	fs := flags("export", stderr, &c)
	format := fs.String("format", "", "output format: eurodac (required)")
	out := fs.String("out", "", "file to write (created 0600, never overwritten); standard output when absent")
	if rc := parse(fs, args, &c); rc >= 0 {
		return rc
	}
	if *format != "eurodac" {
		fmt.Fprintln(stderr, "reghub export: --format eurodac is required (the only format)")
		return 2
	}
	// Refuse before unlocking anything: the file must be new.
	if *out != "" {
		if err := safefile.Absent(*out, false); err != nil {
			return fail(stderr, "export", fmt.Errorf("%w: the export never overwrites a file", err))
		}
	}
	h, err := open(&c, stderr, hub.Options{})
	if err != nil {
		return fail(stderr, "export", err)
	}
	defer h.Close()
	var rep hub.EurodacExport
	if *out == "" {
		rep, err = h.ExportEurodac(ctx, stdout)
	} else {
		err = safefile.Write(*out, safefile.Output{}, func(f *os.File) error {
			var err error
			rep, err = h.ExportEurodac(ctx, f)
			return err
		})
	}
	if err != nil {
		return fail(stderr, "export", err)
	}
	fmt.Fprintf(stderr, "exported %d records (skipped %d); the output is personal data\n", rep.Records, rep.Skipped)
	return 0
}

// notThere refuses an output path that exists, before anything is issued
// for it: a package is never written over another one.
func notThere(path string) error {
	if err := safefile.Absent(path, false); err != nil {
		return fmt.Errorf("%w: choose another file (nothing was issued)", err)
	}
	return nil
}

// writeNew writes a new file the way every output is written
// (safefile.Write): mode 0600, never through a link, never over a file.
func writeNew(path string, b []byte) error {
	return safefile.WriteBytes(path, safefile.Output{}, b)
}
