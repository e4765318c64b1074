package commands

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/sync/hub"
)

// run is one invocation of a command on a hub: its flags (--data and
// --passphrase-file for all, and the command's own), its output, and,
// once the hub is open, the context that Ctrl-C or SIGTERM cancels.
type run struct {
	fs             *flag.FlagSet
	stdout, stderr io.Writer
	data, passFile string
	kdf            string // --kdf, for the commands that take it
	h              *hub.Hub
	stop           context.CancelFunc
}

// newRun starts a command's flags with the ones every hub command takes.
func newRun(name string, stdout, stderr io.Writer) *run {
	r := &run{stdout: stdout, stderr: stderr, fs: flag.NewFlagSet("reghub "+name, flag.ContinueOnError)}
	r.fs.SetOutput(stderr)
	r.fs.StringVar(&r.data, "data", "", "hub data directory (required)")
	r.fs.StringVar(&r.passFile, "passphrase-file", "", "file holding the hub passphrase (asked on the terminal when absent)")
	return r
}

// kdfFlag adds --kdf, described by usage.
func (r *run) kdfFlag(usage string) { r.fs.StringVar(&r.kdf, "kdf", "default", usage) }

// parse parses args, which must leave nargs arguments; it returns the exit
// status to stop with (0 for -h, 2 for a usage error), or -1 to go on.
func (r *run) parse(args []string, nargs int, what string) int {
	if err := r.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if r.data == "" || r.fs.NArg() != nargs {
		if what == "" {
			what = "no other arguments are taken"
		}
		fmt.Fprintf(r.stderr, "%s: --data is required and %s\n", r.fs.Name(), what)
		return 2
	}
	return -1
}

// usage says what is wrong with the flags and returns the usage status.
func (r *run) usage(msg string) int {
	fmt.Fprintf(r.stderr, "%s: %s\n", r.fs.Name(), msg)
	return 2
}

// fail says why the command failed and returns the failure status.
func (r *run) fail(err error) int {
	fmt.Fprintf(r.stderr, "%s: %v\n", r.fs.Name(), err)
	return 1
}

// params are the Argon2id parameters --kdf names.
func (r *run) params() (*vault.Params, error) {
	switch r.kdf {
	case "", "default":
		p := vault.DefaultParams
		return &p, nil
	case "low":
		p := vault.LowParams
		return &p, nil
	}
	return nil, fmt.Errorf("--kdf must be default or low")
}

// passphrase reads the hub passphrase from --passphrase-file, else from
// the terminal.
func (r *run) passphrase() ([]byte, error) {
	if r.passFile != "" {
		b, err := safefile.ReadFile(r.passFile, "the passphrase file", vault.MaxPassphraseFile)
		if err != nil {
			return nil, err
		}
		return bytes.TrimRight(b, "\r\n"), nil
	}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		fmt.Fprint(r.stderr, "Hub passphrase: ")
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(r.stderr)
		return b, err
	}
	return nil, errors.New("no terminal to ask the passphrase on: use --passphrase-file FILE")
}

// interruptible is the context of the command's work from now on: Ctrl-C
// or SIGTERM cancels it (what is done so far stays done: every step is a
// transaction). It is taken after the passphrase was asked, so Ctrl-C at
// the prompt still ends the process at once. close stops it.
func (r *run) interruptible() context.Context {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	r.stop = stop
	return ctx
}

// open asks the passphrase and opens the hub with opts; close closes it.
func (r *run) open(opts hub.Options) (context.Context, *hub.Hub, error) {
	pass, err := r.passphrase()
	if err != nil {
		return nil, nil, err
	}
	defer clear(pass)
	if opts.Params, err = r.params(); err != nil {
		return nil, nil, err
	}
	if opts.Logger == nil {
		opts.Logger = warnings(r.stderr)
	}
	ctx := r.interruptible()
	if r.h, err = hub.Open(ctx, r.data, pass, opts); err != nil {
		return nil, nil, err
	}
	return ctx, r.h, nil
}

// close closes the hub and stops catching signals.
func (r *run) close() {
	if r.h != nil {
		r.h.Close()
	}
	if r.stop != nil {
		r.stop()
	}
}

// warnings is the logger of one-shot commands: warnings (an event refused
// and why, a record not sent upstream, a revoked device's bundle accepted)
// go to the operator as text. They name IDs and reasons, never personal
// data.
func warnings(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
