package hub

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/fieldreg/fieldreg/internal/version"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/accept"
	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/pki"
	"github.com/fieldreg/fieldreg/sync/wire"
	"github.com/fieldreg/fieldreg/trust"
)

// TLSConfig is the hub's server TLS configuration (mutual authentication).
func (h *Hub) TLSConfig() (*tls.Config, error) {
	return pki.ServerConfig(h.caDER, h.certDER, h.tlsKey)
}

// Serve serves HTTPS on ln until ctx is done, then shuts down gracefully:
// requests in flight finish (each chunk is one transaction, so one cut short
// is simply not applied).
func (h *Hub) Serve(ctx context.Context, ln net.Listener) error {
	cfg, err := h.TLSConfig()
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h.Handler(),
		TLSConfig:         cfg,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(h.log.Handler(), slog.LevelDebug),
	}
	// The counting pass runs beside the server and stops with it; a
	// record it has not counted when the server stops stays pending.
	cctx, stopCounting := context.WithCancel(ctx)
	counting := make(chan struct{})
	go func() { h.runCounting(cctx); close(counting) }()
	defer func() { stopCounting(); <-counting }()
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	h.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if e := <-done; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

// Handler is the hub's HTTP API. It expects requests that came through the
// TLS configuration of TLSConfig (it reads the verified client certificate).
func (h *Hub) Handler() http.Handler {
	if h.IsRegion() {
		return h.regionHandler()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+wire.PathHealth, health)
	mux.Handle("POST "+wire.PathHello, h.device(h.hello))
	mux.Handle("POST "+wire.PathPush, h.device(h.push))
	mux.Handle("POST "+wire.PathPull, h.device(h.pull))
	mux.Handle("POST "+wire.PathElsewhere, h.device(h.elsewhere))
	return mux
}

// health answers /healthz with the release that is serving.
func health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, wire.Health{Status: "ok", Version: version.Version(), Commit: version.Commit(), Protocol: wire.Version})
}

// caller is an authenticated, trusted device and the deployment's trust.
type caller struct {
	id    string
	dev   *trustEntry
	trust map[string]*trustEntry
}

type trustEntry struct {
	cred    *trust.Credential
	raw     []byte
	station string
	scope   string
	revoked time.Time
}

// origin is the entry as the acceptance rule knows a device.
func (t *trustEntry) origin() accept.Origin {
	return accept.Origin{Key: t.cred.PublicKey, RevokedAt: t.revoked}
}

// loadTrust reads the credentials table. It is small (one row per device)
// and read per request, so a `reghub revoke` run beside `reghub serve`
// takes effect at the next request.
func (h *Hub) loadTrust(ctx context.Context) (map[string]*trustEntry, error) {
	rows, err := h.st.Credentials(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*trustEntry, len(rows))
	for _, r := range rows {
		// Only the hub writes this table (Enrol issues and signs each
		// credential), so the signatures are not checked again per request.
		c, err := trust.UnmarshalCredential(r.Credential)
		if err != nil {
			continue
		}
		m[r.DeviceID] = &trustEntry{cred: c, raw: r.Credential, station: r.Station, scope: r.Scope, revoked: r.RevokedAt}
	}
	return m, nil
}

