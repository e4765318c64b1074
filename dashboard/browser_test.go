package dashboard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/fieldreg/fieldreg/internal/browsertest"
)

// In a real browser (headless Chromium): the log-in page, a wrong
// passphrase refused, the dashboard with its four charts loaded, a
// screenshot that is not blank. FIELDREG_SCREENSHOT_DIR keeps it.
func TestBrowserLogsInAndSeesCharts(t *testing.T) {
	f := newFixture(t)
	ctx := browsertest.Start(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(f.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("passphrase")),
		chromedp.SendKeys(chromedp.ID("name"), "ana"),
		chromedp.SendKeys(chromedp.ID("passphrase"), "not the passphrase"),
		chromedp.Submit(chromedp.ID("passphrase")),
		chromedp.WaitVisible(chromedp.CSS(".message")),
	)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".message")))
	if err != nil || !strings.Contains(msg, "Wrong name or passphrase") {
		t.Fatalf("wrong passphrase: %q, %v", msg, err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("passphrase"), "analyst passphrase"),
		chromedp.Submit(chromedp.ID("passphrase")),
		chromedp.WaitVisible(chromedp.CSS("section.charts img")),
	)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := chromedp.Run(ctx, chromedp.Poll[bool](`Array.from(document.querySelectorAll("section.charts img")).length == 4 &&
		Array.from(document.querySelectorAll("section.charts img")).every(i => i.complete && i.naturalWidth == 1200)`))
	if err != nil || !loaded {
		t.Fatalf("the four charts did not load: %v", err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil || !strings.Contains(heading, "BIH") {
		t.Fatalf("heading %q, %v", heading, err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if n, img := browsertest.Colours(t, shot); n < 50 || img.Bounds().Dy() < 1000 {
		t.Fatalf("the screenshot looks blank: %d colours, %v", n, img.Bounds())
	}
	if d := os.Getenv("FIELDREG_SCREENSHOT_DIR"); d != "" {
		if err := os.WriteFile(filepath.Join(d, "dashboard.png"), shot, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
