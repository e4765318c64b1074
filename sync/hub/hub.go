// Package hub is the national hub of a fieldreg deployment: it holds the
// country authority, enrols and revokes devices, and receives and serves the
// deployment's signed events over mutually authenticated HTTPS (Handler,
// Serve). cmd/reghub is its command line.
//
// The hub stores events as they arrive: signed, with payloads sealed under
// the deployment's records key. It holds that key and can fold records (for
// the conflicts in Status), but it writes no plaintext to disk. Its own
// secrets (the authority and its TLS key) are sealed under a key wrapped by
// the operator's passphrase with Argon2id.
package hub

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/sync/client"
	"github.com/fieldreg/fieldreg/sync/enrol"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/hubstore/pg"
	"github.com/fieldreg/fieldreg/sync/hubstore/sqlite"
	"github.com/fieldreg/fieldreg/sync/pki"
	"github.com/fieldreg/fieldreg/trust"
)

// Errors callers branch on.
var (
	ErrNotInitialised = errors.New("this directory holds no hub: run 'reghub init' first")
	ErrInitialised    = errors.New("this directory already holds a hub")
	ErrWrongPass      = errors.New("wrong passphrase for this hub")
	ErrUnknownDevice  = errors.New("no such device is enrolled at this hub")
	ErrNameInUse      = errors.New("a device of that name is already enrolled (revoke it first, or choose another name)")
)

// Meta keys of the hub (in the store's meta table). None is a secret except
// the sealed ones, which are sealed under the hub key.
const (
	metaCountry     = "hub:country"
	metaWrap        = "hub:wrap"
	metaCA          = "hub:ca"
	metaCert        = "hub:cert"
	metaURL         = "hub:url"
	metaSealedAuth  = "hub:sealed:authority"
	metaSealedTLS   = "hub:sealed:tls_key"
	metaRevocations = "revocations" // CBOR trust.RevocationList, as devices keep it
)

