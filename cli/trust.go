package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/trust"
)

// cmdTrust dispatches "trust export|import|revoke".
func cmdTrust(env *Env, args []string) int {
	sub := map[string]func(*Env, []string) int{"export": trustExport, "import": trustImport, "revoke": trustRevoke}
	if len(args) == 0 || sub[args[0]] == nil {
		fmt.Fprintln(env.Stderr, "usage: fieldreg trust export --data DIR --out FILE [--force]")
		fmt.Fprintln(env.Stderr, "       fieldreg trust import --data DIR --passphrase-file FILE TRUSTFILE")
		fmt.Fprintln(env.Stderr, "       fieldreg trust revoke --data DIR --passphrase-file FILE --device ID [--at TIME] --out FILE [--force]")
		return 2
	}
	return sub[args[0]](env, args[1:])
}

// trustExport writes the public trust file: no passphrase, nothing secret.
func trustExport(env *Env, args []string) int {
	fs := flags(env, "trust export")
	data := fs.String("data", device.DefaultDir(), "data directory")
	out := fs.String("out", "", "write the trust file here ('-': standard output)")
	force := fs.Bool("force", false, "replace an existing --out file")
	if rc, stop := parseFlags(fs, args); stop {
		return rc
	}
	if *out == "" || fs.NArg() != 0 {
		fmt.Fprintln(env.Stderr, "usage: fieldreg trust export --data DIR --out FILE [--force]")
		return 2
	}
	if err := trustOutAbsent(*out, *force); err != nil {
		return fail(env, err)
	}
	d, err := device.Open(*data, env.Opts)
	if err != nil {
		return fail(env, err)
	}
	defer d.Close()
	tf, err := d.TrustFile()
	if err != nil {
		return fail(env, err)
	}
	return writeTrust(env, tf, *out, *force)
}

// trustOutAbsent refuses an existing --out before anything is signed.
func trustOutAbsent(out string, force bool) error {
	if out == "-" {
		return nil
	}
	return outputAbsent(out, force)
}

func writeTrust(env *Env, tf *trust.File, out string, force bool) int {
	b, err := tf.Marshal()
	if err != nil {
		return fail(env, err)
	}
	if out == "-" {
		env.Stdout.Write(b)
		return 0
	}
	// Public keys only, but written like every output: a new file, never
	// through a link (writeOutput).
	if err := writeOutput(out, force, b); err != nil {
		return fail(env, fmt.Errorf("cannot write the trust file: %w", err))
	}
	names := make([]string, len(tf.Countries))
	for i, c := range tf.Countries {
		names[i] = c.Country
		if c.Revocations != nil {
			names[i] += fmt.Sprintf(" (%d revoked)", len(c.Revocations.Entries))
		}
	}
	fmt.Fprintf(env.Stderr, "trust file for %s written to %s\n", strings.Join(names, ", "), out)
	return 0
}

// readTrustFile reads and checks a trust file, refusing oversized input
// before reading it whole.
func readTrustFile(name string) (*trust.File, []byte, error) {
	b, err := safefile.ReadFile(name, "the trust file", trust.MaxFileSize)
	if err != nil {
		return nil, nil, err
	}
	tf, err := trust.ParseFile(b)
	if err != nil {
		return nil, nil, err
	}
	return tf, b, nil
}

func trustImport(env *Env, args []string) int {
	cmd, fs := newRun(env, "trust import")
	if rc, stop := cmd.parse(args, func() bool { return fs.NArg() != 1 },
		"usage: fieldreg trust import --data DIR --passphrase-file FILE TRUSTFILE"); stop {
		return rc
	}
	_, b, err := readTrustFile(fs.Arg(0))
	if err != nil {
		return fail(env, err)
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	rep, err := s.ImportTrust(b)
	if err != nil {
		return fail(env, err)
	}
	for _, l := range []struct {
		what string
		cc   []string
	}{{"root keys added or changed", rep.Added}, {"newer revocation list", rep.Revocations}, {"nothing new", rep.Unchanged}} {
		if len(l.cc) > 0 {
			fmt.Fprintf(env.Stdout, "%s: %s\n", l.what, strings.Join(l.cc, ", "))
		}
	}
	return 0
}

func trustRevoke(env *Env, args []string) int {
	cmd, fs := newRun(env, "trust revoke")
	dev := fs.String("device", "", "ID of the device to revoke (see 'fieldreg status' on it, or the receipt's device_id)")
	at := fs.String("at", "now", "revoked from this time on (RFC 3339, e.g. 2026-11-20T08:00:00Z, or 'now'); what it signed earlier stays valid")
	out := fs.String("out", "", "write the updated trust file (with the signed revocation list) here")
	force := fs.Bool("force", false, "replace an existing --out file")
	if rc, stop := cmd.parse(args, func() bool { return *dev == "" || *out == "" || fs.NArg() != 0 },
		"usage: fieldreg trust revoke --data DIR --passphrase-file FILE --device ID [--at TIME] --out FILE [--force]"); stop {
		return rc
	}
	var when time.Time
	if *at != "now" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			fmt.Fprintln(env.Stderr, "fieldreg trust revoke: --at must be RFC 3339 (2026-11-20T08:00:00Z) or 'now'")
			return 2
		}
		when = t
	}
	if err := trustOutAbsent(*out, *force); err != nil {
		return fail(env, err)
	}
	s, err := cmd.open()
	if err != nil {
		return fail(env, err)
	}
	defer cmd.close()
	if when.IsZero() {
		when = s.Device().Now()
	}
	tf, err := s.RevokeDevice(*dev, when)
	if err != nil {
		return fail(env, err)
	}
	return writeTrust(env, tf, *out, *force)
}
