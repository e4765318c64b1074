package hub

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// Pushes arriving together are stored together (group commit): each push
// request judges its chunk on its own, then queues it; the first request
// to find no group being stored leads: it stores every chunk queued (up to
// groupEvents events) in one transaction, answers their requests, and
// hands the lead to the first chunk queued since. A request is answered
// only once its chunk is committed, so "acknowledged" still means durable;
// a group whose transaction fails is stored again a chunk at a time, so
// one chunk that cannot be stored fails only its own request.
//
// One commit (one fsync, the pages of the indexes written once) serves
// several chunks: the devices keep several chunks in flight
// (device.pushParallel), and while one group is being stored the next
// gathers.
var groupEvents = 10 * wire.MaxChunkEvents

// groupJob is one push request's judged chunk, waiting to be stored.
type groupJob struct {
	arrivals []hubstore.Arrival
	now      time.Time
	got      hubstore.Ingested
	err      error
	// wake says the job is stored (true: got and err are set), or that
	// its request leads the next group (false).
	wake chan bool
}

// grouper queues the judged chunks of the push requests in flight.
type grouper struct {
	mu    sync.Mutex
	queue []*groupJob
	busy  bool // a leader is storing a group
	// pushing counts the push requests in progress (the counting pass
	// waits for none).
	pushing atomic.Int32
	// beforeGroup, when set (tests), runs as a leader starts a group.
	beforeGroup func()
}

// storeGrouped stores a push's judged chunk, with the chunks of the
// pushes arriving at the same time, and returns what was done with it.
// The transaction runs under ctx without its cancellation: a leader's
// device hanging up does not fail the other requests of its group (what
// is stored is stored; the device is told at its next push).
func (h *Hub) storeGrouped(ctx context.Context, arrivals []hubstore.Arrival, now time.Time) (hubstore.Ingested, error) {
	if !h.groupsCommits() {
		return h.store(ctx, arrivals, now)
	}
	g := &h.group
	j := &groupJob{arrivals: arrivals, now: now, wake: make(chan bool, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, j)
	lead := !g.busy
	g.busy = true
	g.mu.Unlock()
	if !lead {
		if stored := <-j.wake; stored {
			return j.got, j.err
		}
	}
	// j leads: it is first in the queue (a leader hands over to the first
	// job queued, and with no leader the queue was empty).
	if g.beforeGroup != nil {
		g.beforeGroup()
	}
	g.mu.Lock()
	n, events := 0, 0
	for n < len(g.queue) && (n == 0 || events+len(g.queue[n].arrivals) <= groupEvents) {
		events += len(g.queue[n].arrivals)
		n++
	}
	jobs := g.queue[:n:n]
	g.queue = g.queue[n:]
	g.mu.Unlock()
	done := false
	defer func() {
		// Even if storing panicked (a bug): every request of the group is
		// answered, and the next group led.
		for _, o := range jobs {
			if !done {
				o.got, o.err = hubstore.Ingested{}, errGroupFailed
			}
			if o != j {
				o.wake <- true
			}
		}
		g.mu.Lock()
		if len(g.queue) > 0 {
			g.queue[0].wake <- false
		} else {
			g.busy = false
		}
		g.mu.Unlock()
	}()
	h.storeGroup(context.WithoutCancel(ctx), jobs)
	done = true
	return j.got, j.err
}

// groupsCommits says whether pushes are stored in groups: on SQLite, whose
// writers take turns (one commit, one fsync and one writing of the
// indexes' pages for several chunks). PostgreSQL runs the transactions of
// pushes at once, kept apart by the database, which measured faster than
// grouping them behind one leader (docs/benchmarks.md).
func (h *Hub) groupsCommits() bool { return h.st.Backend() == "sqlite" }

// errGroupFailed answers the requests of a group whose storing stopped
// short (a panic): nothing of it is acknowledged.
var errGroupFailed = errors.New("the chunks stored together could not be stored")

// storeGroup stores jobs in one transaction, or, if that fails, each in
// its own.
func (h *Hub) storeGroup(ctx context.Context, jobs []*groupJob) {
	if len(jobs) > 1 {
		chunks := make([][]hubstore.Arrival, len(jobs))
		for i, j := range jobs {
			chunks[i] = j.arrivals
		}
		got := make([]hubstore.Ingested, len(jobs))
		// One clock for the group: the latest of its requests'.
		now := jobs[0].now
		for _, j := range jobs[1:] {
			if j.now.After(now) {
				now = j.now
			}
		}
		if stored, err := h.storeChunks(ctx, chunks, now, got); stored {
			for i, j := range jobs {
				j.got, j.err = got[i], err // err: the scrub after an erasure
			}
			return
		}
	}
	for _, j := range jobs {
		j.got, j.err = h.store(ctx, j.arrivals, j.now)
	}
}
