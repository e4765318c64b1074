package hub

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"filippo.io/age"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/client"
	"github.com/fieldreg/fieldreg/sync/federation"
	"github.com/fieldreg/fieldreg/sync/hubstore"
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

// loadFederation reads the hub's role and, for a country hub that joined a
// region, unseals its federation package with the hub key.
func (h *Hub) loadFederation(ctx context.Context, master *seal.Key) error {
	role, _ := h.meta(ctx, metaRole)
	h.fed.role = string(role)
	if h.fed.role == RoleRegion {
		return nil
	}
	b, err := h.st.GetMeta(ctx, metaSealedFed)
	if err != nil || b == nil {
		return nil
	}
	pt, err := seal.Open(master, b, seal.AD("hub", "federation"))
	if err != nil {
		return fmt.Errorf("hub keys damaged: federation package: %w", err)
	}
	defer clear(pt)
	h.fed.pkg, err = federation.Unmarshal(pt)
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

// openRecord folds a record's events in memory; an erased record is
// hubstore.ErrNotFound.
func (h *Hub) openRecord(ctx context.Context, id string) (*registry.Record, error) {
	evs, err := h.st.RecordEvents(ctx, id)
	if err != nil {
		return nil, err
	}
	opened := make([]registry.Opened, 0, len(evs))
	for _, e := range evs {
		if e.Erased() || e.Op == registry.OpErase {
			continue // an erased record's events: nothing to fold
		}
		c, err := e.OpenChange(h.records)
		if err != nil {
			return nil, err
		}
		opened = append(opened, registry.Opened{Event: e, Change: c})
	}
	if len(opened) == 0 {
		return nil, fmt.Errorf("record %s: %w", id, hubstore.ErrNotFound)
	}
	return registry.Fold(id, opened)
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
	if h.IsRegion() {
		cs, err := h.st.FedCountries(ctx)
		if err != nil {
			return nil, err
		}
		st := &FedStatus{Role: RoleRegion}
		for _, c := range cs {
			st.Countries = append(st.Countries, FedCountry(c))
		}
		return st, nil
	}
	region, url, sharing := h.Federation()
	if region == "" {
		return &FedStatus{}, nil
	}
	st := &FedStatus{Role: "country", Region: region, URL: url, Sharing: sharing}
	var err error
	st.Unpushed, err = h.st.CountUnpushed(ctx)
	return st, err
}
