package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/sync/client"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// hubWithPulls initialises and opens a hub that serves at most maxPulls
// pulls at once.
func hubWithPulls(t *testing.T, maxPulls int) *Hub {
	t.Helper()
	dir := t.TempDir()
	if err := Init(context.Background(), dir, InitConfig{Country: "BIH", Passphrase: pass, URL: "https://127.0.0.1:8443"}, lowOpts()); err != nil {
		t.Fatal(err)
	}
	opts := lowOpts()
	opts.MaxPulls = maxPulls
	h, err := Open(context.Background(), dir, pass, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// blockingWriter is a response writer whose first Write waits for release:
// a device reading its pull slowly.
type blockingWriter struct {
	h       http.Header
	status  int
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingWriter) Header() http.Header { return b.h }
func (b *blockingWriter) WriteHeader(c int)   { b.status = c }
func (b *blockingWriter) Write(p []byte) (int, error) {
	b.once.Do(func() { close(b.entered) })
	<-b.release
	return len(p), nil
}

// TestAttackConcurrentPulls: 200 devices pulling at once (each reading
// slowly) are served at most MaxPulls at a time; the rest are told 503
// "busy" with Retry-After, so the hub's memory does not grow with the
// number of pulling devices. A slot freed is taken by the next pull.
func TestAttackConcurrentPulls(t *testing.T) {
	const maxPulls = 4
	h := hubWithPulls(t, maxPulls)
	d := enrolDev(t, h, "tab-a", "POST-A", "all")
	body, _ := json.Marshal(wire.PullRequest{})
	release := make(chan struct{})
	var served, busy, inside atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &blockingWriter{h: http.Header{}, entered: make(chan struct{}), release: release}
			done := make(chan struct{})
			go func() {
				h.Handler().ServeHTTP(w, asDevice(httptest.NewRequest("POST", wire.PathPull, bytes.NewReader(body)), d))
				close(done)
			}()
			select {
			case <-w.entered:
			case <-done:
			}
			if w.status == http.StatusServiceUnavailable {
				if w.h.Get("Retry-After") == "" {
					t.Error("busy answer without Retry-After")
				}
				busy.Add(1)
			} else {
				inside.Add(1)
			}
			<-done
			if w.status != http.StatusServiceUnavailable {
				served.Add(1)
			}
		}()
	}
	// Every request has either entered its (blocked) write or been turned
	// away before any is released.
	deadline := time.Now().Add(30 * time.Second)
	for busy.Load()+inside.Load() < 200 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := inside.Load(); got != maxPulls {
		t.Errorf("%d pulls served at once, want %d", got, maxPulls)
	}
	close(release)
	wg.Wait()
	if served.Load() != maxPulls || busy.Load() != 200-maxPulls {
		t.Errorf("served %d, busy %d", served.Load(), busy.Load())
	}
	// The slots are free again.
	rr := httptest.NewRecorder()
	h.Handler().ServeHTTP(rr, asDevice(httptest.NewRequest("POST", wire.PathPull, bytes.NewReader(body)), d))
	if rr.Code != 200 {
		t.Fatalf("pull after the others: %d %s", rr.Code, rr.Body)
	}
}

// TestBusyPullRetried: a device's client turned away by a busy hub asks
// again after Retry-After, and gets its chunk once a slot is free.
func TestBusyPullRetried(t *testing.T) {
	h := hubWithPulls(t, 1)
	d := enrolDev(t, h, "tab-a", "POST-A", "all")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- h.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()

	h.pulls <- struct{}{} // another device holds the only slot
	go func() { time.Sleep(500 * time.Millisecond); <-h.pulls }()
	c := client.New(client.Config{URL: "https://" + ln.Addr().String(), HubCert: h.certDER, ClientCert: d.pkg.ClientCert, Key: d.priv})
	defer c.Close()
	start := time.Now()
	if _, err := c.PullChunk(context.Background(), vector.Vector{}, 10); err != nil {
		t.Fatalf("pull: %v", err)
	}
	if time.Since(start) < pullRetryAfter*time.Second {
		t.Errorf("the pull was served before the slot was free")
	}
}
