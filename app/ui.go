// Package app is the Fyne user interface of fieldreg: one small type per
// screen (set-up, unlock, the shell with register, records, record detail,
// officers and settings). It holds no SQL, crypto or HTTP: every action goes
// through package device. Slow work (Argon2id, saving, searching, decrypting
// list rows) runs off the UI goroutine; widgets are only touched on the UI
// goroutine, through UI.do (fyne.Do in the running app).
package app

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/fieldreg/fieldreg/assets"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
	// Before Fyne reads the locale: a C.UTF-8 or sr_RS@latin locale is
	// silent (see the package).
	_ "github.com/fieldreg/fieldreg/internal/syslocale"
)

// AppID is the Fyne application ID (preferences and storage location).
const AppID = "org.fieldreg.app"

// UI is the fieldreg window and the state of the officer's session. Create it
// with New; all methods must be called on the UI goroutine.
type UI struct {
	app  fyne.App
	win  fyne.Window
	dir  string
	opts device.Options

	dev  *device.Device
	sess *device.Session
	sh   *shell // nil while locked; dropping it drops every screen holding personal data

	// loc is the language on screen: the device's default before unlock,
	// the officer's own once unlocked. langOverride, when set (fieldreg
	// --lang), is the language of the whole run.
	loc          *i18n.Localizer
	langOverride string
	// setupLang is the language picked on the set-up screen, offered to
	// the first officer at their first unlock.
	setupLang string

	// do runs fn on the UI goroutine. It is fyne.Do in the app; tests replace
	// it with a queue they drain, so widget updates never race with them.
	do func(fn func())

	idle   *idleTimer
	unlock *unlockScreen // the unlock screen while it shows
	bgMu   sync.Mutex
	bg     *backgroundSync // background sync with the hub (enrolled devices)
	// elsewhere are the "registered elsewhere?" views on screen: a sync
	// that brings answers reloads them.
	elsewhere []*elsewhereView
	// manualSync keeps background sync from starting at unlock (tests that
	// drive syncs themselves set it).
	manualSync bool
	// screen names what the window shows ("setup", "unlock", "shell", ...),
	// for tests and for keeping an eye on navigation.
	screen string

	// saveFile asks the officer where to save a file (suggesting name) and
	// calls done with the chosen writer, or not at all if they cancel;
	// openFile asks for a file to read. Fyne's file dialogs in the app;
	// tests replace them.
	saveFile func(name string, done func(fyne.URIWriteCloser))
	openFile func(exts []string, done func(fyne.URIReadCloser))
	// printer sends a PDF to the system's printer and returns what the print
	// system said; nil where printing is not available.
	printer func(pdf []byte) (string, error)
}

// New builds the window for the data directory dir: the set-up screen on a
// fresh directory, the unlock screen otherwise. It does not show the window.
func New(a fyne.App, dir string, opts device.Options) *UI { return newUI(a, dir, opts, "") }

// newUI is New with the language of the run (lang; "" for the device's
// default), which must be one of i18n.Languages.
func newUI(a fyne.App, dir string, opts device.Options, lang string) *UI {
	u := &UI{app: a, dir: dir, opts: opts, do: fyne.Do, langOverride: lang, loc: i18n.MustNew(i18n.Default)}
	u.saveFile = u.saveDialog
	u.openFile = u.openDialog
	u.printer = systemPrinter()
	a.Settings().SetTheme(newTheme())
	u.win = a.NewWindow(u.T("app.title"))
	u.win.SetIcon(fyne.NewStaticResource("fieldreg.png", assets.Icon()))
	u.win.Resize(fyne.NewSize(1280, 800))
	u.idle = newIdleTimer(u)
	u.win.SetOnClosed(u.close)
	u.start()
	return u
}

// Run opens the app on the data directory dir and blocks until the window is
// closed. lang, if not empty, is the language of this run (fieldreg --lang),
// in place of the device's default and the officers' own; an unknown one is
// an error (i18n.ErrUnknownLanguage) before any window opens.
func Run(dir, lang string) error {
	if lang != "" {
		l, err := i18n.Lookup(lang)
		if err != nil {
			return err
		}
		lang = l.Tag
	}
	defer appSettings()()
	a := fyneapp.NewWithID(AppID)
	u := newUI(a, dir, appOptions(), lang)
	u.win.ShowAndRun()
	return nil
}

// appCacheMiB is the app's database page cache per connection (the command
// line keeps store's default, 32 MiB). 8 MiB held 17 MB of C heap more
// while scrolling 100,000 records than 2 MiB does, for no speed the list,
// a search or the statistics showed (docs/benchmarks.md): the operating
// system caches the file's pages anyway.
const appCacheMiB = 2

// appOptions are the device options of the window: a small database
// cache, as the window's memory matters more on a tablet than the speed of
// bulk writes, which the command line does.
func appOptions() device.Options { return device.Options{CacheMiB: appCacheMiB} }

// appSettings sets the Go runtime up for the window (limitMemory) and
// returns what puts it back.
func appSettings() (restore func()) { return limitMemory(appMemoryLimit, memoryHeadroom) }

// Window is the app's window.
func (u *UI) Window() fyne.Window { return u.win }

