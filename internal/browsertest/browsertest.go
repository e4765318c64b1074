// Package browsertest runs headless Chromium for tests of the hub's web
// dashboard (github.com/chromedp/chromedp). Chromium is the Debian package
// "chromium"; make test installs it. Without it a test is skipped, except
// where FIELDREG_REQUIRE_BROWSER is set (make test sets it): there it
// fails.
package browsertest

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Timeout bounds a whole browser session of a test.
const Timeout = time.Minute

// Path finds the Chromium binary.
func Path() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Start starts headless Chromium (as root in CI: --no-sandbox) that takes
// any certificate (the dashboard's own is self-signed), and returns a
// context for chromedp actions, ended when the test ends or after Timeout.
func Start(t *testing.T) context.Context {
	t.Helper()
	bin := Path()
	if bin == "" {
		if os.Getenv("FIELDREG_REQUIRE_BROWSER") != "" {
			t.Fatal("Chromium is not installed (apt-get install chromium)")
		}
		t.Skip("Chromium is not installed (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.IgnoreCertErrors,
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("lang", "en-GB"),
	)
	ctx, cancelTimeout := context.WithTimeout(context.Background(), Timeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return bctx
}

// Colours counts the distinct colours of a PNG screenshot (sampled every
// third pixel): a blank page has one or two, a page of charts hundreds.
func Colours(t *testing.T, b []byte) (int, image.Image) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	seen := map[[3]uint32]bool{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 3 {
		for x := r.Min.X; x < r.Max.X; x += 3 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			seen[[3]uint32{cr >> 8, cg >> 8, cb >> 8}] = true
		}
	}
	return len(seen), img
}

// Dashboard logs in to the hub's web dashboard at base (https://HOST:PORT)
// with name and passphrase, waits until its four charts have loaded,
// checks the page names want and that a full screenshot is not blank, and
// returns the screenshot (kept as dashboard.png in FIELDREG_SCREENSHOT_DIR
// when set).
func Dashboard(t *testing.T, ctx context.Context, base, name, passphrase, want string) []byte {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("passphrase")),
		chromedp.Clear(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), name),
		chromedp.SendKeys(chromedp.ID("passphrase"), passphrase),
		chromedp.Submit(chromedp.ID("passphrase")),
		chromedp.WaitVisible(chromedp.CSS("section.charts img")),
	)
	if err != nil {
		t.Fatalf("log in to the dashboard: %v", err)
	}
	loaded, err := chromedp.Run(ctx, chromedp.Poll[bool](`Array.from(document.querySelectorAll("section.charts img")).length == 4 &&
		Array.from(document.querySelectorAll("section.charts img")).every(i => i.complete && i.naturalWidth == 1200)`))
	if err != nil || !loaded {
		t.Fatalf("the four charts did not load: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil || !strings.Contains(text, want) {
		t.Fatalf("the page does not say %q (%v):\n%s", want, err, text)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if n, img := Colours(t, shot); n < 50 || img.Bounds().Dy() < 1000 {
		t.Fatalf("the screenshot looks blank: %d colours, %v", n, img.Bounds())
	}
	if d := os.Getenv("FIELDREG_SCREENSHOT_DIR"); d != "" {
		if err := os.WriteFile(filepath.Join(d, "dashboard.png"), shot, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return shot
}
