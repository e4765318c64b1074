package hub

// The region side of federation: admitting country hubs, taking their
// index entries, answering their "registered elsewhere?" questions.

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/enrol"
	"github.com/fieldreg/fieldreg/sync/federation"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/pki"
	"github.com/fieldreg/fieldreg/sync/wire"
	"github.com/fieldreg/fieldreg/trust"
)

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
func (h *Hub) EnrolCountrySharing(ctx context.Context, country, regionURL, sharing string) (*CountryEnrolment, error) {
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
	devs, err := h.Devices(ctx)
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
		di, err := h.detailsIdentity(ctx)
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
	err = h.st.Update(ctx, func(tx hubstore.Tx) error {
		if err := tx.PutCredential(hubstore.CredentialRow{DeviceID: id, Credential: cred.Marshal(), Station: country, Scope: scopeCountry, Enrolled: now}); err != nil {
			return err
		}
		if err := tx.AdmitCountry(id, country, sharing); err != nil {
			return err
		}
		if sharing == federation.SharingIndex {
			return tx.DropDetails(country)
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
func (h *Hub) detailsIdentity(ctx context.Context) (*age.X25519Identity, error) {
	h.fed.mu.Lock()
	defer h.fed.mu.Unlock()
	if h.fed.details != nil {
		return h.fed.details, nil
	}
	id, err := h.sealedIdentity(ctx, "fieldreg region details key seal v1", metaDetailsKey, "fed_details_key")
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
	s, err := h.st.CountrySharing(ctx, client)
	if errors.Is(err, hubstore.ErrNotFound) {
		return federation.SharingIndex, nil
	}
	return s, err
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
	case e.Erased && (e.Date != "" || e.Place != "" || e.Category != "" || len(e.Tokens) > 0 || len(e.Details) > 0):
		return errors.New("an erased entry carries only its reference")
	case e.Erased:
		if !refRE.MatchString(e.Ref) {
			return errors.New("reference malformed")
		}
		return nil
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
			err = h.checkDetails(r.Context(), country, sharing, e)
		}
		if err != nil {
			httpError(w, http.StatusBadRequest, wire.CodeMalformed, fmt.Sprintf("entry %d: %v; nothing was applied", i, err))
			return "federation push refused", nil
		}
	}
	now := h.opts.Now()
	err = h.st.Update(r.Context(), func(tx hubstore.Tx) error {
		for _, e := range req.Entries {
			if e.Erased {
				if err := tx.DropEntry(country, e.Ref); err != nil {
					return err
				}
				continue
			}
			tokens := make([]hubstore.Token, len(e.Tokens))
			for i, t := range e.Tokens {
				tokens[i] = hubstore.Token{Token: t.Token, Kind: t.Kind}
			}
			err := tx.PutEntry(country, hubstore.Entry{Ref: e.Ref, Date: e.Date, Place: e.Place, Category: e.Category,
				Tokens: tokens, Details: e.Details}, now)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && slices.ContainsFunc(req.Entries, func(e wire.FedEntry) bool { return e.Erased }) {
		err = h.st.Scrub(r.Context())
	}
	if err != nil {
		httpError(w, http.StatusServiceUnavailable, wire.CodeInternal, "the regional hub could not store the entries; try again")
		return "federation push failed", []any{"err", err.Error()}
	}
	// The country hub's last exchange, shown by reghub status at the region.
	_ = h.st.TouchCredential(r.Context(), c.id, h.opts.Now())
	writeJSON(w, &wire.FedPushReply{Upserted: len(req.Entries)})
	return "federation push", []any{"country", country, "entries", len(req.Entries), "sharing", sharing}
}

// checkDetails (region) refuses an entry's details unless the country was
// admitted in full sharing and they open, with the region's key, as a data
// set of this country's record e.Ref without a photo. The plaintext is
// read in memory only and cleared.
func (h *Hub) checkDetails(ctx context.Context, country, sharing string, e *wire.FedEntry) error {
	if sharing != federation.SharingFull {
		return errors.New("this country was admitted for index-only sharing: entries must not carry details")
	}
	id, err := h.detailsIdentity(ctx)
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
	sealed, err := h.st.FedDetails(ctx, country, ref)
	if errors.Is(err, hubstore.ErrNotFound) {
		return nil
	}
	var d *EurodacRecord
	if err == nil {
		var id *age.X25519Identity
		if id, err = h.detailsIdentity(ctx); err == nil {
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
	if !h.ask.allow(r.Context(), w, c.id) {
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
	seen := map[string]bool{}
	for _, t := range tokens {
		if seen[string(t.Token)] {
			continue
		}
		seen[string(t.Token)] = true
		rows, err := h.st.TokenHits(ctx, t.Token, asker, maxPerToken)
		if err != nil {
			return nil, false, err
		}
		for _, row := range rows {
			hit := wire.Hit{Country: row.Country, Ref: row.Ref, Date: row.Date, Place: row.Place, Category: row.Category}
			kind := row.Kind
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
