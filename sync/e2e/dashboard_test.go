package e2e

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/internal/browsertest"
	"github.com/fieldreg/fieldreg/sync/hubstore/pg/pgtest"
)

// markerStation is the station the fake people are registered at: the
// dashboard shows station codes, so the scan below must find it, proof
// that it reads what the dashboard serves.
const markerStation = "BIH-MARKER-77"

// dashboardPeople registers n obviously fake people with names and
// document numbers the scan looks for, of several nationalities, sexes
// and ages, and returns the names and numbers.
func dashboardPeople(t *testing.T, d *devProc, n int) []string {
	t.Helper()
	nats := []string{"AFG", "SYR", "PAK", "MAR", "IRQ"}
	sexes := []string{"F", "M", "M"}
	var secrets []string
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	for i := range n {
		family, given, doc := fmt.Sprintf("Scanfamily%02d", i), fmt.Sprintf("Scangiven%02d", i), fmt.Sprintf("ZQ%07d", 4200000+i)
		secrets = append(secrets, family, given, doc)
		cat := "irregular_crossing"
		if i%3 == 0 {
			cat = "international_protection"
		}
		fmt.Fprintf(w, `{"family_name":%q,"given_names":%q,"sex":%q,"birth_date":"%d","nationalities":[%q],"category":%q,"document":{"type":"passport","number":%q,"issuing_country":%q}}`+"\n",
			family, given, sexes[i%len(sexes)], 1960+(i*7)%64, nats[i%len(nats)], cat, doc, nats[i%len(nats)])
	}
	w.Flush()
	f := filepath.Join(filepath.Dir(d.dir), "scan-people.jsonl")
	if err := os.WriteFile(f, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out := must(t, "fieldreg", "register", "--data", d.dir, "--passphrase-file", d.passFile, "--json", f)
	if got := strings.Count(out, "\n"); got != n {
		t.Fatalf("registered %d, want %d", got, n)
	}
	return secrets
}

// leaks lists the secrets found in body.
func leaks(body string, secrets []string) []string {
	var found []string
	for _, s := range secrets {
		if strings.Contains(strings.ToLower(body), strings.ToLower(s)) {
			found = append(found, s)
		}
	}
	return found
}

var loginTokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

// TestDashboardShowsNoPerson: a hub with registrations of fake people
// serves the dashboard (reghub serve --dashboard) to an analyst added with
// reghub operator add. Every page, chart, CSV and JSON answer, under
// several filters, and the PDF of reghub report, are scanned for the
// people's names and document numbers: none is found, while the station
// code planted beside them is (so the scan can fail). A wrong passphrase
// is refused and the log-in then rate-limited. In headless Chromium the
// analyst logs in and sees the charts.
func TestDashboardShowsNoPerson(t *testing.T) {
	h := newHub(t)
	root := filepath.Dir(h.dir)
	analyst := filepath.Join(root, "analyst.pass")
	if err := os.WriteFile(analyst, []byte("Analyst-Passphrase-For-Tests\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, "reghub", "operator", "add", "--data", h.dir, "--passphrase-file", h.passFile, "--kdf", "low",
		"--name", "ana@mup.example", "--new-passphrase-file", analyst)
	dashFile := filepath.Join(root, "dash-addr")
	h.start("127.0.0.1:0", "--dashboard", "127.0.0.1:0", "--dashboard-addr-file", dashFile)
	d := newDevice(t, h, "tablet-scan", markerStation)
	secrets := dashboardPeople(t, d, 60)
	if code, out := d.sync(""); code != 0 {
		t.Fatalf("sync: %s", out)
	}
	addr, err := os.ReadFile(dashFile)
	if err != nil {
		t.Fatal(err)
	}
	base := "https://" + string(addr)

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(p string) (*http.Response, string) {
		t.Helper()
		resp, err := c.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	login := func(name, pass string) (*http.Response, string) {
		t.Helper()
		_, page := get("/login")
		m := loginTokenRE.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no log-in form: %s", page)
		}
		resp, err := c.PostForm(base+"/login", url.Values{"token": {m[1]}, "name": {name}, "passphrase": {pass}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	// The certificate is the hub's own dashboard certificate, ECDSA (a
	// browser takes no Ed25519 certificate).
	resp, _ := get("/login")
	if _, ok := resp.TLS.PeerCertificates[0].PublicKey.(*ecdsa.PublicKey); !ok {
		t.Fatalf("dashboard certificate key %T", resp.TLS.PeerCertificates[0].PublicKey)
	}

	var served strings.Builder
	if resp, body := login("ana@mup.example", "Analyst-Passphrase-For-Tests"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("log-in: %d %s", resp.StatusCode, body)
	}
	today := time.Now().UTC()
	from, to := today.AddDate(0, 0, -20).Format("2006-01-02"), today.Format("2006-01-02")
	filters := []string{"", "?from=" + from + "&to=" + to + "&by=day",
		"?from=" + from + "&to=" + to + "&station=" + markerStation + "&category=international_protection",
		"?from=" + from + "&to=" + to + "&by=month&category=irregular_crossing"}
	for _, f := range filters {
		for _, p := range []string{"/", "/figures.csv", "/figures.json", "/chart/series.png", "/chart/nationalities.png", "/chart/pyramid.png", "/chart/stations.png"} {
			resp, body := get(p + f)
			if resp.StatusCode != 200 {
				t.Fatalf("%s%s: %d %s", p, f, resp.StatusCode, body)
			}
			served.WriteString(body)
		}
	}
	_, js := get("/figures.json?from=" + from + "&to=" + to)
	if !strings.Contains(js, `"total":60`) || !strings.Contains(js, `"by_age_and_sex":{"`) {
		t.Fatalf("the dashboard does not count the 60 people: %s", js)
	}
	_, css := get("/style.css")
	served.WriteString(css)

	// reghub report: the PDF's text too.
	pdf := filepath.Join(root, "report.pdf")
	must(t, "reghub", "report", "--data", h.dir, "--passphrase-file", h.passFile, "--from", from, "--to", to, "--out", pdf)
	if code, _, errs := run(t, "reghub", "report", "--data", h.dir, "--passphrase-file", h.passFile, "--from", from, "--to", to, "--out", pdf); code != 1 || !strings.Contains(errs, "exists") {
		t.Fatalf("report over an existing file: %d %s", code, errs)
	}
	if txt, err := exec.Command("pdftotext", "-layout", pdf, "-").Output(); err == nil {
		if !strings.Contains(string(txt), "Registrations in BIH") || !strings.Contains(string(txt), "60") {
			t.Fatalf("report text:\n%s", txt)
		}
		served.Write(txt)
	} else if os.Getenv("FIELDREG_REQUIRE_BROWSER") != "" {
		t.Fatalf("pdftotext (poppler-utils): %v", err)
	}

	all := served.String()
	if found := leaks(all, secrets); len(found) > 0 {
		t.Fatalf("the dashboard or the report shows personal data: %v", found)
	}
	if found := leaks(all, []string{markerStation}); len(found) != 1 {
		t.Fatal("the planted station code was not found: the scan reads nothing")
	}
	if found := leaks(h.logs.String(), secrets); len(found) > 0 {
		t.Fatalf("the hub's log holds personal data: %v", found)
	}

	// The browser: once, on SQLite (the back end changes nothing here).
	if !pgtest.Postgres() {
		browsertest.Dashboard(t, browsertest.Start(t), base, "ana@mup.example", "Analyst-Passphrase-For-Tests", markerStation)
	}

	// A wrong passphrase is refused, then the account is rate-limited
	// (the default: 5 attempts at once, the log-ins above among them,
	// then one a minute), even with the right passphrase.
	other := &http.Client{Jar: func() http.CookieJar { j, _ := cookiejar.New(nil); return j }(), Timeout: 30 * time.Second, Transport: c.Transport, CheckRedirect: c.CheckRedirect}
	c = other
	limited := false
	for i := range 5 {
		resp, _ := login("ana@mup.example", "wrong passphrase")
		switch {
		case resp.StatusCode == http.StatusTooManyRequests && i > 0:
			limited = true
		case resp.StatusCode != http.StatusUnauthorized:
			t.Fatalf("wrong passphrase %d: %d", i, resp.StatusCode)
		}
		if limited {
			break
		}
	}
	if !limited {
		t.Fatal("5 wrong passphrases and no limit")
	}
	if resp, body := login("ana@mup.example", "Analyst-Passphrase-For-Tests"); resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many attempts") {
		t.Fatalf("the right passphrase once limited: %d", resp.StatusCode)
	}
}
