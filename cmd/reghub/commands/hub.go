package commands

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

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
	r := newRun("recovery-key", stdout, stderr)
	out := r.fs.String("out", "", "new file to write the key to (created 0600, never overwritten; required)")
	if rc := r.parse(args, 0, ""); rc >= 0 {
		return rc
	}
	if *out == "" {
		return r.usage("--out is required")
	}
	if err := safefile.Absent(*out, false); err != nil {
		return r.fail(fmt.Errorf("%w: choose another file (nothing was written)", err))
	}
	_, h, err := r.open(hub.Options{})
	defer r.close()
	if err != nil {
		return r.fail(err)
	}
	key := []byte(h.RecoveryKey() + "\n")
	defer clear(key)
	if err := writeNew(*out, key); err != nil {
		return r.fail(err)
	}
	fmt.Fprintf(stdout, "recovery key written to %s. It opens every device of %s: carry it to the device (fieldreg recover --recovery-key FILE ...), then destroy the copy.\n", *out, h.Country())
	return 0
}

// runMigrate copies the SQLite hub of --data into PostgreSQL.
func runMigrate(args []string, stdout, stderr io.Writer) int {
	r := newRun("migrate", stdout, stderr)
	to := r.fs.String("to", "", "the PostgreSQL database to move the hub's data to: postgres://USER@HOST:PORT/DB?sslmode=verify-full (required; empty, or holding an earlier interrupted copy of this hub)")
	if rc := r.parse(args, 0, ""); rc >= 0 {
		return rc
	}
	if *to == "" {
		return r.usage("--to is required")
	}
	ctx := r.interruptible()
	defer r.close()
	rep, err := hub.MigrateToPostgres(ctx, r.data, *to)
	if err != nil {
		return r.fail(fmt.Errorf("%w (run it again to resume; the hub still runs on SQLite until it succeeds)", err))
	}
	fmt.Fprintf(stdout, "copied and verified: %d events, %d devices, %d quarantined, %d remarks, %d regional entries, %d settings\n",
		rep.Events, rep.Credentials, rep.Quarantined, rep.Flags, rep.Entries, rep.Settings)
	fmt.Fprintf(stdout, "%s now uses PostgreSQL at %s; %s is no longer read: keep it as a backup, then delete it\n", r.data, pg.Redact(*to), sqlite.FileName)
	return 0
}

func runInit(args []string, stdout, stderr io.Writer) int {
	r := newRun("init", stdout, stderr)
	fs := r.fs
	country := fs.String("country", "", "ISO 3166-1 alpha-3 country code, e.g. BIH (required, unless --region)")
	region := fs.String("region", "", "create the regional joint database instead, with this three-letter region code (e.g. WBR)")
	url := fs.String("url", "https://localhost:8443", "address devices reach the hub at (goes into enrolment packages)")
	hosts := fs.String("hosts", "", "more comma-separated names or addresses for the hub's certificate")
	db := fs.String("db", "", "keep the hub's data in this PostgreSQL database (postgres://USER@HOST:PORT/DB?sslmode=verify-full); the keys stay sealed in --data. Default: everything in --data (SQLite)")
	r.kdfFlag("Argon2id cost for the passphrase: default (64 MiB) or low (19 MiB; weak machines, tests)")
	if rc := r.parse(args, 0, ""); rc >= 0 {
		return rc
	}
	if (*country == "") == (*region == "") {
		return r.usage("exactly one of --country and --region is required")
	}
	if *region != "" {
		*country = *region
	}
	p, err := r.params()
	if err != nil {
		return r.fail(err)
	}
	pass, err := r.passphrase()
	if err != nil {
		return r.fail(err)
	}
	defer clear(pass)
	ctx := r.interruptible()
	defer r.close()
	var hs []string
	for _, h := range strings.Split(*hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hs = append(hs, h)
		}
	}
	if err := hub.Init(ctx, r.data, hub.InitConfig{Country: strings.ToUpper(*country), Passphrase: pass, Hosts: hs, URL: *url, Region: *region != "", DB: *db}, hub.Options{Params: p}); err != nil {
		return r.fail(err)
	}
	if *db != "" {
		fmt.Fprintf(stdout, "data in PostgreSQL at %s; keys sealed in %s (copy that directory to start more servers on the same database)\n", pg.Redact(*db), r.data)
	}
	if *region != "" {
		fmt.Fprintf(stdout, "regional hub %s created in %s; country hubs will reach it at %s\n", strings.ToUpper(*country), r.data, *url)
		return 0
	}
	fmt.Fprintf(stdout, "hub for %s created in %s; devices will reach it at %s\n", strings.ToUpper(*country), r.data, *url)
	return 0
}

