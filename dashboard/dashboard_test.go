package dashboard

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/stats"
)

var errLogin = errors.New("wrong name or passphrase")

// accounts is an in-memory Accounts: name -> passphrase.
type accounts struct {
	mu sync.Mutex
	m  map[string]string
}

func (a *accounts) CheckOperator(_ context.Context, name string, pass []byte) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if p, ok := a.m[name]; ok && p == string(pass) {
		s := sha256.Sum256([]byte(name + p))
		return s[:16], nil
	}
	return nil, errLogin
}

func (a *accounts) OperatorStamp(_ context.Context, name string) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if p, ok := a.m[name]; ok {
		s := sha256.Sum256([]byte(name + p))
		return s[:16], nil
	}
	return nil, errLogin
}

// source answers fixed figures, and remembers the last query.
type source struct {
	mu   sync.Mutex
	last stats.Query
}

func (s *source) figures(_ context.Context, q stats.Query) (*stats.Figures, error) {
	s.mu.Lock()
	s.last = q
	s.mu.Unlock()
	f := stats.New(q)
	f.Total = 57
	f.ByNationality = stats.Counts{"AFG": 30, "SYR": 20, "MAR": 7}
	f.BySex = stats.Counts{"F": 17, "M": 40}
	f.ByAgeGroup = stats.Counts{"0-4": 5, "18-34": 40, "35-59": 12}
	f.ByAgeAndSex = stats.Counts{"0-4/F": 2, "0-4/M": 3, "18-34/F": 10, "18-34/M": 30, "35-59/F": 5, "35-59/M": 7}
	f.ByCategory = stats.Counts{"international_protection": 21, "irregular_crossing": 36}
	f.ByStation = stats.Counts{"BIH-VK-01": 50, "BIH-IZ-02": 7}
	f.UnaccompaniedChildren = stats.Counts{"M": 6, "F": 1}
	f.Series = []stats.Point{{Period: "2026-W01", Total: 20}, {Period: "2026-W02", Total: 37}}
	f.YearEarlier = stats.Earlier{From: "2025-01-01", To: "2025-01-14", Total: 40, Series: []stats.Point{{Period: "2025-W01", Total: 15}, {Period: "2025-W02", Total: 25}}}
	ch := 42.5
	f.YearEarlier.Change = &ch
	f.ElsewhereHits = 9
	f.Transmission = stats.Transmission{Known: 57, OnTime: 50, Late: 7}
	rate := 87.7
	f.Transmission.Rate = &rate
	f.Accommodation = []stats.Centre{{Code: "BIH-SEDRA", Name: "Sedra", Capacity: 420, Weeks: []stats.CentreWeek{
		{Week: "2026-W01", Residents: 388, Free: 32, Arrivals: 41, Departures: 17}, {Week: "2026-W02", Residents: 2, Free: 418, Arrivals: 0, Departures: 386}}}}
	return f, nil
}

type fixture struct {
	srv  *httptest.Server
	dash *Server
	acc  *accounts
	src  *source
	now  *time.Time
	mu   *sync.Mutex
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	f := &fixture{acc: &accounts{m: map[string]string{"ana": "analyst passphrase"}}, src: &source{}, now: &now, mu: &mu}
	d, err := New(Config{Accounts: f.acc, Source: f.src.figures, SessionKey: bytes.Repeat([]byte{7}, 32), Country: "BIH",
		LoginBurst: 3, LoginEvery: time.Minute,
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return *f.now }})
	if err != nil {
		t.Fatal(err)
	}
	f.dash = d
	f.srv = httptest.NewTLSServer(d)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) advance(d time.Duration) { f.mu.Lock(); *f.now = f.now.Add(d); f.mu.Unlock() }