// statusWriter records the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// device authenticates the caller by its verified client certificate,
// refuses unknown and revoked devices, and logs the request (device ID,
// path, status, duration: never personal data).
func (h *Hub) device(fn func(w http.ResponseWriter, r *http.Request, c *caller) (string, []any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		id, pub, ok := pki.DeviceID(r.TLS)
		attrs := []any{"path", r.URL.Path, "device", id, "remote", r.RemoteAddr}
		var msg string
		var extra []any
		defer func() {
			attrs = append(attrs, "status", sw.status, "ms", time.Since(start).Milliseconds())
			attrs = append(attrs, extra...)
			level := slog.LevelInfo
			if sw.status >= 400 {
				level = slog.LevelWarn
			}
			if msg == "" {
				msg = "request"
			}
			h.log.Log(r.Context(), level, msg, attrs...)
		}()
		if !ok {
			msg = "no client certificate"
			httpError(sw, http.StatusUnauthorized, wire.CodeUnknown, "a client certificate from this deployment is required")
			return
		}
		tr, err := h.loadTrust(r.Context())
		if err != nil {
			msg = "trust list unreadable"
			extra = []any{"err", err.Error()}
			// Most often the database is restarting or failing over:
			// the device tries again later.
			httpError(sw, http.StatusServiceUnavailable, wire.CodeInternal, "the hub cannot read its trust list; try again")
			return
		}
		dev := tr[id]
		switch {
		case dev == nil || !ed25519.PublicKey(dev.cred.PublicKey).Equal(pub):
			msg = "unknown device refused"
			httpError(sw, http.StatusForbidden, wire.CodeUnknown, "this device is not enrolled at this hub")
			return
		case !dev.revoked.IsZero() && !h.opts.Now().Before(dev.revoked):
			msg = "revoked device refused"
			httpError(sw, http.StatusForbidden, wire.CodeRevoked, "this device was revoked")
			return
		}
		msg, extra = fn(sw, r, &caller{id: id, dev: dev, trust: tr})
	})
}

func httpError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(wire.Error{Code: code, Message: msg})
}

// versionError refuses a request in another version of the sync protocol,
// saying which side is older; the asker gets the hub's version too, to put
// it in its own words.
func versionError(w http.ResponseWriter, theirs int, region bool) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(wire.Error{Code: wire.CodeVersion, Message: wire.Mismatch(theirs, wire.Version, region), Protocol: wire.Version})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// readJSON decodes a bounded JSON body; it answers 413 or 400 itself.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, wire.MaxJSONBytes)
	if err := wire.ReadJSON(r.Body, wire.MaxJSONBytes, true, v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			httpError(w, http.StatusRequestEntityTooLarge, wire.CodeTooLarge, "request too large")
		} else {
			httpError(w, http.StatusBadRequest, wire.CodeMalformed, "request malformed")
		}
		return false
	}
	return true
}

// scoped is the part of the hub's vector a device receives: every log, or
// with scope "station" the logs of its station's devices, its own, and
// HQ's (its erasures reach every device).
func (h *Hub) scoped(c *caller, v vector.Vector) vector.Vector {
	if c.dev.scope != "station" {
		return v
	}
	out := vector.Vector{}
	for k, s := range v {
		if o := c.trust[k.Origin]; k.Origin == c.id || k.Origin == trust.HQOrigin || o != nil && o.station == c.dev.station {
			out[k] = s
		}
	}
	return out
}

func (h *Hub) hello(w http.ResponseWriter, r *http.Request, c *caller) (string, []any) {
	var req wire.Hello
	if !readJSON(w, r, &req) {
		return "hello refused", nil
	}
	if req.Version != wire.Version {
		versionError(w, req.Version, false)
		return "hello refused", []any{"protocol", req.Version}
	}
	dv, err := wire.ToVector(req.Vector)
	if err != nil {
		httpError(w, http.StatusBadRequest, wire.CodeMalformed, err.Error())
		return "hello refused", nil
	}
	v, err := h.st.Heads(r.Context())
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, wire.CodeInternal, "the hub cannot read its events; try again")
		return "hello failed", []any{"err", err.Error()}
	}
	// The vector of the device's scope only: a station's tablet does not
	// learn the other posts' registration volumes. (The credentials are
	// still sent whole: the names and stations of the country's devices.)
	v = h.scoped(c, v)
	var incoming uint64
	for _, rg := range v.Missing(dv) {
		incoming += rg.To - rg.From + 1
	}
	rep := wire.HelloReply{Version: wire.Version, Device: c.id, Scope: c.dev.scope, Vector: wire.FromVector(v), Incoming: incoming,
		Time: h.opts.Now().UnixMilli()}
	for _, t := range c.trust {
		rep.Credentials = append(rep.Credentials, t.raw)
	}
	rep.Revocations, _ = h.st.GetMeta(r.Context(), metaRevocations)
	_ = h.eachDocument(r.Context(), func(k trust.DocKind, raw []byte) error {
		rep.SetDocument(k.Name(), raw)
		return nil
	})
	if rep.Prekeys, err = h.helloPrekeys(r.Context(), c, req.Prekeys); err != nil {
		httpError(w, http.StatusServiceUnavailable, wire.CodeInternal, "the hub cannot store its bundle keys; try again")
		return "hello failed", []any{"err", err.Error()}
	}
	writeJSON(w, &rep)
	return "hello", []any{"incoming", incoming}
}

