package hub

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"filippo.io/age"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/client"
	"github.com/fieldreg/fieldreg/sync/enrol"
	"github.com/fieldreg/fieldreg/sync/federation"
	"github.com/fieldreg/fieldreg/sync/pki"
	"github.com/fieldreg/fieldreg/sync/wire"
	"github.com/fieldreg/fieldreg/trust"
)

// Federation: a regional hub (the regional joint database) admits country
// hubs; a country hub pushes index entries of its records upstream and asks
// the region on behalf of its devices. See docs/federation.md.

const (
	metaRole      = "hub:role"              // "region" for the regional joint database; absent for a country hub
	metaSealedFed = "hub:sealed:federation" // a country hub's federation package, sealed under the hub key
	// metaDetailsKey is the region's age X25519 identity for full-sharing
	// details, sealed under a key derived from the authority's root seed
	// (itself sealed under the operator's passphrase), as the bundle key.
	metaDetailsKey = "hub:sealed:fed_details_key"
	// RoleRegion is the role of the regional joint database.
	RoleRegion = "region"
	// scopeCountry is the scope of a country hub's credential at the region.
	scopeCountry = "country"
	// pushBatch bounds the records of one upstream push (each at most
	// federation.MaxKeys tokens, so a batch stays under wire.MaxJSONBytes).
	pushBatch = 100
	// maxHits bounds the hits of one answer.
	maxHits = 50
	// maxPerToken bounds the rows one token may pull in (a very common name
	// key); the others still count.
	maxPerToken = 5000
)

// Errors of federation.
var (
	ErrNotRegion    = errors.New("this hub is not a regional hub (reghub init --region)")
	ErrRegion       = errors.New("this is a regional hub: it holds no country's records")
	ErrNotFederated = errors.New("this hub has not joined a regional joint database (reghub federate --join)")
)

// federationState is a hub's federation role and, for a country hub, its
// package and upstream client.
type federationState struct {
	role string
	pkg  *federation.Package
	mu   sync.Mutex
	url  string // upstream URL override
	up   *client.Client
	// push serialises upstream pushes in this process.
	push sync.Mutex
	// details is the region's identity for full-sharing details, once loaded.
	details *age.X25519Identity
}

const regionSchema = `
CREATE TABLE IF NOT EXISTS fed_records(country TEXT NOT NULL, ref TEXT NOT NULL, day TEXT NOT NULL, place TEXT NOT NULL,
	category TEXT NOT NULL, updated INTEGER NOT NULL, PRIMARY KEY(country, ref)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fed_tokens(token BLOB NOT NULL, country TEXT NOT NULL, ref TEXT NOT NULL, kind TEXT NOT NULL,
	PRIMARY KEY(token, country, ref)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS fed_tokens_ref ON fed_tokens(country, ref);
CREATE TABLE IF NOT EXISTS fed_countries(client TEXT PRIMARY KEY, country TEXT NOT NULL, sharing TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fed_details(country TEXT NOT NULL, ref TEXT NOT NULL, sealed BLOB NOT NULL, PRIMARY KEY(country, ref)) WITHOUT ROWID;`

const countrySchema = `
CREATE TABLE IF NOT EXISTS fed_pushed(record TEXT PRIMARY KEY, n INTEGER NOT NULL, h INTEGER NOT NULL) WITHOUT ROWID;`

// loadFederation reads the hub's role and, for a country hub that joined a
// region, unseals its federation package with the hub key.
func (h *Hub) loadFederation(master *seal.Key) error {
	role, _ := h.st.GetMeta(metaRole)
	h.fed.role = string(role)
	if h.fed.role == RoleRegion {
		_, err := h.st.DB().Exec(regionSchema)
		return err
	}
	b, err := h.st.GetMeta(metaSealedFed)
	if err != nil || b == nil {
		return nil
	}
	pt, err := seal.Open(master, b, seal.AD("hub", "federation"))
	if err != nil {
		return fmt.Errorf("hub keys damaged: federation package: %w", err)
	}
	defer clear(pt)
	if h.fed.pkg, err = federation.Unmarshal(pt); err != nil {
		return err
	}
	_, err = h.st.DB().Exec(countrySchema)
	return err
}