// Options control an opened hub. The zero value is the production setting.
type Options struct {
	Now    func() time.Time // time.Now when nil
	Params *vault.Params    // Argon2id for the passphrase and enrolment codes; DefaultParams when nil
	Logger *slog.Logger     // discards when nil
	// Questions bounds the "registered elsewhere?" questions per caller
	// (limit.go); the zero value is the default for the hub's role.
	Questions QuestionLimit
	// MaxPulls bounds the pulls served at once (limit.go); DefaultMaxPulls
	// when zero.
	MaxPulls int
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Params == nil {
		p := vault.DefaultParams
		o.Params = &p
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.MaxPulls <= 0 {
		o.MaxPulls = DefaultMaxPulls
	}
	return o
}

// Hub is an opened hub directory with its keys unsealed. It is safe for
// concurrent use.
type Hub struct {
	dir     string
	st      hubstore.Store
	keys    map[string][]byte // PostgreSQL: the key settings from KeysFile (backend.go); nil on SQLite
	opts    Options
	auth    *trust.Authority
	records *seal.Key
	caDER   []byte
	certDER []byte
	tlsKey  ed25519.PrivateKey
	url     string
	log     *slog.Logger
	fed     federationState
	ask     *limiter      // questions per device (country hub) or per country hub (region)
	pulls   chan struct{} // a slot per pull being served (limit.go)
	// stations caches each device's station, for the statistics (stats.go).
	stations stationCache
	// stored wakes the counting pass after a chunk is stored (stats.go).
	stored chan struct{}
	// group queues the chunks of the pushes in flight, stored several per
	// transaction (group.go).
	group grouper
}

// InitConfig sets up a hub.
type InitConfig struct {
	Country    string   // ISO 3166-1 alpha-3
	Passphrase []byte   // protects the hub's secret keys at rest
	Hosts      []string // names and addresses the hub's certificate is valid for
	URL        string   // the address devices reach the hub at, e.g. https://hub.example:8443
	Region     bool     // the regional joint database: Country is the region's code (federation.go)
	DB         string   // a PostgreSQL address (postgres://...); "" keeps everything in dir's SQLite file
}

// Init creates a hub in dir: the country authority, its CA certificate, the
// hub's TLS certificate, and the store: SQLite in dir, or the PostgreSQL
// database cfg.DB with the keys sealed in dir (backend.go).
func Init(ctx context.Context, dir string, cfg InitConfig, opts Options) error {
	opts = opts.withDefaults()
	if utf8.RuneCount(cfg.Passphrase) < 10 {
		return errors.New("the hub passphrase must have at least 10 characters")
	}
	if cfg.URL == "" {
		cfg.URL = "https://localhost:8443"
	}
	if u, err := url.Parse(cfg.URL); err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("the hub URL must look like https://HOST:PORT, got %q", cfg.URL)
	}
	if cfg.DB != "" {
		if err := CheckDatabaseAddress(cfg.DB); err != nil {
			return err
		}
	}
	if initialised(dir) {
		return ErrInitialised
	}
	now := opts.Now()
	auth, err := trust.NewAuthority(cfg.Country, nil, now)
	if err != nil {
		return err
	}
	caDER, err := pki.CA(auth, now)
	if err != nil {
		return err
	}
	tlsPub, tlsKey, err := ed25519.GenerateKey(nil)
	if err != nil {
		return err
	}
	u, _ := url.Parse(cfg.URL)
	certDER, err := pki.HubCert(auth, caDER, tlsPub, append(cfg.Hosts, u.Hostname()), now)
	if err != nil {
		return err
	}
	master, err := seal.NewKey()
	if err != nil {
		return err
	}
	defer master.Wipe()
	wrap, err := vault.WrapKey(master, cfg.Passphrase, *opts.Params)
	if err != nil {
		return err
	}
	sa, err := seal.Seal(master, auth.Marshal(), seal.AD("hub", "authority"))
	if err != nil {
		return err
	}
	stls, err := seal.Seal(master, tlsKey.Seed(), seal.AD("hub", "tls_key"))
	if err != nil {
		return err
	}
	rl, err := auth.SignRevocations(nil, now)
	if err != nil {
		return err
	}
	keys := map[string][]byte{metaCountry: []byte(auth.Country), metaWrap: wrap.Marshal(), metaCA: caDER, metaCert: certDER,
		metaURL: []byte(cfg.URL), metaSealedAuth: sa, metaSealedTLS: stls}
	if cfg.Region {
		keys[metaRole] = []byte(RoleRegion)
	}
	if err := safefile.PrivateDir(dir); err != nil {
		return err
	}
	if cfg.DB == "" {
		st, err := sqlite.Open(dir)
		if err != nil {
			return err
		}
		defer st.Close()
		return st.Update(ctx, func(tx hubstore.Tx) error {
			keys[metaRevocations] = rl.Marshal()
			for k, v := range keys {
				if err := tx.PutMeta(k, v); err != nil {
					return err
				}
			}
			return nil
		})
	}
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	st, err := pg.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	// The keys go to dir first: should the database step fail, dir names
	// no database yet and init can be run again. The revocation list is
	// the first shared setting: finding one means the database holds a hub
	// already (init is run once; a second server gets a copy of the first
	// one's directory). The address is written last: from then on dir is
	// a hub.
	if err := writeKeys(dir, keys); err != nil {
		return err
	}
	err = st.Update(ctx, func(tx hubstore.Tx) error {
		got, err := tx.PutMetaOnce(metaRevocations, rl.Marshal())
		if err == nil && !bytes.Equal(got, rl.Marshal()) {
			return errors.New("this database already holds a hub: copy the data directory of its first server instead of running init again")
		}
		if err != nil {
			return err
		}
		return tx.PutMeta(metaCAOfHub, caDER)
	})
	if err != nil {
		os.Remove(filepath.Join(dir, KeysFile))
		return err
	}
	return writeDatabaseAddress(dir, cfg.DB)
}

// initialised reports whether dir holds a hub.
func initialised(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, DatabaseFile)); err == nil {
		return true
	}
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
		return false
	}
	st, err := sqlite.Open(dir)
	if err != nil {
		return true // something is there: never overwrite it
	}
	defer st.Close()
	_, err = st.GetMeta(context.Background(), metaCountry)
	return err == nil
}

