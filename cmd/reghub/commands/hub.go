package commands

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/internal/version"
	"github.com/fieldreg/fieldreg/sync/hub"
	"github.com/fieldreg/fieldreg/sync/hubstore/pg"
	"github.com/fieldreg/fieldreg/sync/hubstore/sqlite"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// runRecoveryKey writes the authority's recovery key for `fieldreg
// recover`. Every device of the country wraps its key to it, so the file
// is created owner-only, never over another, and the operator is told to
// move it off the hub.
func runRecoveryKey(args []string, stdout, stderr io.Writer) int {
	var c common
	fs := flags("recovery-key", stderr, &c)
	out := fs.String("out", "", "new file to write the key to (created 0600, never overwritten; required)")
	if rc := parse(fs, args, &c); rc >= 0 {
		return rc
	}
	if *out == "" {
		fmt.Fprintln(stderr, "reghub recovery-key: --out is required")
		return 2
	}
	if err := safefile.Absent(*out, false); err != nil {
		return fail(stderr, "recovery-key", fmt.Errorf("%w: choose another file (nothing was written)", err))
	}
	h, err := open(&c, stderr, hub.Options{})
	if err != nil {
		return fail(stderr, "recovery-key", err)
	}
	defer h.Close()
	key := []byte(h.RecoveryKey() + "\n")
	defer clear(key)
	if err := writeNew(*out, key); err != nil {
		return fail(stderr, "recovery-key", err)
	}
	fmt.Fprintf(stdout, "recovery key written to %s. It opens every device of %s: carry it to the device (fieldreg recover --recovery-key FILE ...), then destroy the copy.\n", *out, h.Country())
	return 0
}

// runMigrate copies the SQLite hub of --data into PostgreSQL.
func runMigrate(args []string, stdout, stderr io.Writer) int {
	var c common
	fs := flags("migrate", stderr, &c)
	to := fs.String("to", "", "the PostgreSQL database to move the hub's data to: postgres://USER@HOST:PORT/DB?sslmode=verify-full (required; empty, or holding an earlier interrupted copy of this hub)")
	if rc := parse(fs, args, &c); rc >= 0 {
		return rc
	}
	if *to == "" {
		fmt.Fprintln(stderr, "reghub migrate: --to is required")
		return 2
	}
	ctx, stop := interruptible()
	defer stop()
	rep, err := hub.MigrateToPostgres(ctx, c.data, *to)
	if err != nil {
		return fail(stderr, "migrate", fmt.Errorf("%w (run it again to resume; the hub still runs on SQLite until it succeeds)", err))
	}
	fmt.Fprintf(stdout, "copied and verified: %d events, %d devices, %d quarantined, %d remarks, %d regional entries, %d settings\n",
		rep.Events, rep.Credentials, rep.Quarantined, rep.Flags, rep.Entries, rep.Settings)
	fmt.Fprintf(stdout, "%s now uses PostgreSQL at %s; %s is no longer read: keep it as a backup, then delete it\n", c.data, pg.Redact(*to), sqlite.FileName)
	return 0
}

type common struct {
	data, passFile, kdf string
}

func flags(name string, stderr io.Writer, c *common) *flag.FlagSet {
	fs := flag.NewFlagSet("reghub "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.data, "data", "", "hub data directory (required)")
	fs.StringVar(&c.passFile, "passphrase-file", "", "file holding the hub passphrase (asked on the terminal when absent)")
	return fs
}

func (c *common) params() (*vault.Params, error) {
	switch c.kdf {
	case "", "default":
		p := vault.DefaultParams
		return &p, nil
	case "low":
		p := vault.LowParams
		return &p, nil
	}
	return nil, fmt.Errorf("--kdf must be default or low")
}

func (c *common) passphrase(stderr io.Writer) ([]byte, error) {
	if c.passFile != "" {
		b, err := safefile.ReadFile(c.passFile, "the passphrase file", vault.MaxPassphraseFile)
		if err != nil {
			return nil, err
		}
		return bytes.TrimRight(b, "\r\n"), nil
	}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		fmt.Fprint(stderr, "Hub passphrase: ")
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(stderr)
		return b, err
	}
	return nil, errors.New("no terminal to ask the passphrase on: use --passphrase-file FILE")
}