// push takes one chunk of events. The chunk is read whole (it is bounded)
// and ingested: every event judged by the acceptance rule, the good ones
// stored and the bad ones quarantined with their reasons, in one
// transaction, which the chunks of other pushes arriving at the same time
// may share (group.go); the request is answered once it is committed. One
// damaged or invalid event never stops the events behind it (docs/sync.md).
func (h *Hub) push(w http.ResponseWriter, r *http.Request, c *caller) (string, []any) {
	h.group.pushing.Add(1)
	defer h.group.pushing.Add(-1)
	r.Body = http.MaxBytesReader(w, r.Body, wire.MaxPushBytes)
	fr := wire.NewReader(r.Body)
	var raw [][]byte
	for {
		b, err := fr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) || errors.Is(err, wire.ErrTooLarge) {
				httpError(w, http.StatusRequestEntityTooLarge, wire.CodeTooLarge, "chunk too large")
				return "push refused", []any{"reason", "too large"}
			}
			httpError(w, http.StatusBadRequest, wire.CodeMalformed, "chunk malformed: "+err.Error())
			return "push refused", []any{"reason", "malformed"}
		}
		raw = append(raw, b)
	}
	evs := make([]*registry.Event, len(raw))
	for i, b := range raw {
		e, err := wire.DecodeEvent(b)
		if err != nil {
			httpError(w, http.StatusBadRequest, wire.CodeMalformed, err.Error())
			return "push refused", []any{"reason", "malformed event"}
		}
		evs[i] = e
	}
	now := h.opts.Now()
	got, err := h.storeGrouped(r.Context(), h.judge(c, evs, now), now)
	h.logQuarantined(c, got)
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, wire.CodeInternal, "the hub could not store the chunk; try again")
		return "push failed", []any{"err", err.Error()}
	}
	rep := wire.PushReply{Accepted: got.Accepted, Duplicates: got.Duplicates, Flagged: got.Flagged}
	for _, q := range got.Quarantined {
		rep.Quarantined = append(rep.Quarantined, wire.Refusal{Event: q.Event, Reason: q.Reason})
	}
	v, err := h.st.Heads(r.Context())
	if err == nil {
		touched := vector.Vector{}
		for _, e := range evs {
			k := vector.Key{Origin: e.Origin, Epoch: e.Epoch}
			touched[k] = v[k]
		}
		rep.Heads = wire.FromVector(touched)
	}
	writeJSON(w, &rep)
	return "push", []any{"events", len(evs), "accepted", rep.Accepted, "duplicates", rep.Duplicates, "quarantined", len(rep.Quarantined), "flagged", rep.Flagged}
}

// rule is the acceptance rule (registry/accept) of events arriving from
// caller c: its trust list, the deployment's country and records key.
func (h *Hub) rule(c *caller) *accept.Rule {
	return &accept.Rule{Country: h.auth.Country, Records: h.records, Origin: func(id string) (accept.Origin, bool) {
		o := c.trust[id]
		if o == nil {
			return accept.Origin{}, false
		}
		return o.origin(), true
	}}
}

