package dashboard

import (
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
	browsertest.Dashboard(t, ctx, f.srv.URL, "ana", "analyst passphrase", "Registrations in BIH")
}