func parse(fs *flag.FlagSet, args []string, c *common) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if c.data == "" || fs.NArg() != 0 {
		fmt.Fprintf(fs.Output(), "%s: --data is required and no other arguments are taken\n", fs.Name())
		return 2
	}
	return -1
}

func fail(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "reghub %s: %v\n", name, err)
	return 1
}

func open(c *common, stderr io.Writer, opts hub.Options) (*hub.Hub, error) {
	pass, err := c.passphrase(stderr)
	if err != nil {
		return nil, err
	}
	defer clear(pass)
	p, err := c.params()
	if err != nil {
		return nil, err
	}
	opts.Params = p
	if opts.Logger == nil {
		opts.Logger = warnings(stderr)
	}
	return hub.Open(c.data, pass, opts)
}

// warnings is the logger of one-shot commands: warnings (an event refused
// and why, a record not sent upstream, a revoked device's bundle accepted)
// go to the operator as text. They name IDs and reasons, never personal
// data.
func warnings(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func runInit(args []string, stdout, stderr io.Writer) int {
	var c common
	fs := flags("init", stderr, &c)
	country := fs.String("country", "", "ISO 3166-1 alpha-3 country code, e.g. BIH (required, unless --region)")
	region := fs.String("region", "", "create the regional joint database instead, with this three-letter region code (e.g. WBR)")
	url := fs.String("url", "https://localhost:8443", "address devices reach the hub at (goes into enrolment packages)")
	hosts := fs.String("hosts", "", "more comma-separated names or addresses for the hub's certificate")
	db := fs.String("db", "", "keep the hub's data in this PostgreSQL database (postgres://USER@HOST:PORT/DB?sslmode=verify-full); the keys stay sealed in --data. Default: everything in --data (SQLite)")
	fs.StringVar(&c.kdf, "kdf", "default", "Argon2id cost for the passphrase: default (64 MiB) or low (19 MiB; weak machines, tests)")
	if rc := parse(fs, args, &c); rc >= 0 {
		return rc
	}
	if (*country == "") == (*region == "") {
		fmt.Fprintln(stderr, "reghub init: exactly one of --country and --region is required")
		return 2
	}
	if *region != "" {
		*country = *region
	}
	p, err := c.params()
	if err != nil {
		return fail(stderr, "init", err)
	}
	pass, err := c.passphrase(stderr)
	if err != nil {
		return fail(stderr, "init", err)
	}
	defer clear(pass)
	var hs []string
	for _, h := range strings.Split(*hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hs = append(hs, h)
		}
	}
	if err := hub.Init(c.data, hub.InitConfig{Country: strings.ToUpper(*country), Passphrase: pass, Hosts: hs, URL: *url, Region: *region != "", DB: *db}, hub.Options{Params: p}); err != nil {
		return fail(stderr, "init", err)
	}
	if *db != "" {
		fmt.Fprintf(stdout, "data in PostgreSQL at %s; keys sealed in %s (copy that directory to start more servers on the same database)\n", pg.Redact(*db), c.data)
	}
	if *region != "" {
		fmt.Fprintf(stdout, "regional hub %s created in %s; country hubs will reach it at %s\n", strings.ToUpper(*country), c.data, *url)
		return 0
	}
	fmt.Fprintf(stdout, "hub for %s created in %s; devices will reach it at %s\n", strings.ToUpper(*country), c.data, *url)
	return 0
}

