package hub

// The country side of federation: joining a region, pushing index entries
// upstream, asking the region on behalf of the country's devices.

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/sync/client"
	"github.com/fieldreg/fieldreg/sync/federation"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// Federate stores a federation package (from the regional authority, opened
// with its code) in a country hub, sealed under the hub key. Joining again
// replaces the package (a renewed credential); what was already pushed is
// not sent again.
func Federate(ctx context.Context, dir string, passphrase, file []byte, code string, opts Options) (*federation.Package, error) {
	h, err := Open(ctx, dir, passphrase, opts)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	if h.IsRegion() {
		return nil, ErrRegion
	}
	p, err := federation.Open(file, code)
	if err != nil {
		return nil, err
	}
	defer p.Wipe()
	if p.Country != h.Country() {
		return nil, fmt.Errorf("this package admits %s, but this hub is %s's", p.Country, h.Country())
	}
	master, err := h.unwrapMaster(ctx, passphrase)
	if err != nil {
		return nil, err
	}
	defer master.Wipe()
	pt := p.Marshal()
	defer clear(pt)
	sealed, err := seal.Seal(master, pt, seal.AD("hub", "federation"))
	if err != nil {
		return nil, err
	}
	// A package with another sharing mode than the one before: every record
	// is sent again, with its details (to full) or without (to index-only,
	// which makes the region drop what it held).
	repush := h.fed.pkg != nil && h.fed.pkg.Sharing != p.Sharing
	if err := h.st.Update(ctx, func(tx hubstore.Tx) error {
		if repush {
			if err := tx.ForgetPushed(); err != nil {
				return err
			}
		}
		return tx.PutMeta(metaSealedFed, sealed)
	}); err != nil {
		return nil, err
	}
	return &federation.Package{Region: p.Region, Country: p.Country, RegionURL: p.RegionURL, Sharing: p.Sharing}, nil
}

// SetUpstream overrides the regional hub's URL from the package.
func (h *Hub) SetUpstream(url string) {
	h.fed.mu.Lock()
	defer h.fed.mu.Unlock()
	h.fed.url = url
	if h.fed.up != nil {
		h.fed.up.Close()
		h.fed.up = nil
	}
}

func (h *Hub) upstreamURL() string {
	h.fed.mu.Lock()
	defer h.fed.mu.Unlock()
	if h.fed.url != "" {
		return h.fed.url
	}
	if h.fed.pkg != nil {
		return h.fed.pkg.RegionURL
	}
	return ""
}

func (h *Hub) upstream() (*client.Client, error) {
	p := h.fed.pkg
	if p == nil {
		return nil, ErrNotFederated
	}
	url := h.upstreamURL()
	h.fed.mu.Lock()
	defer h.fed.mu.Unlock()
	if h.fed.up == nil {
		h.fed.up = client.New(client.Config{URL: url, HubCert: p.RegionCert, ClientCert: p.ClientCert,
			Key: ed25519.NewKeyFromSeed(p.SignSeed), Timeout: 30 * time.Second})
	}
	return h.fed.up, nil
}

// PushReport says what an upstream push did.
type PushReport struct {
	Records int // records sent (new or changed since their last push)
	Skipped int // records that could not be read (logged; not sent)
}

// metaFedTokens records the federation.TokensVersion of what was pushed.
const metaFedTokens = "hub:fed_tokens_version"

// resetPushedOnNewTokens forgets what was pushed when it was pushed with
// tokens of an earlier version, so every record is sent again with the
// current tokens (the region replaces a record's tokens on each push).
func (h *Hub) resetPushedOnNewTokens(ctx context.Context) error {
	want := strconv.Itoa(federation.TokensVersion)
	if v, err := h.st.GetMeta(ctx, metaFedTokens); err == nil && string(v) == want {
		return nil
	}
	return h.st.Update(ctx, func(tx hubstore.Tx) error {
		if err := tx.ForgetPushed(); err != nil {
			return err
		}
		return tx.PutMeta(metaFedTokens, []byte(want))
	})
}

