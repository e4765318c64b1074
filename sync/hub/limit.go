package hub

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/fieldreg/fieldreg/sync/hubstore"
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
// bounded set, the enrolled ones) in the hub's store, so that several
// servers on one database share each caller's budget: a device that asks
// through two servers has one budget, not two. A bucket is a setting
// (metaBudget + caller) read and written in one transaction (on PostgreSQL
// the read locks it until the write).
type limiter struct {
	st    hubstore.Store
	now   func() time.Time
	every time.Duration // one question back per every
	burst int
}

// metaBudget prefixes the setting holding a caller's question budget.
const metaBudget = "budget:"

func newLimiter(st hubstore.Store, now func() time.Time, l QuestionLimit, region bool) *limiter {
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
	return &limiter{st: st, now: now, every: time.Hour / time.Duration(l.PerHour), burst: l.Burst}
}

// budget is a caller's bucket: the questions it may ask now, as of At.
type budget struct {
	Tokens float64 `json:"t"`
	At     int64   `json:"at"` // Unix milliseconds
}

// take takes one question from caller's bucket; false when it is empty.
func (l *limiter) take(ctx context.Context, caller string) (bool, error) {
	key := metaBudget + caller
	ok := false
	err := l.st.Update(ctx, func(tx hubstore.Tx) error {
		now := l.now()
		b := budget{Tokens: float64(l.burst), At: now.UnixMilli()}
		raw, err := tx.GetMeta(key)
		if errors.Is(err, hubstore.ErrNotFound) {
			fresh, _ := json.Marshal(b)
			if _, err := tx.PutMetaOnce(key, fresh); err != nil {
				return err
			}
			raw, err = tx.GetMeta(key) // another server's, if it made one first; locked
		}
		if err != nil {
			return err
		}
		if json.Unmarshal(raw, &b) != nil {
			b = budget{Tokens: float64(l.burst), At: now.UnixMilli()} // unreadable: a full bucket
		}
		if el := now.UnixMilli() - b.At; el > 0 {
			b.Tokens = min(float64(l.burst), b.Tokens+float64(el)/float64(l.every.Milliseconds()))
		}
		b.At = max(b.At, now.UnixMilli())
		if ok = b.Tokens >= 1; ok {
			b.Tokens--
		}
		nb, _ := json.Marshal(b)
		return tx.PutMeta(key, nb)
	})
	return ok && err == nil, err
}

// allow takes one question from caller's bucket, or answers 429 (an empty
// bucket) or 503 (the store failed) and returns false.
func (l *limiter) allow(ctx context.Context, w http.ResponseWriter, caller string) bool {
	ok, err := l.take(ctx, caller)
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, wire.CodeInternal, "the hub could not count the question; try again")
		return false
	}
	if ok {
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
