package hub

import (
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
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