// Open opens the hub in dir and unseals its keys with passphrase.
func Open(ctx context.Context, dir string, passphrase []byte, opts Options) (*Hub, error) {
	opts = opts.withDefaults()
	st, keys, err := openStore(ctx, dir)
	if err != nil {
		return nil, err
	}
	h, err := open(ctx, dir, st, keys, passphrase, opts)
	if err != nil {
		st.Close()
		return nil, err
	}
	// A bundle export killed mid-write left a full-size temporary file.
	safefile.RemoveStale(dir)
	return h, nil
}

func open(ctx context.Context, dir string, st hubstore.Store, keys map[string][]byte, passphrase []byte, opts Options) (*Hub, error) {
	h := &Hub{dir: dir, st: st, keys: keys, opts: opts, log: opts.Logger, stored: make(chan struct{}, 1)}
	get := func(k string) []byte { v, _ := h.meta(ctx, k); return v }
	if get(metaCountry) == nil {
		return nil, ErrNotInitialised
	}
	master, err := h.unwrapMaster(ctx, passphrase)
	if err != nil {
		return nil, err
	}
	defer master.Wipe()
	ab, err := seal.Open(master, get(metaSealedAuth), seal.AD("hub", "authority"))
	if err != nil {
		return nil, fmt.Errorf("hub keys damaged: %w", err)
	}
	auth, err := trust.UnmarshalAuthority(ab)
	clear(ab)
	if err != nil {
		return nil, err
	}
	opened := false
	defer func() {
		if !opened {
			auth.Wipe()
		}
	}()
	seed, err := seal.Open(master, get(metaSealedTLS), seal.AD("hub", "tls_key"))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("hub keys damaged: TLS key")
	}
	records, err := seal.KeyFromBytes(auth.RecordsKey)
	if err != nil {
		return nil, err
	}
	h.auth, h.records, h.caDER, h.certDER = auth, records, get(metaCA), get(metaCert)
	h.tlsKey, h.url = ed25519.NewKeyFromSeed(seed), string(get(metaURL))
	clear(seed)
	if err := h.loadFederation(ctx, master); err != nil {
		h.records.Wipe()
		clear(h.tlsKey)
		return nil, err
	}
	// An earlier reghub kept the figures' aggregate in plaintext: seal it.
	if n, err := hubstore.SealPlainCells(ctx, st, h.records); err != nil {
		h.records.Wipe()
		clear(h.tlsKey)
		h.wipeFederation()
		return nil, err
	} else if n > 0 {
		h.log.Info("statistics sealed at rest", "rows", n)
	}
	h.ask = newLimiter(st, opts.Now, opts.Questions, h.IsRegion())
	h.pulls = make(chan struct{}, opts.MaxPulls)
	opened = true
	return h, nil
}