// ingest judges a chunk delivered by c (the acceptance rule, on every
// core) and stores it through the storage layer (hubstore.Tx.Ingest):
// the good events stored, the bad ones quarantined with their reasons, in
// one transaction. The slot of a refused event is known lost when it was
// signed by its origin or delivered by it (accept.Verdict.LosesSlot).
func (h *Hub) ingest(ctx context.Context, c *caller, evs []*registry.Event, now time.Time) (hubstore.Ingested, error) {
	return h.storeJudged(ctx, c, h.judge(c, evs, now), now)
}

// judge is the first half of ingest: the acceptance rule's verdict on each
// event of a chunk, as the arrivals to store. It reads nothing stored, so
// it may run while the chunk before is being stored.
func (h *Hub) judge(c *caller, evs []*registry.Event, now time.Time) []hubstore.Arrival {
	verdicts := h.rule(c).CheckAll(evs)
	arrivals := make([]hubstore.Arrival, len(evs))
	for i, e := range evs {
		v := verdicts[i]
		arrivals[i] = hubstore.Arrival{Event: e, Reason: v.Reason(), Lost: v.LosesSlot(e, c.id),
			Future: e.HLC.Time().After(now.Add(wire.FutureSkew))}
	}
	return arrivals
}

// storeJudged is the second half of ingest: it stores the judged arrivals
// of a chunk delivered by c and logs the quarantined ones.
func (h *Hub) storeJudged(ctx context.Context, c *caller, arrivals []hubstore.Arrival, now time.Time) (hubstore.Ingested, error) {
	got, err := h.store(ctx, arrivals, now)
	h.logQuarantined(c, got)
	return got, err
}

// logQuarantined logs the events of a chunk delivered by c that were
// quarantined (event IDs and reasons only).
func (h *Hub) logQuarantined(c *caller, got hubstore.Ingested) {
	for _, q := range got.Quarantined {
		h.log.Warn("event quarantined", "device", c.id, "event", q.Event.String(), "reason", q.Reason)
	}
}

// store stores arrivals in one transaction (hubstore.Tx.Ingest), which
// marks the records of the new events pending, and wakes the counting
// pass (stats.go): the chunk is acknowledged without waiting for its
// records to be counted.
//
// An erased record does not come back: its arriving events are stored
// without payloads, and erase events erase their records in the same
// transaction (erase.go). A record is counted before it is erased, with
// the chunk's events of it, as if the pass had run: the counts a record
// was counted with stay.
func (h *Hub) store(ctx context.Context, arrivals []hubstore.Arrival, now time.Time) (hubstore.Ingested, error) {
	got := make([]hubstore.Ingested, 1)
	_, err := h.storeChunks(ctx, [][]hubstore.Arrival{arrivals}, now, got)
	return got[0], err
}

// storeChunks stores several judged chunks in one transaction (one
// commit), each as store stores one: its erasures in the same transaction
// as its events. got[i] is what was done with chunks[i]. Either every
// chunk is stored or none is: stored says which (an error with stored
// true is the scrub after an erasure, which failed once committed).
func (h *Hub) storeChunks(ctx context.Context, chunks [][]hubstore.Arrival, now time.Time, got []hubstore.Ingested) (stored bool, err error) {
	erasing := make([][]string, len(chunks))
	scrub := false
	for i, arrivals := range chunks {
		erasing[i] = erasedRecords(arrivals)
		scrub = scrub || len(erasing[i]) > 0
	}
	accepted := 0
	err = h.st.Update(ctx, func(tx hubstore.Tx) error {
		accepted = 0
		for i, arrivals := range chunks {
			g, err := h.storeIn(ctx, tx, arrivals, erasing[i], now)
			if err != nil {
				return err
			}
			got[i] = g
			accepted += g.Accepted
		}
		return nil
	})
	if err != nil {
		clear(got)
		return false, err
	}
	if accepted > 0 {
		select {
		case h.stored <- struct{}{}:
		default: // the pass is woken already
		}
	}
	if scrub {
		err = h.st.Scrub(ctx)
	}
	return true, err
}

