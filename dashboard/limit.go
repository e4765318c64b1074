package dashboard

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// loginLimits bound log-in attempts: per client address and per account
// name (a guesser spread over many addresses still meets the second), and
// the Argon2id checks running at once (each takes 64 MiB).
type loginLimits struct {
	mu      sync.Mutex
	every   time.Duration
	burst   int
	now     func() time.Time
	clients map[string]*rate.Limiter
	names   map[string]*rate.Limiter
	checks  chan struct{}
}

// maxTracked bounds each map: past it the oldest are forgotten in one
// sweep of the full ones (a full bucket is the same as a new one).
const maxTracked = 10000

func newLoginLimits(burst int, every time.Duration, concurrent int, now func() time.Time) *loginLimits {
	return &loginLimits{every: every, burst: burst, now: now, clients: map[string]*rate.Limiter{},
		names: map[string]*rate.Limiter{}, checks: make(chan struct{}, concurrent)}
}

func (l *loginLimits) bucket(m map[string]*rate.Limiter, key string) *rate.Limiter {
	b, ok := m[key]
	if !ok {
		if len(m) >= maxTracked {
			now := l.now()
			for k, v := range m {
				if v.TokensAt(now) >= float64(l.burst) {
					delete(m, k)
				}
			}
		}
		b = rate.NewLimiter(rate.Every(l.every), l.burst)
		m[key] = b
	}
	return b
}

// allow takes one attempt from the client's and the name's budgets; false
// (and the wait) when either is spent. An attempt refused takes nothing.
func (l *loginLimits) allow(client, name string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	c, n := l.bucket(l.clients, client), l.bucket(l.names, name)
	rc, rn := c.ReserveN(now, 1), n.ReserveN(now, 1)
	wait := max(rc.DelayFrom(now), rn.DelayFrom(now))
	if wait > 0 {
		rc.CancelAt(now)
		rn.CancelAt(now)
		return false, wait
	}
	return true, 0
}

// clientAddr is the address the request came from (the TCP peer: the
// dashboard is not meant to sit behind a proxy that hides it).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
