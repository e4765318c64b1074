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