// storeIn stores one judged chunk in tx; erasing are its erased records
// (erasedRecords).
func (h *Hub) storeIn(ctx context.Context, tx hubstore.Tx, arrivals []hubstore.Arrival, erasing []string, now time.Time) (hubstore.Ingested, error) {
	// What was stored of them before (their statistics stop at the
	// erase event, which the fold sees once stored)...
	if err := h.countRecords(ctx, tx, erasing); err != nil {
		return hubstore.Ingested{}, err
	}
	kept, err := h.takeErasures(ctx, tx, arrivals, now)
	if err != nil {
		return hubstore.Ingested{}, err
	}
	got, err := tx.Ingest(kept, now)
	if err != nil {
		return hubstore.Ingested{}, err
	}
	// ...then the occupancy events of this chunk, before the erasure
	// takes the person's stay out again.
	if err := h.countRecords(ctx, tx, erasing); err != nil {
		return hubstore.Ingested{}, err
	}
	return got, h.applyErasures(ctx, tx, kept, now)
}

// erasedRecords lists, in order, the records of the erase events among
// arrivals that passed the acceptance rule.
func erasedRecords(arrivals []hubstore.Arrival) []string {
	var ids []string
	for _, a := range arrivals {
		if e := a.Event; a.Reason == "" && e.Op == registry.OpErase && !e.Erased() {
			ids = append(ids, e.Record)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// pull streams the next chunk of what the device lacks within its scope:
// events are read from the database and written one at a time, so memory
// does not grow with the backlog.
func (h *Hub) pull(w http.ResponseWriter, r *http.Request, c *caller) (string, []any) {
	release, ok := h.takePull(w)
	if !ok {
		return "pull busy", nil
	}
	defer release()
	var req wire.PullRequest
	if !readJSON(w, r, &req) {
		return "pull refused", nil
	}
	dv, err := wire.ToVector(req.Vector)
	if err != nil {
		httpError(w, http.StatusBadRequest, wire.CodeMalformed, err.Error())
		return "pull refused", nil
	}
	max := req.MaxEvents
	if max <= 0 || max > wire.MaxChunkEvents {
		max = wire.MaxChunkEvents
	}
	v, err := h.st.Heads(r.Context())
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, wire.CodeInternal, "the hub cannot read its events; try again")
		return "pull failed", []any{"err", err.Error()}
	}
	w.Header().Set("Content-Type", "application/x-fieldreg-events")
	fw := wire.NewWriter(w)
	n, size, more := 0, 0, false
	var holes []registry.EventID
	errFull := errors.New("chunk full")
	for _, rg := range h.scoped(c, v).Missing(dv) {
		last := rg.From - 1 // the last seq of rg the chunk covers
		err := h.st.EventRange(r.Context(), rg, func(e *registry.Event) error {
			b := wire.EncodeEvent(e)
			if n >= max || n > 0 && size+len(b) > wire.MaxChunkBytes {
				more = true
				return errFull
			}
			n++
			size += len(b)
			last = e.Seq
			return fw.Event(b)
		})
		if err != nil && !errors.Is(err, errFull) {
			// The trailer is missing, so the device discards the partial chunk.
			return "pull cut", []any{"err", err.Error(), "events", n}
		}
		if !more {
			last = rg.To
		}
		// The lost slots the chunk passes over travel in its trailer, so
		// the device's vector can pass them as the hub's does.
		if last >= rg.From {
			lost, herr := h.st.Holes(r.Context(), rg.Key, rg.From, last, wire.MaxTrailerHoles-len(holes))
			if herr != nil {
				return "pull cut", []any{"err", herr.Error(), "events", n}
			}
			holes = append(holes, lost...)
		}
		if more {
			break
		}
		if len(holes) >= wire.MaxTrailerHoles {
			more = true
			break
		}
	}
	if err := fw.CloseWithHoles(more, holes); err != nil {
		return "pull cut", []any{"err", err.Error(), "events", n}
	}
	if !more {
		// The device now holds everything: that is its last complete sync.
		_ = h.st.TouchCredential(r.Context(), c.id, h.opts.Now())
	}
	return "pull", []any{"events", n, "more", more}
}