func runEnrol(args []string, stdout, stderr io.Writer) int {
	r := newRun("enrol", stdout, stderr)
	fs := r.fs
	name := fs.String("device", "", "device name (required)")
	station := fs.String("station", "", "station or crossing point code (required)")
	out := fs.String("out", "", "enrolment file to write (required)")
	url := fs.String("hub-url", "", "address the device reaches the hub at (default: the one given at init)")
	scope := fs.String("scope", "all", "events the device receives: all, or station (its station's only)")
	r.kdfFlag("Argon2id cost for the code: default or low (tests)")
	if rc := r.parse(args, 0, ""); rc >= 0 {
		return rc
	}
	if *name == "" || *station == "" || *out == "" {
		return r.usage("--device, --station and --out are required")
	}
	if err := notThere(*out); err != nil {
		return r.fail(err)
	}
	ctx, h, err := r.open(hub.Options{})
	defer r.close()
	if err != nil {
		return r.fail(err)
	}
	e, err := h.Enrol(ctx, hub.EnrolConfig{Name: *name, Station: *station, HubURL: *url, Scope: *scope})
	if err != nil {
		return r.fail(err)
	}
	if err := writeNew(*out, e.File); err != nil {
		return r.fail(fmt.Errorf("the device was enrolled but its file could not be written: %w; revoke %s and enrol again", err, e.DeviceID))
	}
	fmt.Fprintf(stdout, "device %s enrolled; package written to %s\n", e.DeviceID, *out)
	fmt.Fprintf(stdout, "enrolment code (tell the officer; do not send it with the file): %s\n", e.Code)
	return 0
}

func runRevoke(args []string, stdout, stderr io.Writer) int {
	r := newRun("revoke", stdout, stderr)
	name := r.fs.String("device", "", "device name or ID (required)")
	if rc := r.parse(args, 0, ""); rc >= 0 {
		return rc
	}
	if *name == "" {
		return r.usage("--device is required")
	}
	ctx, h, err := r.open(hub.Options{})
	defer r.close()
	if err != nil {
		return r.fail(err)
	}
	id, err := h.Revoke(ctx, *name)
	if err != nil {
		return r.fail(err)
	}
	fmt.Fprintf(stdout, "device %s revoked; the hub refuses it from now on\n", id)
	return 0
}

func runServe(args []string, stdout, stderr io.Writer) int {
	r := newRun("serve", stdout, stderr)
	fs := r.fs
	addr := fs.String("addr", "127.0.0.1:8443", "HOST:PORT to listen on")
	addrFile := fs.String("addr-file", "", "write the address actually listened on to this file (for --addr with port 0)")
	format := fs.String("log-format", "json", "log format: json or text")
	upstream := fs.String("upstream", "", "country hub: push index entries to the regional hub (URL, or \"package\" for the one in the federation package)")
	pushEvery := fs.Duration("push-every", time.Minute, "with --upstream: how often to push new and changed records")
	qBurst := fs.Int("question-burst", 0, "\"registered elsewhere?\" questions one device (at a region: one country hub) may ask at once (default 300; region 5000)")
	qHour := fs.Int("questions-per-hour", 0, "then this many per hour (default 300; region 72000)")
	var dash dashboardFlags
	dash.register(fs)
	if rc := r.parse(args, 0, ""); rc >= 0 {
		return rc
	}
	if err := dash.check(); err != nil {
		return r.usage(err.Error())
	}
	everySet := false
	fs.Visit(func(f *flag.Flag) { everySet = everySet || f.Name == "push-every" })
	switch {
	case everySet && *upstream == "":
		return r.usage("--push-every needs --upstream package|URL")
	case *upstream != "" && *pushEvery < time.Second:
		return r.usage(fmt.Sprintf("--push-every must be at least 1s, got %v", *pushEvery))
	case *qBurst < 0 || *qHour < 0:
		return r.usage("--question-burst and --questions-per-hour cannot be negative")
	}
	var handler slog.Handler = slog.NewJSONHandler(stderr, nil)
	if *format == "text" {
		handler = slog.NewTextHandler(stderr, nil)
	}
	log := slog.New(handler)
	log.Info("starting", "version", version.Version(), "commit", version.Commit(), "protocol", wire.Version)
	ctx, h, err := r.open(hub.Options{Logger: log, Questions: hub.QuestionLimit{Burst: *qBurst, PerHour: *qHour}})
	defer r.close()
	if err != nil {
		return r.fail(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return r.fail(err)
	}
	if *addrFile != "" {
		// Replaced at each start (Force), never written through a link.
		if err := safefile.WriteBytes(*addrFile, safefile.Output{Force: true}, []byte(ln.Addr().String())); err != nil {
			ln.Close()
			return r.fail(fmt.Errorf("cannot write %s", *addrFile))
		}
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	if *upstream != "" {
		if region, _, _ := h.Federation(); region == "" {
			ln.Close()
			return r.fail(hub.ErrNotFederated)
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
	if !h.IsRegion() {
		swept := make(chan struct{})
		go func() { h.RunSweep(ctx, hub.SweepEvery); close(swept) }()
		defer func() { stop(); <-swept }()
	}
	waitDash, err := dash.serve(ctx, h, log)
	if err != nil {
		ln.Close()
		return r.fail(err)
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
		return r.fail(err)
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
	r := newRun("status", stdout, stderr)
	if rc := r.parse(args, 0, ""); rc >= 0 {
		return rc
	}
	ctx, h, err := r.open(hub.Options{})
	defer r.close()
	if err != nil {
		return r.fail(err)
	}
	s, err := h.Status(ctx)
	if err != nil {
		return r.fail(err)
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
		return r.fail(err)
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