// IsRegion reports whether the hub is the regional joint database.
func (h *Hub) IsRegion() bool { return h.fed.role == RoleRegion }

// Federation returns the region and sharing mode a country hub joined
// ("" when it has not joined).
func (h *Hub) Federation() (region, url, sharing string) {
	if p := h.fed.pkg; p != nil {
		return p.Region, h.upstreamURL(), p.Sharing
	}
	return "", "", ""
}

func (h *Hub) wipeFederation() {
	if p := h.fed.pkg; p != nil {
		p.Wipe()
	}
	if h.fed.up != nil {
		h.fed.up.Close()
	}
}

// CountryEnrolment is a made federation package for a country hub.
type CountryEnrolment struct {
	ClientID string
	Code     string // the one-time code (tell it to the country's operator; never store it)
	File     []byte
}

// EnrolCountrySharing (regional hub) admits a country hub: a credential and
// mTLS client certificate issued by the regional authority, the regional
// hub's pinned certificate, the shared index key and the sharing mode (with,
// for full sharing, the region's details recipient), sealed under a new
// one-time code. regionURL is where country hubs reach the region (default:
// the URL given at init). The region keeps the mode per country client:
// what it accepts from the country and what its hits carry follow it.
// Admitting a country index-only drops the details it sent under an earlier
// full-sharing package.
func (h *Hub) EnrolCountrySharing(country, regionURL, sharing string) (*CountryEnrolment, error) {
	if !h.IsRegion() {
		return nil, ErrNotRegion
	}
	country = strings.ToUpper(strings.TrimSpace(country))
	if !trust.ValidCountry(country) {
		return nil, fmt.Errorf("country must be an ISO 3166-1 alpha-3 code like BIH, got %q", country)
	}
	if err := federation.CheckSharing(sharing); err != nil {
		return nil, err
	}
	if regionURL == "" {
		regionURL = h.url
	}
	devs, err := h.Devices()
	if err != nil {
		return nil, err
	}
	for _, d := range devs {
		if d.Scope == scopeCountry && d.Station == country && d.RevokedAt.IsZero() {
			return nil, fmt.Errorf("%s already takes part (revoke %q first to issue a new package)", country, d.Name)
		}
	}
	now := h.opts.Now()
	id, err := trust.NewDeviceID(nil)
	if err != nil {
		return nil, err
	}
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	defer clear(priv)
	cred := h.auth.IssueCredential(id, "hub "+country, country, pub, now, 5*365*24*time.Hour)
	cert, err := pki.ClientCert(h.auth, h.caDER, cred)
	if err != nil {
		return nil, err
	}
	p := &federation.Package{Region: h.auth.Country, Country: country, ClientID: id, SignSeed: priv.Seed(), ClientCert: cert,
		RegionURL: regionURL, RegionCert: h.certDER, IndexKey: bytes.Clone(h.auth.IndexKey), Sharing: sharing, Issued: now.Unix()}
	defer p.Wipe()
	if sharing == federation.SharingFull {
		di, err := h.detailsIdentity()
		if err != nil {
			return nil, err
		}
		p.DetailsRecipient = di.Recipient().String()
	}
	code, err := enrol.NewCode(nil)
	if err != nil {
		return nil, err
	}
	file, err := federation.Seal(p, code, *h.opts.Params)
	if err != nil {
		return nil, err
	}
	err = h.st.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.PutCredential(store.CredentialRow{DeviceID: id, Credential: cred.Marshal(), Station: country, Scope: scopeCountry, Enrolled: now}); err != nil {
			return err
		}
		if _, err := tx.Exec("INSERT OR REPLACE INTO fed_countries(client, country, sharing) VALUES(?, ?, ?)", id, country, sharing); err != nil {
			return err
		}
		if sharing == federation.SharingIndex {
			_, err := tx.Exec("DELETE FROM fed_details WHERE country = ?", country)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	h.log.Info("country hub admitted", "client", id, "country", country, "sharing", sharing)
	return &CountryEnrolment{ClientID: id, Code: code, File: file}, nil
}

// detailsIdentity (region) is the age identity full-sharing countries
// encrypt their records' data sets to. It is made on first use and stored
// sealed under a key derived from the authority's root seed, which is
// itself sealed under the operator's passphrase: the region's data
// directory alone does not open the details.
func (h *Hub) detailsIdentity() (*age.X25519Identity, error) {
	h.fed.mu.Lock()
	defer h.fed.mu.Unlock()
	if h.fed.details != nil {
		return h.fed.details, nil
	}
	id, err := h.sealedIdentity("fieldreg region details key seal v1", metaDetailsKey, "fed_details_key")
	if err != nil {
		return nil, err
	}
	h.fed.details = id
	return id, nil
}

// countrySharing (region) is the sharing mode the regional authority
// admitted a country client with (index for clients admitted before modes
// were recorded).
func (h *Hub) countrySharing(ctx context.Context, client string) (string, error) {
	var s string
	err := h.st.DB().QueryRowContext(ctx, "SELECT sharing FROM fed_countries WHERE client = ?", client).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return federation.SharingIndex, nil
	}
	return s, err
}

