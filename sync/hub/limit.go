package hub

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/fieldreg/fieldreg/sync/wire"
)

// Question limits. "Was this person registered elsewhere?" answers from the
// whole region, so the question is an oracle: a stolen, unlocked tablet (or a
// compromised country hub) could ask it in bulk to test guesses. Each caller
// may ask a burst, then at a steady rate. A country hub limits each device:
// an officer registers at most a few hundred people a day, and a device back
// from days offline asks its waiting questions at the next sync (up to 200).
// The region limits each country hub, which asks for all its devices.
const (
	deviceQuestionBurst   = 300
	deviceQuestionsHour   = 300
	countryQuestionBurst  = 5000
	countryQuestionsHour  = 72000
	questionLimitedAnswer = "too many questions from this caller; the waiting ones are asked again at the next sync"
)

// QuestionLimit is how many questions one caller may ask at once (Burst) and
// then per hour. The zero value means the hub's default for its role.
type QuestionLimit struct {
	Burst   int
	PerHour int
}

// limiter keeps a token bucket per caller (device or country hub IDs: a
// bounded set, the enrolled ones).
type limiter struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	callers map[string]*rate.Limiter
}

func newLimiter(l QuestionLimit, region bool) *limiter {
	if l.Burst <= 0 {
		l.Burst = deviceQuestionBurst
		if region {
			l.Burst = countryQuestionBurst
		}
	}
	if l.PerHour <= 0 {
		l.PerHour = deviceQuestionsHour
		if region {
			l.PerHour = countryQuestionsHour
		}
	}
	return &limiter{limit: rate.Every(time.Hour / time.Duration(l.PerHour)), burst: l.Burst, callers: map[string]*rate.Limiter{}}
}

// allow takes one question from caller's bucket, or answers 429 and
// returns false.
func (l *limiter) allow(w http.ResponseWriter, caller string) bool {
	l.mu.Lock()
	b := l.callers[caller]
	if b == nil {
		b = rate.NewLimiter(l.limit, l.burst)
		l.callers[caller] = b
	}
	l.mu.Unlock()
	if b.Allow() {
		return true
	}
	w.Header().Set("Retry-After", "60")
	httpError(w, http.StatusTooManyRequests, "rate_limited", questionLimitedAnswer)
	return false
}

// DefaultMaxPulls is how many pulls a hub serves at once. Each streams
// from its own database cursor, with the connection's page cache, TLS
// buffers and a chunk being encoded: about 1 MB. 200 devices pulling at
// once took an unbounded hub to 221 MB; with 16 slots the pulls add at
// most about 20 MB whatever the number of devices, and 16 concurrent
// streams already keep two cores busy. A device turned away is answered
// 503 with Retry-After and tries again (sync/client retries a busy pull).
const DefaultMaxPulls = 16

// pullRetryAfter is the Retry-After, in seconds, of a busy answer.
const pullRetryAfter = 2

// takePull takes a pull slot, or answers 503 "busy" and returns false.
// The caller calls release when the pull is served.
func (h *Hub) takePull(w http.ResponseWriter) (release func(), ok bool) {
	select {
	case h.pulls <- struct{}{}:
		return func() { <-h.pulls }, true
	default:
		w.Header().Set("Retry-After", strconv.Itoa(pullRetryAfter))
		httpError(w, http.StatusServiceUnavailable, wire.CodeBusy, "the hub is serving many devices at once; try again in a few seconds")
		return nil, false
	}
}