// Show shows the window (without running the event loop).
func (u *UI) Show() { u.win.Show() }

// start shows the first screen for the data directory.
func (u *UI) start() {
	if !device.Initialised(u.dir) {
		u.useLanguage(u.startLanguage())
		u.showSetup()
		return
	}
	dev, err := device.Open(u.dir, u.opts)
	if err != nil {
		fyne.LogError("opening the data directory failed", nil)
		u.useLanguage(u.startLanguage())
		u.showFatal(u.T("fatal.open"), err)
		return
	}
	u.dev = dev
	u.useLanguage(u.startLanguage())
	u.showUnlock("")
}

// close locks the session and closes the database when the window closes.
func (u *UI) close() {
	u.idle.stop()
	u.bgSync().Stop()
	if u.sh != nil {
		u.sh.close()
		u.sh = nil
	}
	u.elsewhere = nil
	if u.sess != nil {
		u.sess.Lock()
		u.sess = nil
	}
	if u.dev != nil {
		_ = u.dev.Close()
		u.dev = nil
	}
}

// setContent replaces the window content and closes any dialog left open.
func (u *UI) setContent(name string, obj fyne.CanvasObject) {
	c := u.win.Canvas()
	for c.Overlays().Top() != nil {
		c.Overlays().Remove(c.Overlays().Top())
	}
	u.screen = name
	u.win.SetContent(obj)
}

// focus puts the keyboard focus on obj if it can take it.
func (u *UI) focus(obj fyne.Focusable) {
	if obj != nil {
		u.win.Canvas().Focus(obj)
	}
}

// background runs work off the UI goroutine, then done on the UI goroutine.
func (u *UI) background(work func(), done func()) {
	go func() {
		work()
		u.do(done)
	}()
}

// startSession enters the shell for an unlocked session.
func (u *UI) startSession(s *device.Session) {
	u.sess = s
	u.useLanguage(u.officerLanguage(s.Officer().ID))
	u.sh = newShell(u)
	u.setContent("shell", u.sh.root)
	u.sh.open(navRegister)
	if !u.manualSync {
		u.bgSync().Start(s)
	}
	u.idle.start(u.dev.AutoLock())
	// Records past their retention date are erased on this device's own
	// clock, whether or not it ever syncs again (docs/erasure.md).
	u.background(func() {
		if _, err := s.SweepExpired(context.Background()); err != nil && !errors.Is(err, device.ErrSessionLocked) {
			fyne.LogError("the retention sweep failed", nil)
		}
	}, func() {})
}

// lock drops the session (keys wiped from memory) and every screen that
// holds personal data, and returns to the unlock screen with the message
// reason (an ID, or "") as a note.
func (u *UI) lock(reason string) {
	u.idle.stop()
	u.bgSync().Stop()
	officer := ""
	if u.sess != nil {
		officer = u.sess.Officer().ID
		s := u.sess
		u.sess = nil
		s.Lock()
	}
	if u.sh != nil {
		u.sh.close()
		u.sh = nil
	}
	u.elsewhere = nil
	u.showUnlockFor(officer, reason, nil)
}

// activity records officer input; it postpones the auto-lock.
func (u *UI) activity() { u.idle.touch() }

// idleTimer locks the app after a period without officer input.
type idleTimer struct {
	u     *UI
	last  atomic.Int64 // unix nanoseconds of the last input
	mu    sync.Mutex
	timer *time.Timer
	after time.Duration
	gen   int // bumps on start/stop so a stale timer does nothing
}

func newIdleTimer(u *UI) *idleTimer { return &idleTimer{u: u} }

func (t *idleTimer) touch() { t.last.Store(time.Now().UnixNano()) }

func (t *idleTimer) start(after time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen++
	if t.timer != nil {
		t.timer.Stop()
	}
	t.after = after
	t.touch()
	t.arm(after, t.gen)
}

func (t *idleTimer) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen++
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
}

// arm schedules a check after d; the caller holds mu.
func (t *idleTimer) arm(d time.Duration, gen int) {
	t.timer = time.AfterFunc(d, func() {
		t.mu.Lock()
		if gen != t.gen {
			t.mu.Unlock()
			return
		}
		idle := time.Since(time.Unix(0, t.last.Load()))
		if idle < t.after {
			t.arm(t.after-idle, gen)
			t.mu.Unlock()
			return
		}
		t.mu.Unlock()
		t.u.do(func() {
			t.mu.Lock()
			current := gen == t.gen
			t.mu.Unlock()
			if current && t.u.sess != nil {
				t.u.lock("unlock.idle")
			}
		})
	})
}

// plainError turns an error from device into a sentence for the officer in
// their language: errors the app knows by kind have a message of their own;
// the rest are device's plain English.
func (u *UI) plainError(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, device.ErrSessionLocked):
		return u.T("error.session_locked")
	}
	if msg := u.knownError(err); msg != "" {
		return msg
	}
	return capitalise(err.Error())
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	if r[0] >= 'a' && r[0] <= 'z' {
		r[0] -= 'a' - 'A'
	}
	out := string(r)
	if last := r[len(r)-1]; last != '.' && last != '!' && last != '?' {
		out += "."
	}
	return out
}