// unwrapMaster unwraps the hub key with the operator's passphrase.
func unwrapMaster(st *store.Store, passphrase []byte) (*seal.Key, error) {
	b, err := st.GetMeta(metaWrap)
	if err != nil {
		return nil, ErrNotInitialised
	}
	w, err := vault.UnmarshalWrap(b)
	if err != nil {
		return nil, err
	}
	k, err := w.Unwrap(passphrase)
	if errors.Is(err, vault.ErrWrongPassphrase) {
		return nil, ErrWrongPass
	}
	return k, err
}

// Federate stores a federation package (from the regional authority, opened
// with its code) in a country hub, sealed under the hub key. Joining again
// replaces the package (a renewed credential); what was already pushed is
// not sent again.
func Federate(dir string, passphrase, file []byte, code string, opts Options) (*federation.Package, error) {
	h, err := Open(dir, passphrase, opts)
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
	master, err := unwrapMaster(h.st, passphrase)
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
	if err := h.st.Update(context.Background(), func(tx *store.Tx) error {
		if repush {
			if _, err := tx.Exec("DELETE FROM fed_pushed"); err != nil {
				return err
			}
		}
		return tx.PutMeta(metaSealedFed, sealed)
	}); err != nil {
		return nil, err
	}
	if _, err := h.st.DB().Exec(countrySchema); err != nil {
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
	if v, err := h.st.GetMeta(metaFedTokens); err == nil && string(v) == want {
		return nil
	}
	return h.st.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec("DELETE FROM fed_pushed"); err != nil {
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
		type pending struct {
			record string
			n, hlc int64
		}
		rows, err := h.st.DB().QueryContext(ctx, `SELECT e.record, COUNT(*), MAX(e.hlc) FROM events e
			LEFT JOIN fed_pushed p ON p.record = e.record
			WHERE e.record > ? GROUP BY e.record
			HAVING p.record IS NULL OR p.n != COUNT(*) OR p.h != MAX(e.hlc) ORDER BY e.record LIMIT ?`, after, batchSize)
		if err != nil {
			return rep, err
		}
		var batch []pending
		for rows.Next() {
			var p pending
			if err := rows.Scan(&p.record, &p.n, &p.hlc); err != nil {
				rows.Close()
				return rep, err
			}
			batch = append(batch, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return rep, err
		}
		if len(batch) == 0 {
			return rep, nil
		}
		after = batch[len(batch)-1].record
		tr, err := h.loadTrust()
		if err != nil {
			return rep, err
		}
		req := &wire.FedPush{Version: wire.Version}
		for _, p := range batch {
			e, err := h.fedEntry(p.record, tr)
			if err == nil {
				// What the region would refuse is not sent: one such entry
				// fails its whole batch, at every push, and nothing after
				// it would ever reach the region.
				err = checkEntry(e)
			}
			if err != nil {
				rep.Skipped++
				h.log.Warn("record not sent upstream", "record", p.record, "err", err.Error())
				continue
			}
			req.Entries = append(req.Entries, *e)
		}
		if len(req.Entries) > 0 {
			if _, err := up.FedPush(ctx, req); err != nil {
				return rep, err
			}
		}
		h.writeMu.Lock()
		err = h.st.Update(ctx, func(tx *store.Tx) error {
			for _, p := range batch {
				if _, err := tx.Exec("INSERT OR REPLACE INTO fed_pushed(record, n, h) VALUES(?, ?, ?)", p.record, p.n, p.hlc); err != nil {
					return err
				}
			}
			return nil
		})
		h.writeMu.Unlock()
		if err != nil {
			return rep, err
		}
		rep.Records += len(req.Entries)
	}
}

// openRecord folds a record's events in memory.
func (h *Hub) openRecord(id string) (*registry.Record, error) {
	evs, err := h.st.RecordEvents(id)
	if err != nil {
		return nil, err
	}
	opened := make([]registry.Opened, 0, len(evs))
	for _, e := range evs {
		c, err := e.OpenChange(h.records)
		if err != nil {
			return nil, err
		}
		opened = append(opened, registry.Opened{Event: e, Change: c})
	}
	return registry.Fold(id, opened)
}

// fedEntry is the index entry of one record: tokens of its blocking keys
// under the shared index key, its registration date, the station of the
// device that registered it, and its category. In full sharing it also
// carries the record's Eurodac data set (as the export builds it, without
// the photo) encrypted to the region's recipient.
func (h *Hub) fedEntry(id string, tr map[string]*trustEntry) (*wire.FedEntry, error) {
	r, err := h.openRecord(id)
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
	if !h.ask.allow(w, c.id) {
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
	writeJSON(w, rep)
	return "elsewhere", []any{"hits", len(rep.Hits)}
}

// regionHandler is the regional hub's API: country hubs only.
func (h *Hub) regionHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+wire.PathHealth, health)
	mux.Handle("POST "+wire.PathFedPush, h.device(h.countryOnly(h.fedPush)))
	mux.Handle("POST "+wire.PathFedQuery, h.device(h.countryOnly(h.fedQuery)))
	return mux
}

func (h *Hub) countryOnly(fn func(w http.ResponseWriter, r *http.Request, c *caller) (string, []any)) func(w http.ResponseWriter, r *http.Request, c *caller) (string, []any) {
	return func(w http.ResponseWriter, r *http.Request, c *caller) (string, []any) {
		if c.dev.scope != scopeCountry {
			httpError(w, http.StatusForbidden, wire.CodeUnknown, "only country hubs may use the regional joint database")
			return "not a country hub", nil
		}
		return fn(w, r, c)
	}
}

var (
	dayRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	refRE = regexp.MustCompile(`^[\x21-\x7e]{1,64}$`)
)

func checkEntry(e *wire.FedEntry) error {
	switch {
	case !refRE.MatchString(e.Ref):
		return errors.New("reference malformed")
	case e.Date != "" && !dayRE.MatchString(e.Date):
		return errors.New("date malformed")
	case len(e.Place) > 64 || strings.ContainsFunc(e.Place, func(r rune) bool { return r < 0x20 }):
		return errors.New("place malformed")
	case e.Category != "" && !slices.Contains(registry.Categories, e.Category):
		return errors.New("category unknown")
	}
	return federation.CheckTokens(e.Tokens)
}

// fedPush (region) upserts a country's index entries in one transaction,
// keyed by (country, reference): a record sent again replaces its tokens.
func (h *Hub) fedPush(w http.ResponseWriter, r *http.Request, c *caller) (string, []any) {
	var req wire.FedPush
	if !readJSON(w, r, &req) {
		return "federation push refused", nil
	}
	if req.Version != wire.Version {
		versionError(w, req.Version, true)
		return "federation push refused", []any{"protocol", req.Version}
	}
	if len(req.Entries) > wire.MaxFedEntries {
		httpError(w, http.StatusRequestEntityTooLarge, wire.CodeTooLarge, fmt.Sprintf("more than %d entries", wire.MaxFedEntries))
		return "federation push refused", nil
	}
	country := c.dev.station
	sharing, err := h.countrySharing(r.Context(), c.id)
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, wire.CodeInternal, "the regional hub could not store the entries; try again")
		return "federation push failed", []any{"err", err.Error()}
	}
	for i := range req.Entries {
		e := &req.Entries[i]
		err := checkEntry(e)
		if err == nil && len(e.Details) > 0 {
			err = h.checkDetails(country, sharing, e)
		}
		if err != nil {
			httpError(w, http.StatusBadRequest, wire.CodeMalformed, fmt.Sprintf("entry %d: %v; nothing was applied", i, err))
			return "federation push refused", nil
		}
	}
	now := h.opts.Now().Unix()
	h.writeMu.Lock()
	err = h.st.Update(r.Context(), func(tx *store.Tx) error {
		for _, e := range req.Entries {
			if _, err := tx.Exec("DELETE FROM fed_tokens WHERE country = ? AND ref = ?", country, e.Ref); err != nil {
				return err
			}
			if len(e.Details) > 0 {
				if _, err := tx.Exec("INSERT OR REPLACE INTO fed_details(country, ref, sealed) VALUES(?, ?, ?)", country, e.Ref, e.Details); err != nil {
					return err
				}
			} else if _, err := tx.Exec("DELETE FROM fed_details WHERE country = ? AND ref = ?", country, e.Ref); err != nil {
				return err
			}
			if _, err := tx.Exec("INSERT OR REPLACE INTO fed_records(country, ref, day, place, category, updated) VALUES(?, ?, ?, ?, ?, ?)",
				country, e.Ref, e.Date, e.Place, e.Category, now); err != nil {
				return err
			}
			for _, t := range e.Tokens {
				if _, err := tx.Exec("INSERT OR IGNORE INTO fed_tokens(token, country, ref, kind) VALUES(?, ?, ?, ?)", t.Token, country, e.Ref, t.Kind); err != nil {
					return err
				}
			}
		}
		return nil
	})
	h.writeMu.Unlock()
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, wire.CodeInternal, "the regional hub could not store the entries; try again")
		return "federation push failed", []any{"err", err.Error()}
	}
	// The country hub's last exchange, shown by reghub status at the region.
	_ = h.st.TouchCredential(c.id, h.opts.Now())
	writeJSON(w, &wire.FedPushReply{Upserted: len(req.Entries)})
	return "federation push", []any{"country", country, "entries", len(req.Entries), "sharing", sharing}
}

