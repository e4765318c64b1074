package commands

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/fieldreg/fieldreg/dashboard"
	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/sync/hub"
)

// dashboardFlags are serve's flags for the analysts' web dashboard.
type dashboardFlags struct {
	addr, addrFile, cert, key string
	session                   time.Duration
}

func (d *dashboardFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.addr, "dashboard", "", "also serve the read-only statistics dashboard for analysts on this HOST:PORT (HTTPS; accounts: reghub operator add)")
	fs.StringVar(&d.addrFile, "dashboard-addr-file", "", "write the dashboard's address actually listened on to this file (for --dashboard with port 0)")
	fs.StringVar(&d.cert, "dashboard-cert", "", "PEM certificate (chain) for the dashboard, e.g. from the ministry's CA (default: the hub's own dashboard certificate)")
	fs.StringVar(&d.key, "dashboard-key", "", "PEM private key of --dashboard-cert")
	fs.DurationVar(&d.session, "dashboard-session", dashboard.DefaultSessionTTL, "how long an analyst's log-in lasts")
}

func (d *dashboardFlags) check() error {
	switch {
	case d.addr == "" && (d.addrFile != "" || d.cert != "" || d.key != ""):
		return errors.New("--dashboard-addr-file, --dashboard-cert and --dashboard-key need --dashboard ADDR")
	case (d.cert == "") != (d.key == ""):
		return errors.New("--dashboard-cert and --dashboard-key go together")
	case d.session < time.Minute || d.session > 7*24*time.Hour:
		return fmt.Errorf("--dashboard-session must be between 1m and 168h, got %v", d.session)
	}
	return nil
}

// certificate is the dashboard's: the one given, or the hub's own.
func (d *dashboardFlags) certificate(ctx context.Context, h *hub.Hub, log *slog.Logger) (tls.Certificate, error) {
	if d.cert != "" {
		c, err := tls.LoadX509KeyPair(d.cert, d.key)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("dashboard certificate: %w", err)
		}
		return c, nil
	}
	c, fp, err := h.DashboardCertificate(ctx)
	if err != nil {
		return tls.Certificate{}, err
	}
	log.Info("dashboard certificate: the hub's own, self-signed; analysts check its fingerprint the first time", "sha256", fp)
	return c, nil
}

// serveDashboard listens on the dashboard's address and serves it in the
// background until ctx is done; the returned function waits for it to
// stop. Nothing is served when the flags name no address.
func (d *dashboardFlags) serve(ctx context.Context, h *hub.Hub, log *slog.Logger) (wait func() error, err error) {
	if d.addr == "" {
		return func() error { return nil }, nil
	}
	if h.IsRegion() {
		return nil, errors.New("the dashboard shows a country hub's figures: --dashboard is not served by a regional hub")
	}
	cert, err := d.certificate(ctx, h, log)
	if err != nil {
		return nil, err
	}
	dash, err := dashboard.New(dashboard.Config{Accounts: h, Source: h.Stats, SessionKey: h.DashboardSessionKey(),
		Country: h.Country(), SessionTTL: d.session, Logger: log})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", d.addr)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	if d.addrFile != "" {
		if err := safefile.WriteBytes(d.addrFile, safefile.Output{Force: true}, []byte(ln.Addr().String())); err != nil {
			ln.Close()
			return nil, fmt.Errorf("cannot write %s", d.addrFile)
		}
	}
	srv := &http.Server{
		Handler:           dash,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	log.Info("dashboard listening", "addr", ln.Addr().String())
	stopped := make(chan error, 1)
	go func() {
		select {
		case err := <-done:
			stopped <- err
			return
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := srv.Shutdown(sctx)
		if e := <-done; !errors.Is(e, http.ErrServerClosed) && err == nil {
			err = e
		}
		stopped <- err
	}()
	return func() error { return <-stopped }, nil
}
