// Package cli is fieldreg's headless command line: the subcommands operators
// script (init, register, search, show, audit verify, ...). It opens no
// window and imports no Fyne package.
package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"golang.org/x/term"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/internal/version"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// Env is what a command reads and writes; tests substitute their own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Opts are passed to device.Open (tests use cheap Argon2id parameters).
	Opts device.Options
	// BatchSize is how many registrations a bulk import saves per durable
	// commit (batchSize when 0; the crash harness uses small batches to
	// kill between commits on small files).
	BatchSize int
}

// command is one subcommand. run returns the process exit status.
type command struct {
	summary string
	run     func(env *Env, args []string) int
}

// commands is the table of subcommands; "audit verify" style pairs are
// dispatched by their first word.
var commands = map[string]command{
	"init":       {"set up this device (standalone, or from an enrolment file)", cmdInit},
	"register":   {"register people from JSON (one object, or JSON lines)", cmdRegister},
	"search":     {"find records by name, registration ID or document number", cmdSearch},
	"show":       {"show one record with its history (exit 3: the record was erased)", cmdShow},
	"retention":  {"the retention rules, the erasures due (and erase what is past its date)", cmdRetention},
	"erase":      {"erase a record: its person's data goes from every node (supervisor)", cmdErase},
	"audit":      {"audit verify: check the hash-chained audit log", cmdAudit},
	"officer":    {"officer add|list|remove|reset|unlock: manage officers (supervisor)", cmdOfficer},
	"recover":    {"reset an officer's passphrase with the authority's recovery key", cmdRecover},
	"status":     {"device, officers, records and events held", cmdStatus},
	"duplicates": {"list stored records that are likely the same person (supervisor review)", cmdDuplicates},
	"link":       {"record that two registrations are the same person, or different people", cmdLink},
	"receipt":    {"issue or reissue the signed QR receipt of a registration (PNG, PDF)", cmdReceipt},
	"trust":      {"trust export|import|revoke: the public keys and revocations receipts are checked with", cmdTrust},
	"verify":     {"check a receipt from its text or an image; prints a JSON verdict", cmdVerify},
	"sync":       {"exchange events with the hub; prints progress and a summary", cmdSync},
	"bundle":     {"bundle export|import: carry events to and from the hub on a USB stick", cmdBundle},
	"notice":     {"the information notice in the person's language: text, PNG or A4 PDF (blank, or for one registration)", cmdNotice},
	"contacts":   {"show the notice contacts (controller, DPO, supervisory authority); standalone: --set them", cmdContacts},
	"centre":     {"centre add|set: a reception centre and its beds per section (standalone; enrolled devices get them from the hub)", cmdCentre},
	"centres":    {"the reception centres: beds, residents, referrals and free places per section, as last known here", cmdCentres},
	"refer":      {"refer people (a family together) to a reception centre whose section fits them", cmdRefer},
	"transfer":   {"move residents on to another reception centre", cmdTransfer},
	"checkin":    {"check a person in at a reception centre, by registration ID or receipt text", cmdCheckIn},
	"absent":     {"record that a resident is temporarily away (the bed is held)", cmdAbsent},
	"checkout":   {"check a resident out (or close a referral that never arrived), with the reason", cmdCheckOut},
	"residents":  {"who a reception centre expects and houses, with who did not arrive or is absent too long", cmdResidents},
	"stats":      {"the figures of a period (--from, --to, --by, --format json|csv): registrations by nationality, sex, age group, category, station (supervisor)", cmdStats},
	"elsewhere":  {"ask the regional joint database whether a record's person was registered in another country", cmdElsewhere},
}

// IsCommand reports whether name is a subcommand (main decides CLI vs window).
func IsCommand(name string) bool {
	_, ok := commands[name]
	return ok || name == "help" || name == "-h" || name == "--help" || isVersion(name)
}

// isVersion reports whether name asks for the version.
func isVersion(name string) bool {
	return name == "version" || name == "--version" || name == "-version"
}

// Run executes args (without the program name) and returns the exit status:
// 0 success, 1 failure, 2 usage error.
func Run(env *Env, args []string) int {
	if len(args) == 0 {
		usage(env.Stderr)
		return 2
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout) // asked for: not an error
		return 0
	}
	if isVersion(args[0]) {
		if len(args) > 1 {
			fmt.Fprintf(env.Stderr, "fieldreg: %s takes no arguments\n", args[0])
			return 2
		}
		fmt.Fprintln(env.Stdout, "fieldreg", version.String(wire.Version))
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "fieldreg: unknown command %q\n", args[0])
		usage(env.Stderr)
		return 2
	}
	return c.run(env, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: fieldreg                 open the app")
	fmt.Fprintln(w, "       fieldreg COMMAND [flags] run headless")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "  %-9s %s\n", "version", "print the version, the commit it was built from and the sync protocol")
	fmt.Fprintln(w, "Run 'fieldreg COMMAND -h' for its flags.")
}