// checkDetails (region) refuses an entry's details unless the country was
// admitted in full sharing and they open, with the region's key, as a data
// set of this country's record e.Ref without a photo. The plaintext is
// read in memory only and cleared.
func (h *Hub) checkDetails(country, sharing string, e *wire.FedEntry) error {
	if sharing != federation.SharingFull {
		return errors.New("this country was admitted for index-only sharing: entries must not carry details")
	}
	id, err := h.detailsIdentity()
	if err != nil {
		return err
	}
	pt, err := federation.OpenDetails(id, country, e.Ref, e.Details)
	if err != nil {
		return err
	}
	defer clear(pt)
	d, err := parseDetails(pt)
	if err != nil {
		return err
	}
	defer clear(d.FacialImageJPEGOrPNG)
	switch {
	case d.ReferenceNumber != e.Ref || d.MemberStateOfOrigin != country:
		return errors.New("the details are of another record")
	case len(d.FacialImageJPEGOrPNG) > 0:
		return errors.New("the details carry a photo: full sharing sends none")
	}
	return nil
}

// parseDetails decodes a data set (the export's record structure). Fields
// this build does not know are ignored, so country hubs and the region may
// be upgraded one at a time; hits carry only wire.HitDetails.
func parseDetails(b []byte) (*EurodacRecord, error) {
	var d EurodacRecord
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, errors.New("the details are not a Eurodac data set")
	}
	return &d, nil
}

