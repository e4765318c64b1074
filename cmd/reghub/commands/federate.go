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
	r := newRun("enrol-country", stdout, stderr)
	fs := r.fs
	country := fs.String("country", "", "ISO 3166-1 alpha-3 code of the country hub to admit (required)")
	out := fs.String("out", "", "federation package file to write (required)")
	url := fs.String("region-url", "", "address country hubs reach the region at (default: the one given at init)")
	sharing := fs.String("sharing", federation.SharingIndex, "what the country sends: index (tokens and minimal metadata) or full (also each record's Eurodac data set, encrypted to the region; needs a legal basis)")
	r.kdfFlag("Argon2id cost for the code: default or low (tests)")
	if rc := r.parse(args, 0, ""); rc >= 0 {
		return rc
	}
	if *country == "" || *out == "" {
		return r.usage("--country and --out are required")
	}
	if err := federation.CheckSharing(*sharing); err != nil {
		return r.usage(fmt.Sprintf("--%v", err))
	}
	if err := notThere(*out); err != nil {
		return r.fail(err)
	}
	ctx, h, err := r.open(hub.Options{})
	defer r.close()
	if err != nil {
		return r.fail(err)
	}
	e, err := h.EnrolCountrySharing(ctx, *country, *url, *sharing)
	if err != nil {
		return r.fail(err)
	}
	if err := writeNew(*out, e.File); err != nil {
		return r.fail(fmt.Errorf("the country was admitted but its file could not be written: %w; revoke %s and admit it again", err, e.ClientID))
	}
	fmt.Fprintf(stdout, "country hub %s admitted as %s (sharing: %s); package written to %s\n", strings.ToUpper(*country), e.ClientID, *sharing, *out)
	fmt.Fprintf(stdout, "federation code (tell the country's operator; do not send it with the file): %s\n", e.Code)
	return 0
}

// runFederate (country hub) joins the region with a package, and/or pushes
// the index entries of new and changed records upstream once.
func runFederate(args []string, stdout, stderr io.Writer) int {
	r := newRun("federate", stdout, stderr)
	fs := r.fs
	join := fs.String("join", "", "federation package from the regional authority to store")
	code := fs.String("code", "", "the package's one-time code (with --join)")
	push := fs.Bool("push", false, "send the region the index entries of new and changed records, then exit")
	upstream := fs.String("upstream", "", "the regional hub's address (default: from the package)")
	r.kdfFlag("has no effect here: the package and the hub carry their own Argon2id parameters (accepted so scripts that pass it keep working)")
	if rc := r.parse(args, 0, ""); rc >= 0 {
		return rc
	}
	if *join == "" && !*push {
		return r.usage("give --join FILE --code CODE, or --push, or both")
	}
	if *join != "" && *code == "" {
		return r.usage("--join needs --code")
	}
	// The passphrase is asked once, for the join and the push.
	pass, err := r.passphrase()
	if err != nil {
		return r.fail(err)
	}
	defer clear(pass)
	p, err := r.params()
	if err != nil {
		return r.fail(err)
	}
	ctx := r.interruptible()
	defer r.close()
	if *join != "" {
		b, err := safefile.ReadFile(*join, "the federation package", federation.MaxFileSize)
		if err != nil {
			return r.fail(err)
		}
		pkg, err := hub.Federate(ctx, r.data, pass, b, *code, hub.Options{Params: p, Logger: warnings(stderr)})
		if err != nil {
			return r.fail(err)
		}
		fmt.Fprintf(stdout, "%s joined region %s at %s (sharing: %s)\n", pkg.Country, pkg.Region, pkg.RegionURL, pkg.Sharing)
		fmt.Fprintln(stdout, "if reghub serve is running for this hub, restart it: it reads the federation when it starts")
	}
	if *push {
		h, err := hub.Open(ctx, r.data, pass, hub.Options{Params: p, Logger: warnings(stderr)})
		if err != nil {
			return r.fail(err)
		}
		r.h = h
		if *upstream != "" {
			h.SetUpstream(*upstream)
		}
		rep, err := h.PushUpstream(ctx)
		switch {
		case errors.Is(err, client.ErrRevoked):
			return r.fail(fmt.Errorf("the regional joint database no longer admits this hub (its admission was revoked): ask the regional authority for a new package (sent %d records before)", rep.Records))
		case errors.Is(err, client.ErrNotEnrolled), errors.Is(err, client.ErrCertMismatch), errors.Is(err, client.ErrBadURL):
			return r.fail(fmt.Errorf("%w: check the region's address and this hub's federation package (sent %d records before)", err, rep.Records))
		case err != nil:
			return r.fail(fmt.Errorf("%w (sent %d records before; the next push resumes)", err, rep.Records))
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
	r := newRun("export", stdout, stderr)
	fs := r.fs
	format := fs.String("format", "", "output format: eurodac (required)")
	out := fs.String("out", "", "file to write (created 0600, never overwritten); standard output when absent")
	if rc := r.parse(args, 0, ""); rc >= 0 {
		return rc
	}
	if *format != "eurodac" {
		return r.usage("--format eurodac is required (the only format)")
	}
	// Refuse before unlocking anything: the file must be new.
	if *out != "" {
		if err := safefile.Absent(*out, false); err != nil {
			return r.fail(fmt.Errorf("%w: the export never overwrites a file", err))
		}
	}
	ctx, h, err := r.open(hub.Options{})
	defer r.close()
	if err != nil {
		return r.fail(err)
	}
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
		return r.fail(err)
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
