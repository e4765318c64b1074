// Package dashboard is the hub's read-only web dashboard for ministry
// analysts (reghub serve --dashboard ADDR): the statistics of package
// stats as tables and charts (stats/chart), filtered by period, station
// and category, with a CSV download. Analysts log in with the accounts
// made by `reghub operator add`.
//
// It shows counts only, never a single person's data: every page and
// answer is built from stats.Figures, which holds nothing else. Log-in is
// rate-limited per client address and per account name; sessions are
// signed cookies (Secure, HttpOnly, SameSite=Strict, __Host-) that end
// after Config.SessionTTL or when the account is removed; state-changing
// requests (log-in, log-out) are refused cross-origin and carry a token
// bound to a cookie; every answer has a strict Content-Security-Policy and
// is not cached. Nothing is loaded from elsewhere: styles and charts are
// served here.
package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// Accounts checks analysts' log-ins (hub.Hub implements it).
type Accounts interface {
	// CheckOperator returns the account's stamp, or an error for a wrong
	// name or passphrase (the same for both).
	CheckOperator(ctx context.Context, name string, passphrase []byte) ([]byte, error)
	// OperatorStamp is the account's current stamp; an error when it is
	// gone or altered.
	OperatorStamp(ctx context.Context, name string) ([]byte, error)
}

// Config sets up a dashboard.
type Config struct {
	Accounts   Accounts
	Source     Source
	SessionKey []byte // at least 32 bytes: signs session cookies (hub.DashboardSessionKey)
	Country    string // shown in the title
	// SessionTTL is how long a log-in lasts (DefaultSessionTTL when zero).
	SessionTTL time.Duration
	// LoginBurst log-in attempts at once per client address and per
	// account name, then one per LoginEvery (defaults 5 and 1 minute).
	LoginBurst int
	LoginEvery time.Duration
	Now        func() time.Time // time.Now when nil
	Logger     *slog.Logger     // discards when nil
}

// Defaults of Config.
const (
	DefaultSessionTTL = 8 * time.Hour
	DefaultLoginBurst = 5
	DefaultLoginEvery = time.Minute
	// concurrentChecks bounds the Argon2id checks running at once.
	concurrentChecks = 2
	maxFormBytes     = 8 << 10
)

// Server is the dashboard's HTTP handler.
type Server struct {
	cfg    Config
	limits *loginLimits
	mux    *http.ServeMux
	cop    *http.CrossOriginProtection
	tmpl   *template.Template
}

//go:embed assets
var assets embed.FS

// New makes a dashboard.
func New(cfg Config) (*Server, error) {
	if cfg.Accounts == nil || cfg.Source == nil {
		return nil, errors.New("dashboard: accounts and a source of figures are required")
	}
	if len(cfg.SessionKey) < 32 {
		return nil, errors.New("dashboard: the session key is shorter than 32 bytes")
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.LoginBurst <= 0 {
		cfg.LoginBurst = DefaultLoginBurst
	}
	if cfg.LoginEvery <= 0 {
		cfg.LoginEvery = DefaultLoginEvery
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	tmpl, err := template.New("").Funcs(funcs).ParseFS(assets, "assets/*.html")
	if err != nil {
		return nil, fmt.Errorf("dashboard: templates: %w", err)
	}
	s := &Server{cfg: cfg, limits: newLoginLimits(cfg.LoginBurst, cfg.LoginEvery, concurrentChecks, cfg.Now),
		mux: http.NewServeMux(), cop: http.NewCrossOriginProtection(), tmpl: tmpl}
	s.mux.HandleFunc("GET /login", s.loginPage)
	s.mux.HandleFunc("POST /login", s.login)
	s.mux.HandleFunc("POST /logout", s.logout)
	s.mux.HandleFunc("GET /style.css", s.style)
	s.mux.Handle("GET /{$}", s.authed(s.page))
	s.mux.Handle("GET /chart/{name}", s.authed(s.chart))
	s.mux.Handle("GET /figures.csv", s.authed(s.csv))
	s.mux.Handle("GET /figures.json", s.authed(s.json))
	return s, nil
}

// ServeHTTP answers with the security headers on every answer, and
// refuses cross-origin state changes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	h.Set("Strict-Transport-Security", "max-age=31536000")
	h.Set("Cache-Control", "no-store")
	s.cop.Handler(s.mux).ServeHTTP(w, r)
}

func (s *Server) authed(fn func(w http.ResponseWriter, r *http.Request, ses session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ses, err := s.session(r.Context(), r)
		if err != nil {
			if r.URL.Path == "/" {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			http.Error(w, "log in first", http.StatusUnauthorized)
			return
		}
		fn(w, r, ses)
	})
}

func (s *Server) style(w http.ResponseWriter, _ *http.Request) {
	b, _ := assets.ReadFile("assets/style.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Write(b)
}

type loginView struct {
	Country, Token, Message, Name string
}

// loginPage shows the form with a new token, set in a cookie too: the
// log-in is accepted only with both, so a page elsewhere cannot log a
// browser in to an account of its choosing.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.showLogin(w, http.StatusOK, "", "")
}

func (s *Server) showLogin(w http.ResponseWriter, status int, msg, name string) {
	tok := make([]byte, 24)
	rand.Read(tok)
	t := base64.RawURLEncoding.EncodeToString(tok)
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: t, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	s.render(w, status, "login.html", loginView{Country: s.cfg.Country, Token: t, Message: msg, Name: name})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.showLogin(w, http.StatusBadRequest, "The form could not be read. Try again.", "")
		return
	}
	c, err := r.Cookie(loginCookie)
	tok := r.PostForm.Get("token")
	if err != nil || tok == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(tok)) != 1 {
		s.showLogin(w, http.StatusForbidden, "The log-in form expired. Try again.", "")
		return
	}
	name, pass := r.PostForm.Get("name"), []byte(r.PostForm.Get("passphrase"))
	defer clear(pass)
	if len(name) > 64 {
		name = name[:64]
	}
	if ok, wait := s.limits.allow(clientAddr(r), name); !ok {
		secs := int(wait/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.cfg.Logger.Warn("dashboard log-in refused: too many attempts", "client", clientAddr(r))
		s.showLogin(w, http.StatusTooManyRequests, fmt.Sprintf("Too many attempts. Wait %d seconds, then try again.", secs), name)
		return
	}
	select {
	case s.limits.checks <- struct{}{}:
	case <-r.Context().Done():
		return
	}
	stamp, err := s.cfg.Accounts.CheckOperator(r.Context(), name, pass)
	<-s.limits.checks
	if err != nil {
		s.cfg.Logger.Info("dashboard log-in refused", "client", clientAddr(r))
		s.showLogin(w, http.StatusUnauthorized, "Wrong name or passphrase.", name)
		return
	}
	s.cfg.Logger.Info("dashboard log-in", "account", name, "client", clientAddr(r))
	s.newSession(w, name, stamp)
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/", Secure: true, HttpOnly: true, MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	endSession(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.tmpl.ExecuteTemplate(w, name, data); err != nil {
		s.cfg.Logger.Error("dashboard page", "page", name, "err", err)
	}
}