// hitDetails (region) opens the details of a hit record for an asker that
// shares in full; nil when the owner sent none (index-only) or they do not
// open (logged without values).
func (h *Hub) hitDetails(ctx context.Context, country, ref string) *wire.HitDetails {
	var sealed []byte
	err := h.st.DB().QueryRowContext(ctx, "SELECT sealed FROM fed_details WHERE country = ? AND ref = ?", country, ref).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	var d *EurodacRecord
	if err == nil {
		var id *age.X25519Identity
		if id, err = h.detailsIdentity(); err == nil {
			var pt []byte
			if pt, err = federation.OpenDetails(id, country, ref, sealed); err == nil {
				d, err = parseDetails(pt)
				clear(pt)
			}
		}
	}
	if err != nil {
		h.log.Warn("hit details left out", "country", country, "ref", ref, "err", err.Error())
		return nil
	}
	out := &wire.HitDetails{Surnames: d.Surnames, Forenames: d.Forenames, NameInOriginalScript: d.NameInOriginalScript,
		OtherNames: d.NamesAtBirthAndPrevious, Sex: d.Sex, DateOfBirth: d.DateOfBirth, DateOfBirthEstimated: d.DateOfBirthEstimated, PlaceOfBirth: d.PlaceOfBirth, Nationalities: d.Nationalities}
	if t := d.TravelDocument; t != nil {
		out.TravelDocument = &wire.HitDocument{Type: t.Type, Number: t.Number, IssuingCountry: t.IssuingCountry, Expiry: t.Expiry}
	}
	return out
}