func (f *fixture) client(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := f.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

var tokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// login fetches the form and posts it; it returns the answer.
func (f *fixture) login(t *testing.T, c *http.Client, name, pass string) *http.Response {
	t.Helper()
	_, body := get(t, c, f.srv.URL+"/login")
	m := tokenRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no token in the log-in page:\n%s", body)
	}
	resp, err := c.PostForm(f.srv.URL+"/login", url.Values{"token": {m[1]}, "name": {name}, "passphrase": {pass}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestLoginAndPage(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	if resp, _ := get(t, c, f.srv.URL+"/"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("without a session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, p := range []string{"/figures.csv", "/figures.json", "/chart/series.png"} {
		if resp, _ := get(t, c, f.srv.URL+p); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s without a session: %d", p, resp.StatusCode)
		}
	}
	resp := f.login(t, c, "ana", "analyst passphrase")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("log-in: %d", resp.StatusCode)
	}
	var sc *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			sc = ck
		}
	}
	if sc == nil || !sc.Secure || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Path != "/" || sc.Domain != "" {
		t.Fatalf("session cookie %+v", sc)
	}
	resp, body := get(t, c, f.srv.URL+"/?from=2026-01-01&to=2026-01-14&station=BIH-VK-01&category=international_protection")
	if resp.StatusCode != 200 {
		t.Fatalf("page: %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{"57", "AFG", "BIH-VK-01", "2026-01-01 to 2026-01-14", "42.5 %", "/chart/pyramid.png?", "Download CSV", "&lt;5",
		"87.7 %", "registered in another country", "Sedra (BIH-SEDRA), 420 beds", "<td>2026-W01</td><td class=\"num\">388</td><td class=\"num\">32</td><td class=\"num\">41</td><td class=\"num\">17</td>",
		"<td>2026-W02</td><td class=\"num\">&lt;5</td><td class=\"num\">x</td><td class=\"num\">0</td><td class=\"num\">x</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("page without %q", want)
		}
	}
	if f.src.last.Station != "BIH-VK-01" || f.src.last.Category != "international_protection" || f.src.last.By != "week" {
		t.Fatalf("query passed on: %+v", f.src.last)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Strict-Transport-Security"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Error("weak CSP")
	}
	for _, name := range []string{"series.png", "nationalities.png", "pyramid.png", "stations.png"} {
		resp, body := get(t, c, f.srv.URL+"/chart/"+name+"?from=2026-01-01&to=2026-01-14")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("%s: %d", name, resp.StatusCode)
		}
		if _, err := png.Decode(strings.NewReader(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if resp, _ := get(t, c, f.srv.URL+"/chart/nothing.png"); resp.StatusCode != 404 {
		t.Fatalf("unknown chart: %d", resp.StatusCode)
	}
	resp, body = get(t, c, f.srv.URL+"/figures.csv?from=2026-01-01&to=2026-01-14")
	if resp.StatusCode != 200 || !strings.Contains(body, "by_nationality,AFG,30\n") || !strings.Contains(body, "total,,57\n") || !strings.Contains(body, "unaccompanied_children,F,<5\n") {
		t.Fatalf("CSV: %d\n%s", resp.StatusCode, body)
	}
	// Log-out ends the session.
	if resp, err := c.PostForm(f.srv.URL+"/logout", nil); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("log-out: %v", err)
	}
	if resp, _ := get(t, c, f.srv.URL+"/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after log-out: %d", resp.StatusCode)
	}
}

func TestBadFilterRefused(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	f.login(t, c, "ana", "analyst passphrase")
	for _, q := range []string{"from=2026-13-01", "from=2026-02-01&to=2026-01-01", "from=2020-01-01&to=2026-01-01",
		"by=year", "category=tourist", "by=day&from=2025-01-01&to=2025-12-31", "station=" + strings.Repeat("x", 65)} {
		if resp, body := get(t, c, f.srv.URL+"/?"+q); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %s", q, resp.StatusCode, body)
		}
	}
}

func TestWrongPassphraseRefusedAndRateLimited(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	for i := range 3 {
		if resp := f.login(t, c, "ana", "not the passphrase"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong passphrase %d: %d", i, resp.StatusCode)
		}
	}
	// The burst is spent: even the right passphrase waits.
	resp := f.login(t, c, "ana", "analyst passphrase")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("fourth attempt: %d", resp.StatusCode)
	}
	// Another client guessing the same account is limited too.
	if resp := f.login(t, f.client(t), "ana", "analyst passphrase"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("another client, same account: %d", resp.StatusCode)
	}
	f.advance(time.Minute)
	if resp := f.login(t, c, "ana", "analyst passphrase"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after a minute: %d", resp.StatusCode)
	}
}

func TestSessionEnds(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	f.login(t, c, "ana", "analyst passphrase")
	if resp, _ := get(t, c, f.srv.URL+"/"); resp.StatusCode != 200 {
		t.Fatalf("fresh session: %d", resp.StatusCode)
	}
	f.advance(DefaultSessionTTL + time.Second)
	if resp, _ := get(t, c, f.srv.URL+"/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("expired session: %d", resp.StatusCode)
	}
	// A removed account's session ends at once.
	c = f.client(t)
	f.login(t, c, "ana", "analyst passphrase")
	f.acc.mu.Lock()
	delete(f.acc.m, "ana")
	f.acc.mu.Unlock()
	if resp, _ := get(t, c, f.srv.URL+"/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("removed account: %d", resp.StatusCode)
	}
}

// TestAttackSessionForged: a cookie made up, or one account's cookie
// renamed to another, or its end moved later, is refused.
func TestAttackSessionForged(t *testing.T) {
	f := newFixture(t)
	f.acc.m["boss"] = "another passphrase"
	c := f.client(t)
	f.login(t, c, "ana", "analyst passphrase")
	u, _ := url.Parse(f.srv.URL)
	var v string
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			v = ck.Value
		}
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		t.Fatalf("cookie %q", v)
	}
	for name, forged := range map[string]string{
		"renamed":    "Ym9zcw." + parts[1] + "." + parts[2],
		"later end":  parts[0] + ".9999999999." + parts[2],
		"garbage":    "x.y.z",
		"no mac":     parts[0] + "." + parts[1] + ".",
		"two fields": parts[0] + "." + parts[1],
	} {
		req, _ := http.NewRequest("GET", f.srv.URL+"/figures.json", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: forged})
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
}

// TestAttackLoginCSRF: a page elsewhere posting the log-in form (to log the
// analyst's browser in to an account of the attacker's) is refused: it
// is cross-origin, and it cannot know the token of the browser's cookie.
func TestAttackLoginCSRF(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	form := url.Values{"token": {"guessed"}, "name": {"ana"}, "passphrase": {"analyst passphrase"}}
	req, _ := http.NewRequest("POST", f.srv.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site log-in: %d", resp.StatusCode)
	}
	// Same origin but without the cookie's token.
	resp, err = c.PostForm(f.srv.URL+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("log-in without the token: %d", resp.StatusCode)
	}
}