// flags makes a flag set that prints errors to env.Stderr.
func flags(env *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("fieldreg "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// parseFlags parses args; stop says the command ends here, with rc: 0 after
// -h (the flags were printed, as asked), 2 after a flag error.
func parseFlags(fs *flag.FlagSet, args []string) (rc int, stop bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, true
		}
		return 2, true
	}
	return 0, false
}

// common flags of commands that unlock the device.
type unlockFlags struct {
	data, passFile, officer string
}

func (u *unlockFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&u.data, "data", device.DefaultDir(), "data directory")
	fs.StringVar(&u.passFile, "passphrase-file", "", "file holding the officer's passphrase (asked on the terminal when absent)")
	fs.StringVar(&u.officer, "officer", "", "officer name (default: the device's first supervisor)")
}

// unlockedRun is one run of a subcommand that works in an unlocked session
// (the counterpart of reghub's run): its flag set, with the unlock flags
// (--data, --passphrase-file, --officer) registered, and the session it
// opens.
type unlockedRun struct {
	env  *Env
	fs   *flag.FlagSet
	u    unlockFlags
	done func()
}

// newRun starts the subcommand name; the caller adds its own flags to the
// flag set returned.
func newRun(env *Env, name string) (*unlockedRun, *flag.FlagSet) {
	r := &unlockedRun{env: env, fs: flags(env, name)}
	r.u.register(r.fs)
	return r, r.fs
}

// parse parses args; stop says the command ends here, with rc: 0 after -h,
// 2 after a flag error, or 2 when wrong (if given) says the arguments are
// wrong, after printing usage (the flags if usage is "").
func (r *unlockedRun) parse(args []string, wrong func() bool, usage string) (rc int, stop bool) {
	if rc, stop := parseFlags(r.fs, args); stop {
		return rc, stop
	}
	if wrong != nil && wrong() {
		if usage == "" {
			r.fs.Usage()
		} else {
			fmt.Fprintln(r.env.Stderr, usage)
		}
		return 2, true
	}
	return 0, false
}

// open opens the device and unlocks it as the officer the flags name (or
// the default one); close ends the session.
func (r *unlockedRun) open() (*device.Session, error) {
	s, done, err := openSession(r.env, &r.u)
	if err == nil {
		r.done = done
	}
	return s, err
}

// close locks the session open opened, if any, and closes the device.
func (r *unlockedRun) close() {
	if r.done != nil {
		r.done()
		r.done = nil
	}
}

// readPassphrase reads the passphrase from file, or asks on the terminal. A
// passphrase is never taken from a flag value (it would show in ps and shell
// history).
func readPassphrase(env *Env, file, prompt string) ([]byte, error) {
	if file != "" {
		b, err := safefile.ReadFile(file, "the passphrase file", vault.MaxPassphraseFile)
		if err != nil {
			return nil, err
		}
		return passphraseLine(b), nil
	}
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(env.Stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		return b, err
	}
	return nil, errors.New("no terminal to ask the passphrase on: use --passphrase-file FILE")
}

// passphraseLine is the passphrase in a file's bytes: without the line
// break at its end (LF, or CRLF as Windows editors write it) and without
// the byte order mark Notepad may put before UTF-8 text.
func passphraseLine(b []byte) []byte {
	return bytes.TrimRight(bytes.TrimPrefix(b, []byte("\ufeff")), "\r\n")
}

// openSession opens the device and unlocks it as the named (or default) officer.
func openSession(env *Env, u *unlockFlags) (*device.Session, func(), error) {
	d, err := device.Open(u.data, env.Opts)
	if err != nil {
		return nil, nil, err
	}
	var o device.Officer
	if u.officer != "" {
		o, err = d.OfficerByName(u.officer)
	} else {
		o, err = d.DefaultOfficer()
	}
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	pass, err := readPassphrase(env, u.passFile, "Passphrase for "+o.Name+": ")
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	s, err := d.Unlock(o.ID, pass)
	wipe(pass)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return s, func() { s.Lock(); d.Close() }, nil
}

func wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}

// writeOutput writes an output file the one way every command does
// (safefile.Write): a new file, mode 0600, never written through a link,
// and over an existing file only with force.
func writeOutput(path string, force bool, b []byte) error {
	return outputErr(safefile.WriteBytes(path, safefile.Output{Force: force}, b))
}

// outputAbsent refuses an output path that exists, unless force.
func outputAbsent(path string, force bool) error {
	return outputErr(safefile.Absent(path, force))
}

func outputErr(err error) error {
	if errors.Is(err, safefile.ErrExists) {
		return fmt.Errorf("%w: nothing was written (--force replaces it)", err)
	}
	return err
}

// fail prints a plain error and returns status 1.
func fail(env *Env, err error) int {
	fmt.Fprintln(env.Stderr, "fieldreg:", err)
	return 1
}