// fedQuery (region) answers hit or no-hit for a person's tokens, leaving out
// the asking country's own records. The tokens are used in memory and not
// kept or logged.
func (h *Hub) fedQuery(w http.ResponseWriter, r *http.Request, c *caller) (string, []any) {
	var req wire.FedQuery
	if !readJSON(w, r, &req) {
		return "federation query refused", nil
	}
	if req.Version != wire.Version {
		versionError(w, req.Version, true)
		return "federation query refused", []any{"protocol", req.Version}
	}
	if err := federation.CheckTokens(req.Tokens); err != nil || len(req.Tokens) == 0 {
		httpError(w, http.StatusBadRequest, wire.CodeMalformed, "query malformed: between 1 and 512 well-formed tokens are needed")
		return "federation query refused", nil
	}
	if !h.ask.allow(w, c.id) {
		return "federation query limited", nil
	}
	sharing, err := h.countrySharing(r.Context(), c.id)
	var hits []wire.Hit
	var more bool
	if err == nil {
		hits, more, err = h.RegionQuery(r.Context(), c.dev.station, req.Exclude, req.Tokens)
	}
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, wire.CodeInternal, "the regional hub could not answer; try again")
		return "federation query failed", []any{"err", err.Error()}
	}
	// Reciprocity: details go only to a country that itself shares in full,
	// and only of records whose owner shared them.
	details := 0
	if sharing == federation.SharingFull {
		for i := range hits {
			if hits[i].Details = h.hitDetails(r.Context(), hits[i].Country, hits[i].Ref); hits[i].Details != nil {
				details++
			}
		}
	}
	writeJSON(w, &wire.ElsewhereReply{Region: h.auth.Country, Hits: hits, More: more})
	return "federation query", []any{"country", c.dev.station, "hits", len(hits), "with_details", details}
}