// PushUpstream sends the region an index entry for every record that is new
// or changed since it was last acknowledged, in batches; each acknowledged
// batch is remembered, so an interrupted push resumes where it stopped and a
// repeated push sends nothing. Entries carry tokens and minimal metadata;
// in full sharing also the record's Eurodac data set, encrypted to the
// region (fedEntry).
func (h *Hub) PushUpstream(ctx context.Context) (PushReport, error) {
	var rep PushReport
	up, err := h.upstream()
	if err != nil {
		return rep, err
	}
	h.fed.push.Lock()
	defer h.fed.push.Unlock()
	if err := h.resetPushedOnNewTokens(ctx); err != nil {
		return rep, err
	}
	batchSize := pushBatch
	if h.fed.pkg.Sharing == federation.SharingFull {
		batchSize = pushBatch / 2 // details make entries larger
	}
	// Records are walked in ID order along the events_record index, each
	// batch starting after the last record of the one before: a push reads
	// every event once, not once per batch.
	after := ""
	for {
		batch, err := h.st.Unpushed(ctx, after, batchSize)
		if err != nil {
			return rep, err
		}
		if len(batch) == 0 {
			return rep, nil
		}
		after = batch[len(batch)-1].Record
		tr, err := h.loadTrust(ctx)
		if err != nil {
			return rep, err
		}
		req := &wire.FedPush{Version: wire.Version}
		for _, p := range batch {
			e, err := h.fedEntry(ctx, p.Record, tr)
			if err == nil {
				// What the region would refuse is not sent: one such entry
				// fails its whole batch, at every push, and nothing after
				// it would ever reach the region.
				err = checkEntry(e)
			}
			if err != nil {
				rep.Skipped++
				h.log.Warn("record not sent upstream", "record", p.Record, "err", err.Error())
				continue
			}
			req.Entries = append(req.Entries, *e)
		}
		if len(req.Entries) > 0 {
			if _, err := up.FedPush(ctx, req); err != nil {
				return rep, err
			}
		}
		err = h.st.Update(ctx, func(tx hubstore.Tx) error {
			for _, p := range batch {
				if err := tx.MarkPushed(p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
		rep.Records += len(req.Entries)
	}
}

// fedEntry is the index entry of one record: tokens of its blocking keys
// under the shared index key, its registration date, the station of the
// device that registered it, and its category. In full sharing it also
// carries the record's Eurodac data set (as the export builds it, without
// the photo) encrypted to the region's recipient.
func (h *Hub) fedEntry(ctx context.Context, id string, tr map[string]*trustEntry) (*wire.FedEntry, error) {
	if _, err := h.st.Erased(ctx, id); err == nil {
		return &wire.FedEntry{Ref: id, Erased: true}, nil
	} else if !errors.Is(err, hubstore.ErrNotFound) {
		return nil, err
	}
	r, err := h.openRecord(ctx, id)
	if err != nil {
		return nil, err
	}
	defer clear(r.Person.Photo)
	p := h.fed.pkg
	e := &wire.FedEntry{Ref: id, Date: r.Created().Time().Format(time.DateOnly), Category: r.Person.Category,
		Tokens: federation.Tokens(p.IndexKey, federation.KeysOf(&r.Person))}
	if t := tr[r.Versions[0].Event.Origin]; t != nil {
		e.Place = t.station
	}
	if p.Sharing == federation.SharingFull {
		d := h.eurodacRecord(r, tr)
		// The photo and officers' names stay in the country (docs/federation.md);
		// the operator crosses as device and officer IDs, as before.
		d.FacialImageJPEGOrPNG, d.Operator = nil, ""
		b, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		e.Details, err = federation.SealDetails(p.DetailsRecipient, h.auth.Country, id, b)
		clear(b)
		if err != nil {
			return nil, err
		}
	}
	return e, nil
}

// RunUpstream pushes upstream every interval until ctx is done, logging
// failures (the next round retries).
func (h *Hub) RunUpstream(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		start := time.Now()
		rep, err := h.PushUpstream(ctx)
		if err != nil && ctx.Err() == nil {
			h.log.Warn("upstream push failed; retrying later", "err", err.Error(), "sent", rep.Records)
		} else if rep.Records > 0 {
			h.log.Info("upstream push", "sent", rep.Records, "skipped", rep.Skipped, "ms", time.Since(start).Milliseconds())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Ask asks the region about a person's blocking keys (computed by the
// caller, who can read the person) and returns its answer. exclude is the
// asking record's reference.
func (h *Hub) Ask(ctx context.Context, keys []string, exclude string) (*wire.ElsewhereReply, error) {
	if err := federation.CheckKeys(keys); err != nil {
		return nil, err
	}
	up, err := h.upstream()
	if err != nil {
		return nil, err
	}
	return up.FedQuery(ctx, &wire.FedQuery{Version: wire.Version, Exclude: exclude, Tokens: federation.Tokens(h.fed.pkg.IndexKey, keys)})
}

// elsewhere answers a device's "was this person registered elsewhere?": it
// opens the sealed blocking keys in memory, turns them into tokens under the
// shared key, asks the region and relays its answer.
func (h *Hub) elsewhere(w http.ResponseWriter, r *http.Request, c *caller) (string, []any) {
	var req wire.ElsewhereRequest
	if !readJSON(w, r, &req) {
		return "elsewhere refused", nil
	}
	if req.Version != wire.Version {
		versionError(w, req.Version, false)
		return "elsewhere refused", []any{"protocol", req.Version}
	}
	if len(req.Record) > wire.MaxRecordLen || len(req.Sealed) == 0 || len(req.Sealed) > 256<<10 {
		httpError(w, http.StatusBadRequest, wire.CodeMalformed, "query malformed")
		return "elsewhere refused", nil
	}
	if !h.ask.allow(r.Context(), w, c.id) {
		return "elsewhere limited", nil
	}
	pt, err := seal.Open(h.records, req.Sealed, seal.AD("federation", "elsewhere", req.Record))
	if err != nil {
		httpError(w, http.StatusBadRequest, wire.CodeMalformed, "the query does not open with the deployment's records key")
		return "elsewhere refused", []any{"reason", "sealed"}
	}
	var keys []string
	err = json.Unmarshal(pt, &keys)
	clear(pt)
	if err == nil {
		err = federation.CheckKeys(keys)
	}
	if err != nil {
		httpError(w, http.StatusBadRequest, wire.CodeMalformed, "query malformed: "+err.Error())
		return "elsewhere refused", nil
	}
	if h.fed.pkg == nil {
		httpError(w, http.StatusServiceUnavailable, "not_federated", "this hub has not joined the regional joint database (if it joined since reghub serve started, restart reghub serve)")
		return "elsewhere failed", nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	rep, err := h.Ask(ctx, keys, req.Record)
	if err != nil {
		msg := "the regional joint database did not answer; ask again later"
		switch {
		case errors.Is(err, client.ErrRevoked):
			msg = "the regional joint database no longer admits this country's hub; HQ must ask the regional authority"
		case errors.Is(err, client.ErrNotEnrolled), errors.Is(err, client.ErrCertMismatch):
			msg = "the regional joint database did not accept this country's hub (its certificate, or the region's address); HQ must check it"
		}
		httpError(w, http.StatusBadGateway, "upstream", msg)
		return "elsewhere failed", []any{"err", err.Error()}
	}
	if len(rep.Hits) > 0 && req.Record != "" && !h.IsRegion() {
		// Counted in the figures; a failure to count does not withhold
		// the answer from the officer.
		if err := h.countHit(r.Context(), req.Record, stats.Day(h.opts.Now())); err != nil {
			h.log.Warn("a registered-elsewhere hit not counted in the statistics", "err", err.Error())
		}
	}
	writeJSON(w, rep)
	return "elsewhere", []any{"hits", len(rep.Hits)}
}
