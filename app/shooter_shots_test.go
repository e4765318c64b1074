//go:build screenshots || syncshots || fedshots || centreshots

// The screenshot harnesses (screenshots_test.go, screenshots_sync_test.go,
// screenshots_fed_test.go) drive a real window with a shooter: wait on the
// UI goroutine, find widgets, and photograph the root window with
// imagemagick's import.
package app

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/sync/hub"
)

type shooter struct {
	u        *UI
	out      string
	portrait bool
	// portraitOnly, when set, names the shots also taken in portrait.
	portraitOnly map[string]bool
}

func (s *shooter) ui(fn func()) { fyne.DoAndWait(fn) }

// until waits up to 30 s for cond, checked on the UI goroutine.
func (s *shooter) until(what string, cond func() bool) {
	for i := 0; i < 1200; i++ {
		var ok bool
		s.ui(func() { ok = cond() })
		if ok {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	panic("screenshot step timed out: " + what + " (screen " + s.u.screen + ")")
}

// shot photographs the screen as name.png (name-portrait.png in portrait).
func (s *shooter) shot(name string) {
	if s.portrait && s.portraitOnly != nil && !s.portraitOnly[name] {
		return
	}
	time.Sleep(700 * time.Millisecond)
	if s.portrait {
		name += "-portrait"
	}
	if lang := os.Getenv("FIELDREG_LANG"); lang != "" {
		name += "-" + lang
	}
	path := filepath.Join(s.out, name+".png")
	shotMust(exec.Command("import", "-window", "root", path).Run())
	fmt.Println("wrote", path)
}

// label reports whether a visible label starting with prefix is on screen.
func (s *shooter) label(prefix string) bool {
	return s.find(func(o fyne.CanvasObject) bool {
		l, ok := o.(*widget.Label)
		return ok && strings.HasPrefix(l.Text, prefix)
	}) != nil
}

// labelIs reports whether a label with exactly text is on screen.
func (s *shooter) labelIs(text string) bool {
	return s.find(func(o fyne.CanvasObject) bool {
		l, ok := o.(*widget.Label)
		return ok && l.Text == text
	}) != nil
}

// shows reports whether a visible label containing text is on screen.
func (s *shooter) shows(text string) bool {
	return s.find(func(o fyne.CanvasObject) bool {
		l, ok := o.(*widget.Label)
		return ok && strings.Contains(l.Text, text)
	}) != nil
}

// find returns the first visible object of the window matching ok.
func (s *shooter) find(ok func(fyne.CanvasObject) bool) fyne.CanvasObject {
	var found fyne.CanvasObject
	walkObj(s.u.win.Content(), func(o fyne.CanvasObject) {
		if found == nil && ok(o) {
			found = o
		}
	})
	return found
}

// shotsOut is the directory the screenshots go to (FIELDREG_SHOTS); the
// program stops if it is not set.
func shotsOut() string {
	out := os.Getenv("FIELDREG_SHOTS")
	if out == "" {
		fmt.Println("set FIELDREG_SHOTS to the output directory")
		os.Exit(2)
	}
	return out
}

// unlock types passphrase on the unlock screen and waits for the shell.
func (s *shooter) unlock(passphrase string) {
	u := s.u
	s.until("the unlock screen", func() bool { return u.screen == "unlock" && u.unlock != nil })
	s.ui(func() {
		u.unlock.pass.SetText(passphrase)
		u.unlock.submit()
	})
	s.until("the shell", func() bool { return u.screen == "shell" })
}

func shotMust(err error) {
	if err != nil {
		panic(err)
	}
}

// serveShotHub serves h on a loopback port for the life of the process and
// returns its address.
func serveShotHub(h *hub.Hub) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	shotMust(err)
	go func() { _ = h.Serve(context.Background(), ln) }()
	return "https://" + ln.Addr().String()
}