// RegionQuery (region) finds the records of other countries than asker that
// share tokens making a hit (federation.Shared.Hit).
func (h *Hub) RegionQuery(ctx context.Context, asker, exclude string, tokens []federation.Token) (hits []wire.Hit, more bool, err error) {
	if !h.IsRegion() {
		return nil, false, ErrNotRegion
	}
	// One query per token, joined with the record's metadata: a common name
	// can bring thousands of candidate records, and each is read once.
	type key struct{ country, ref string }
	type cand struct {
		shared federation.Shared
		hit    wire.Hit
	}
	cands := map[key]*cand{}
	stmt, err := h.st.DB().PrepareContext(ctx, `SELECT t.country, t.ref, t.kind, r.day, r.place, r.category
		FROM fed_tokens t JOIN fed_records r ON r.country = t.country AND r.ref = t.ref
		WHERE t.token = ? AND t.country != ? LIMIT ?`)
	if err != nil {
		return nil, false, err
	}
	defer stmt.Close()
	seen := map[string]bool{}
	for _, t := range tokens {
		if seen[string(t.Token)] {
			continue
		}
		seen[string(t.Token)] = true
		rows, err := stmt.QueryContext(ctx, t.Token, asker, maxPerToken)
		if err != nil {
			return nil, false, err
		}
		for rows.Next() {
			var hit wire.Hit
			var kind string
			if err := rows.Scan(&hit.Country, &hit.Ref, &kind, &hit.Date, &hit.Place, &hit.Category); err != nil {
				rows.Close()
				return nil, false, err
			}
			if hit.Ref == exclude {
				continue
			}
			k := key{hit.Country, hit.Ref}
			c := cands[k]
			if c == nil {
				c = &cand{hit: hit}
				cands[k] = c
			}
			c.shared.Add(kind)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, false, err
		}
	}
	type found struct {
		hit      wire.Hit
		strength int
	}
	var all []found
	for _, c := range cands {
		if ok, why := c.shared.Hit(); ok {
			c.hit.Evidence = why
			all = append(all, found{hit: c.hit, strength: c.shared.Strength()})
		}
	}
	// Strongest evidence first, then the oldest registration (the country
	// of first entry matters most): if there are too many, the weakest and
	// then the latest are left out, and the answer says so.
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		return cmp.Or(cmp.Compare(b.strength, a.strength), cmp.Compare(a.hit.Date, b.hit.Date),
			cmp.Compare(a.hit.Country, b.hit.Country), cmp.Compare(a.hit.Ref, b.hit.Ref)) < 0
	})
	if len(all) > maxHits {
		all, more = all[:maxHits], true
	}
	hits = make([]wire.Hit, len(all))
	for i, f := range all {
		hits[i] = f.hit
	}
	return hits, more, nil
}

// FedStatus is what `reghub status` says of the federation.
type FedStatus struct {
	Role     string // "region", "country" (joined a region) or "" (not federated)
	Region   string // country hub: the region it joined
	URL      string // country hub: the region's address
	Sharing  string // country hub: its sharing mode
	Unpushed int    // country hub: records new or changed since the last acknowledged push
	// Countries (region): each admitted country hub, with its records and,
	// in full sharing, the data sets held (encrypted).
	Countries []FedCountry
}

// FedCountry is one country hub as the region knows it.
type FedCountry struct {
	Country, Client, Sharing string
	Revoked                  bool
	Records, DataSets        int
}

// FederationStatus reports the hub's part in the federation.
func (h *Hub) FederationStatus(ctx context.Context) (*FedStatus, error) {
	db := h.st.DB()
	if h.IsRegion() {
		st := &FedStatus{Role: RoleRegion}
		rows, err := db.QueryContext(ctx, `SELECT c.country, c.client, c.sharing, COALESCE(cr.revoked_at, 0),
			(SELECT COUNT(*) FROM fed_records r WHERE r.country = c.country),
			(SELECT COUNT(*) FROM fed_details d WHERE d.country = c.country)
			FROM fed_countries c LEFT JOIN credentials cr ON cr.device_id = c.client ORDER BY c.country, c.client`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var c FedCountry
			var revoked int64
			if err := rows.Scan(&c.Country, &c.Client, &c.Sharing, &revoked, &c.Records, &c.DataSets); err != nil {
				return nil, err
			}
			c.Revoked = revoked != 0
			st.Countries = append(st.Countries, c)
		}
		return st, rows.Err()
	}
	region, url, sharing := h.Federation()
	if region == "" {
		return &FedStatus{}, nil
	}
	st := &FedStatus{Role: "country", Region: region, URL: url, Sharing: sharing}
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM
		(SELECT record, COUNT(*) AS n, MAX(hlc) AS h FROM events GROUP BY record) e
		LEFT JOIN fed_pushed p ON p.record = e.record
		WHERE p.record IS NULL OR p.n != e.n OR p.h != e.h`).Scan(&st.Unpushed)
	return st, err
}