func runEnrol(args []string, stdout, stderr io.Writer) int {
	var c common
	fs := flags("enrol", stderr, &c)
	name := fs.String("device", "", "device name (required)")
	station := fs.String("station", "", "station or crossing point code (required)")
	out := fs.String("out", "", "enrolment file to write (required)")
	url := fs.String("hub-url", "", "address the device reaches the hub at (default: the one given at init)")
	scope := fs.String("scope", "all", "events the device receives: all, or station (its station's only)")
	fs.StringVar(&c.kdf, "kdf", "default", "Argon2id cost for the code: default or low (tests)")
	if rc := parse(fs, args, &c); rc >= 0 {
		return rc
	}
	if *name == "" || *station == "" || *out == "" {
		fmt.Fprintln(stderr, "reghub enrol: --device, --station and --out are required")
		return 2
	}
	if err := notThere(*out); err != nil {
		return fail(stderr, "enrol", err)
	}
	h, err := open(&c, stderr, hub.Options{})
	if err != nil {
		return fail(stderr, "enrol", err)
	}
	defer h.Close()
	e, err := h.Enrol(hub.EnrolConfig{Name: *name, Station: *station, HubURL: *url, Scope: *scope})
	if err != nil {
		return fail(stderr, "enrol", err)
	}
	if err := writeNew(*out, e.File); err != nil {
		return fail(stderr, "enrol", fmt.Errorf("the device was enrolled but its file could not be written: %w; revoke %s and enrol again", err, e.DeviceID))
	}
	fmt.Fprintf(stdout, "device %s enrolled; package written to %s\n", e.DeviceID, *out)
	fmt.Fprintf(stdout, "enrolment code (tell the officer; do not send it with the file): %s\n", e.Code)
	return 0
}

func runRevoke(args []string, stdout, stderr io.Writer) int {
	var c common
	fs := flags("revoke", stderr, &c)
	name := fs.String("device", "", "device name or ID (required)")
	if rc := parse(fs, args, &c); rc >= 0 {
		return rc
	}
	if *name == "" {
		fmt.Fprintln(stderr, "reghub revoke: --device is required")
		return 2
	}
	h, err := open(&c, stderr, hub.Options{})
	if err != nil {
		return fail(stderr, "revoke", err)
	}
	defer h.Close()
	id, err := h.Revoke(*name)
	if err != nil {
		return fail(stderr, "revoke", err)
	}
	fmt.Fprintf(stdout, "device %s revoked; the hub refuses it from now on\n", id)
	return 0
}