// unwrapMaster unwraps the hub key with the operator's passphrase.
func (h *Hub) unwrapMaster(ctx context.Context, passphrase []byte) (*seal.Key, error) {
	b, err := h.meta(ctx, metaWrap)
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

// Close closes the store and wipes the keys from memory.
func (h *Hub) Close() error {
	h.wipeFederation()
	h.records.Wipe()
	h.auth.Wipe()
	clear(h.tlsKey)
	return h.st.Close()
}

// Store is the hub's database (tests and benchmarks load events with it).
func (h *Hub) Store() hubstore.Store { return h.st }

// RecoveryKey is the authority's recovery key (an age identity): every
// device of the country wraps its master key to it, for `fieldreg recover`
// when all of a device's officers are locked out or have forgotten their
// passphrases. It opens every device's data: hand it out with care.
func (h *Hub) RecoveryKey() string { return h.auth.Recovery }

// Country is the hub's country code.
func (h *Hub) Country() string { return h.auth.Country }

// EnrolConfig describes a device to enrol.
type EnrolConfig struct {
	Name    string // device name, unique among the enrolled devices not revoked
	Station string // crossing point or post code
	HubURL  string // overrides the URL given at init
	Scope   string // "all" (default): the device receives every event; "station": those of its station
}

// Enrolment is a made enrolment package.
type Enrolment struct {
	DeviceID string
	Code     string // the one-time code the officer types (print it, never store it)
	File     []byte // the encrypted package
}

// Enrol makes an enrolment package for a new device: a fresh device ID and
// signing key, a credential and TLS client certificate for it, and the keys
// and trust the device needs, sealed under a new one-time code. The signing
// key is generated here and not kept: only the credential (public) is stored.
func (h *Hub) Enrol(ctx context.Context, cfg EnrolConfig) (*Enrolment, error) {
	cfg.Name, cfg.Station = strings.TrimSpace(cfg.Name), strings.TrimSpace(cfg.Station)
	if cfg.Name == "" || len(cfg.Name) > 64 || cfg.Station == "" || len(cfg.Station) > 64 {
		return nil, errors.New("device name and station must be 1 to 64 characters")
	}
	switch cfg.Scope {
	case "":
		cfg.Scope = "all"
	case "all", "station":
	default:
		return nil, errors.New(`scope must be "all" or "station"`)
	}
	if cfg.HubURL == "" {
		cfg.HubURL = h.url
	}
	if err := client.CheckURL(cfg.HubURL); err != nil {
		return nil, fmt.Errorf("the hub URL must look like https://HOST:PORT, got %q", cfg.HubURL)
	}
	devs, err := h.Devices(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range devs {
		if strings.EqualFold(d.Name, cfg.Name) && d.RevokedAt.IsZero() {
			return nil, ErrNameInUse
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
	cred := h.auth.IssueCredential(id, cfg.Name, cfg.Station, pub, now, 5*365*24*time.Hour)
	client, err := pki.ClientCert(h.auth, h.caDER, cred)
	if err != nil {
		return nil, err
	}
	recip, err := h.auth.RecoveryRecipient()
	if err != nil {
		return nil, err
	}
	rl, _ := h.st.GetMeta(ctx, metaRevocations)
	bundleKey, err := h.BundleRecipient(ctx)
	if err != nil {
		return nil, err
	}
	p := &enrol.Package{HubBundleKey: bundleKey, Country: h.auth.Country, DeviceID: id, DeviceName: cfg.Name, Station: cfg.Station, Credential: cred.Marshal(),
		SignSeed: priv.Seed(), ClientCert: client, RecordsKey: h.auth.RecordsKey, IndexKey: h.auth.IndexKey,
		RootPublic: h.auth.RootPublic(), CACert: h.caDER, Recovery: recip.String(), HubURL: cfg.HubURL, HubCert: h.certDER,
		Revocations: rl, Issued: now.Unix()}
	code, err := enrol.NewCode(nil)
	if err != nil {
		return nil, err
	}
	file, err := enrol.Seal(p, code, *h.opts.Params)
	clear(p.SignSeed)
	if err != nil {
		return nil, err
	}
	err = h.st.Update(ctx, func(tx hubstore.Tx) error {
		return tx.PutCredential(hubstore.CredentialRow{DeviceID: id, Credential: cred.Marshal(), Station: cfg.Station, Scope: cfg.Scope, Enrolled: now})
	})
	if err != nil {
		return nil, err
	}
	h.log.Info("device enrolled", "device", id, "station", cfg.Station, "scope", cfg.Scope)
	return &Enrolment{DeviceID: id, Code: code, File: file}, nil
}

// Device is an enrolled device as Status shows it.
type Device struct {
	ID        string
	Name      string
	Station   string
	Scope     string
	Enrolled  time.Time
	LastSync  time.Time // zero: never synced
	RevokedAt time.Time // zero: not revoked
	cred      *trust.Credential
}

// Devices lists the enrolled devices by name.
func (h *Hub) Devices(ctx context.Context) ([]Device, error) {
	rows, err := h.st.Credentials(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Device, 0, len(rows))
	for _, r := range rows {
		c, err := trust.UnmarshalCredential(r.Credential)
		if err != nil {
			return nil, err
		}
		out = append(out, Device{ID: r.DeviceID, Name: c.Name, Station: r.Station, Scope: r.Scope, Enrolled: r.Enrolled,
			LastSync: r.LastSync, RevokedAt: r.RevokedAt, cred: c})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Name < out[j].Name || out[i].Name == out[j].Name && out[i].ID < out[j].ID
	})
	return out, nil
}

// Revoke withdraws trust in a device (named by ID or by name) from now on:
// the hub refuses it at once, and the signed revocation list that every
// device receives at its next sync names it. It returns the device ID.
func (h *Hub) Revoke(ctx context.Context, nameOrID string) (string, error) {
	devs, err := h.Devices(ctx)
	if err != nil {
		return "", err
	}
	var hit []Device
	for _, d := range devs {
		if d.ID == nameOrID || strings.EqualFold(d.Name, nameOrID) {
			hit = append(hit, d)
		}
	}
	if len(hit) == 0 {
		return "", ErrUnknownDevice
	}
	if len(hit) > 1 {
		ids := make([]string, len(hit))
		for i, d := range hit {
			ids[i] = d.ID
		}
		return "", fmt.Errorf("%d devices are called %q: revoke by ID (%s)", len(hit), nameOrID, strings.Join(ids, ", "))
	}
	dev := hit[0]
	now := h.opts.Now()
	// The list is read, extended and signed inside the write transaction:
	// two revocations at once each see the other's list, and none is lost.
	err = h.st.Update(ctx, func(tx hubstore.Tx) error {
		var entries []trust.Revocation
		prevIssued := int64(0)
		if b, err := tx.GetMeta(metaRevocations); err == nil {
			l, err := trust.UnmarshalRevocationList(b)
			if err != nil {
				return err
			}
			entries, prevIssued = l.Entries, l.Issued
		}
		entries = append(entries, trust.Revocation{DeviceID: dev.ID, RevokedAt: now.Unix()})
		issued := now
		if issued.Unix() <= prevIssued {
			issued = time.Unix(prevIssued+1, 0) // a newer list must say so, even within the same second
		}
		l, err := h.auth.SignRevocations(entries, issued)
		if err != nil {
			return err
		}
		at, _ := l.RevokedAt(dev.ID)
		if err := tx.PutMeta(metaRevocations, l.Marshal()); err != nil {
			return err
		}
		return tx.SetRevoked(dev.ID, at)
	})
	if err != nil {
		return "", err
	}
	h.log.Info("device revoked", "device", dev.ID)
	return dev.ID, nil
}

// Status is what `reghub status` shows.
type Status struct {
	Country     string
	URL         string
	Devices     []Device
	Events      int
	Logs        int
	Records     int // records with at least one event
	Conflicts   int // records holding an unresolved concurrent edit
	Quarantined []hubstore.QuarantineEntry
	Future      int // events stamped more than a day ahead of the hub when they arrived
}

// Status reports devices, events, quarantined events and pending conflicts.
// Conflicts are found by folding (in memory) every record with more than
// one event.
func (h *Hub) Status(ctx context.Context) (*Status, error) {
	s := &Status{Country: h.auth.Country, URL: h.url}
	var err error
	if s.Devices, err = h.Devices(ctx); err != nil {
		return nil, err
	}
	if s.Events, err = h.st.CountEvents(ctx); err != nil {
		return nil, err
	}
	v, err := h.st.Heads(ctx)
	if err != nil {
		return nil, err
	}
	s.Logs = len(v)
	if s.Quarantined, err = h.st.Quarantined(ctx); err != nil {
		return nil, err
	}
	if s.Future, err = h.st.CountFlags(ctx, hubstore.FlagFuture); err != nil {
		return nil, err
	}
	ids, err := h.st.Records(ctx)
	if err != nil {
		return nil, err
	}
	s.Records = len(ids)
	multi, err := h.st.MultiEventRecords(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range multi {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, err := h.openRecord(ctx, id)
		if errors.Is(err, hubstore.ErrNotFound) {
			continue // erased
		}
		if err != nil {
			return nil, err
		}
		if len(r.Conflicts) > 0 {
			s.Conflicts++
		}
	}
	return s, nil
}