func runServe(args []string, stdout, stderr io.Writer) int {
	var c common
	fs := flags("serve", stderr, &c)
	addr := fs.String("addr", "127.0.0.1:8443", "HOST:PORT to listen on")
	addrFile := fs.String("addr-file", "", "write the address actually listened on to this file (for --addr with port 0)")
	format := fs.String("log-format", "json", "log format: json or text")
	upstream := fs.String("upstream", "", "country hub: push index entries to the regional hub (URL, or \"package\" for the one in the federation package)")
	pushEvery := fs.Duration("push-every", time.Minute, "with --upstream: how often to push new and changed records")
	qBurst := fs.Int("question-burst", 0, "\"registered elsewhere?\" questions one device (at a region: one country hub) may ask at once (default 300; region 5000)")
	qHour := fs.Int("questions-per-hour", 0, "then this many per hour (default 300; region 72000)")
	var dash dashboardFlags
	dash.register(fs)
	if rc := parse(fs, args, &c); rc >= 0 {
		return rc
	}
	if err := dash.check(); err != nil {
		fmt.Fprintf(stderr, "reghub serve: %v\n", err)
		return 2
	}
	everySet := false
	fs.Visit(func(f *flag.Flag) { everySet = everySet || f.Name == "push-every" })
	switch {
	case everySet && *upstream == "":
		fmt.Fprintln(stderr, "reghub serve: --push-every needs --upstream package|URL")
		return 2
	case *upstream != "" && *pushEvery < time.Second:
		fmt.Fprintf(stderr, "reghub serve: --push-every must be at least 1s, got %v\n", *pushEvery)
		return 2
	case *qBurst < 0 || *qHour < 0:
		fmt.Fprintln(stderr, "reghub serve: --question-burst and --questions-per-hour cannot be negative")
		return 2
	}
	var handler slog.Handler = slog.NewJSONHandler(stderr, nil)
	if *format == "text" {
		handler = slog.NewTextHandler(stderr, nil)
	}
	log := slog.New(handler)
	log.Info("starting", "version", version.Version(), "commit", version.Commit(), "protocol", wire.Version)
	h, err := open(&c, stderr, hub.Options{Logger: log, Questions: hub.QuestionLimit{Burst: *qBurst, PerHour: *qHour}})
	if err != nil {
		return fail(stderr, "serve", err)
	}
	defer h.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(stderr, "serve", err)
	}
	if *addrFile != "" {
		// Replaced at each start (Force), never written through a link.
		if err := safefile.WriteBytes(*addrFile, safefile.Output{Force: true}, []byte(ln.Addr().String())); err != nil {
			ln.Close()
			return fail(stderr, "serve", fmt.Errorf("cannot write %s", *addrFile))
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if *upstream != "" {
		if region, _, _ := h.Federation(); region == "" {
			ln.Close()
			return fail(stderr, "serve", hub.ErrNotFederated)
		}
		if *upstream != "package" {
			h.SetUpstream(*upstream)
		}
		pushed := make(chan struct{})
		go func() { h.RunUpstream(ctx, *pushEvery); close(pushed) }()
		// Before h.Close; stop first, or a server that failed on its own
		// (not by a signal) would wait here for ever.
		defer func() { stop(); <-pushed }()
	}
	waitDash, err := dash.serve(ctx, h, log)
	if err != nil {
		ln.Close()
		return fail(stderr, "serve", err)
	}
	// Before h.Close; stop first, or a hub server that failed on its own
	// would wait here for the dashboard for ever.
	defer func() {
		stop()
		if err := waitDash(); err != nil {
			log.Error("dashboard", "err", err)
		}
	}()
	log.Info("listening", "addr", ln.Addr().String(), "country", h.Country(), "region", h.IsRegion())
	if err := h.Serve(ctx, ln); err != nil {
		return fail(stderr, "serve", err)
	}
	log.Info("stopped")
	return 0
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func runStatus(args []string, stdout, stderr io.Writer) int {
	ctx, stop := interruptible()
	defer stop()
	var c common
	fs := flags("status", stderr, &c)
	if rc := parse(fs, args, &c); rc >= 0 {
		return rc
	}
	h, err := open(&c, stderr, hub.Options{})
	if err != nil {
		return fail(stderr, "status", err)
	}
	defer h.Close()
	s, err := h.Status(ctx)
	if err != nil {
		return fail(stderr, "status", err)
	}
	fmt.Fprintf(stdout, "store       %s\n", h.Backend())
	fmt.Fprintf(stdout, "hub         %s at %s\nevents      %d in %d logs\nrecords     %d\nconflicts   %d records wait for a supervisor\nquarantined %d\nfuture      %d events stamped more than a day ahead\ndevices     %d\n",
		s.Country, s.URL, s.Events, s.Logs, s.Records, s.Conflicts, len(s.Quarantined), s.Future, len(s.Devices))
	for _, d := range s.Devices {
		state := "last sync " + when(d.LastSync)
		if !d.RevokedAt.IsZero() {
			state += ", revoked " + when(d.RevokedAt)
		}
		fmt.Fprintf(stdout, "  %-16s %-20s %-20s scope %-7s %s\n", d.ID, d.Name, d.Station, d.Scope, state)
	}
	for _, q := range s.Quarantined {
		fmt.Fprintf(stdout, "  quarantined %s (record %s): %s\n", q.Event, q.Record, q.Reason)
	}
	fs2, err := h.FederationStatus(ctx)
	if err != nil {
		return fail(stderr, "status", err)
	}
	switch fs2.Role {
	case hub.RoleRegion:
		fmt.Fprintf(stdout, "region      %d country hubs admitted\n", len(fs2.Countries))
		for _, c := range fs2.Countries {
			state := ""
			if c.Revoked {
				state = ", revoked"
			}
			fmt.Fprintf(stdout, "  %-4s %-16s sharing %-5s %d records, %d data sets%s\n", c.Country, c.Client, c.Sharing, c.Records, c.DataSets, state)
		}
	case "country":
		fmt.Fprintf(stdout, "federation  region %s at %s, sharing %s; %d records to push\n", fs2.Region, fs2.URL, fs2.Sharing, fs2.Unpushed)
	default:
		fmt.Fprintln(stdout, "federation  not joined")
	}
	return 0
}
