// Package device is a fieldreg installation: its data directory, officers,
// keys and the operations an unlocked officer performs (register, find, amend,
// manage officers, verify the audit log). The UI and the CLI both stand on it;
// it stands on registry (domain), store (SQLite) and the crypto packages.
package device

import (
	"context"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/trust"
)

// Errors callers branch on.
var (
	ErrNotInitialised = errors.New("this data directory holds no fieldreg device yet: set it up first")
	ErrInitialised    = errors.New("this data directory already holds a fieldreg device")
	ErrOfficerLocked  = errors.New("this officer is locked after too many wrong passphrases: a supervisor must unlock them")
	ErrNotSupervisor  = errors.New("only a supervisor can do this")
	ErrSessionLocked  = errors.New("the device is locked: unlock it again")
	ErrNoChange       = errors.New("nothing was changed")
	ErrUnknownOfficer = errors.New("no such officer on this device")
)

// UnlockError is a refused unlock: a wrong passphrase, or an attempt made
// before the increasing delay has passed.
type UnlockError struct {
	Err        error         // vault.ErrWrongPassphrase or ErrTooSoon
	RetryAfter time.Duration // wait this long before trying again
	Remaining  int           // wrong attempts left before the officer is locked
}

// ErrTooSoon means an unlock was attempted during the delay after a failure.
var ErrTooSoon = errors.New("too many attempts: wait before trying again")

func (e *UnlockError) Error() string {
	msg := "wrong passphrase"
	if errors.Is(e.Err, ErrTooSoon) {
		msg = "too many attempts"
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf("; try again in %d s", int((e.RetryAfter+time.Second-1)/time.Second))
	}
	if e.Remaining > 0 {
		msg += fmt.Sprintf(" (%d attempts left before the officer is locked)", e.Remaining)
	}
	return msg
}

func (e *UnlockError) Unwrap() error { return e.Err }

// MaxFailures is how many wrong passphrases in a row lock an officer.
const MaxFailures = 5

// DefaultAutoLock is the idle time after which the app locks.
const DefaultAutoLock = 5 * time.Minute

// MinPassphrase is the minimum passphrase length in characters.
const MinPassphrase = 10

// Options control an opened device. The zero value is the production setting.
type Options struct {
	Now    func() time.Time // clock; time.Now when nil
	Rand   io.Reader        // randomness; crypto/rand when nil
	Params *vault.Params    // Argon2id parameters for new wraps; vault.DefaultParams when nil
	// CacheMiB is the database's page cache per connection; 32 MiB when 0.
	CacheMiB int
	// BundleBatch is how many events of a bundle one transaction applies;
	// 10,000 when 0 (tests make it small to exercise the pipeline).
	BundleBatch int
}

// Device is an opened data directory. It is safe for concurrent use.
type Device struct {
	dir   string
	st    *store.Store
	opts  Options
	clock *registry.Clock
	info  Info
	mu    sync.Mutex // serialises unlock bookkeeping
	// writeMu serialises writers of this device's own event log, so the
	// sequence numbers a batch reserves stay free until it commits.
	writeMu sync.Mutex
	// stations caches the station of each device, for the figures.
	stations stations
}

// Info describes the installation. None of it is personal data.
type Info struct {
	DeviceID   string
	Name       string
	Country    string
	Station    string
	Epoch      uint64
	Standalone bool
	Created    time.Time
}

// Initialised reports whether dir holds a device.
func Initialised(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err != nil {
		return false
	}
	st, err := store.Open(dir)
	if err != nil {
		return false
	}
	defer st.Close()
	_, err = st.GetMeta("device_id")
	return err == nil
}

// Open opens an initialised device in dir.
func Open(dir string, opts Options) (*Device, error) {
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err != nil {
		return nil, ErrNotInitialised
	}
	st, err := store.OpenWith(dir, store.Options{CacheMiB: opts.CacheMiB})
	if err != nil {
		return nil, err
	}
	d := &Device{dir: dir, st: st, opts: opts.withDefaults()}
	if err := d.loadInfo(); err != nil {
		st.Close()
		return nil, err
	}
	// A bundle export killed mid-write (kill -9, a flat battery) left a
	// full-size temporary file beside the bundle it was writing.
	safefile.RemoveStale(dir)
	maxHLC, err := st.MaxHLC()
	if err != nil {
		st.Close()
		return nil, err
	}
	d.clock = registry.NewClock(d.opts.Now, registry.HLC(maxHLC))
	return d, nil
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Params == nil {
		p := vault.DefaultParams
		o.Params = &p
	}
	return o
}

func (d *Device) loadInfo() error {
	get := func(k string) string {
		v, _ := d.st.GetMeta(k)
		return string(v)
	}
	if get("device_id") == "" {
		return ErrNotInitialised
	}
	epoch, _ := strconv.ParseUint(get("epoch"), 10, 64)
	created, _ := strconv.ParseInt(get("created"), 10, 64)
	d.info = Info{DeviceID: get("device_id"), Name: get("device_name"), Country: get("country"), Station: get("station"),
		Epoch: epoch, Standalone: get("mode") == "standalone", Created: time.Unix(created, 0)}
	return nil
}

// Close closes the database.
func (d *Device) Close() error { return d.st.Close() }

// Info describes the installation.
func (d *Device) Info() Info { return d.info }

// Dir is the data directory.
func (d *Device) Dir() string { return d.dir }

// Store gives packages of this module (sync, receipts) the database. The UI
// does not use it.
func (d *Device) Store() *store.Store { return d.st }

// Now is the device clock.
func (d *Device) Now() time.Time { return d.opts.Now() }

// StandaloneConfig sets up a device that holds its own country authority.
type StandaloneConfig struct {
	Country    string // ISO 3166-1 alpha-3
	Station    string // crossing point or post code, e.g. "BIH-VELIKA-KLADUSA"
	DeviceName string // defaults to the host name
	Officer    string // first officer, the device's supervisor
	Passphrase []byte
}

// InitStandalone creates a device with its own country authority in dir. It
// returns the opened device and the authority's recovery key (an age
// identity), which must be stored offline: it can unwrap the device's master
// key if every passphrase is lost. The passphrase is not kept.
func InitStandalone(dir string, cfg StandaloneConfig, opts Options) (*Device, string, error) {
	opts = opts.withDefaults()
	var err error
	if err = checkOfficerName(cfg.Officer); err != nil {
		return nil, "", err
	}
	if err := CheckPassphrase(cfg.Passphrase); err != nil {
		return nil, "", err
	}
	if !trust.ValidCountry(cfg.Country) {
		return nil, "", fmt.Errorf("country must be a three-letter ISO 3166-1 code such as BIH")
	}
	cfg.Station = strings.TrimSpace(cfg.Station)
	if err := CheckStation(cfg.Station); err != nil {
		return nil, "", err
	}
	if cfg.DeviceName, err = deviceName(cfg.DeviceName); err != nil {
		return nil, "", err
	}
	if Initialised(dir) {
		return nil, "", ErrInitialised
	}
	now := opts.Now()
	auth, err := trust.NewAuthority(cfg.Country, opts.Rand, now)
	if err != nil {
		return nil, "", err
	}
	devID, err := trust.NewDeviceID(opts.Rand)
	if err != nil {
		return nil, "", err
	}
	pub, priv, err := ed25519.GenerateKey(opts.Rand)
	if err != nil {
		return nil, "", err
	}
	cred := auth.IssueCredential(devID, cfg.DeviceName, cfg.Station, pub, now, 5*365*24*time.Hour)
	master, err := seal.NewKey()
	if err != nil {
		return nil, "", err
	}
	defer master.Wipe()
	recip, err := auth.RecoveryRecipient()
	if err != nil {
		return nil, "", err
	}
	k := keys{master: master, records: mustKey(auth.RecordsKey), index: auth.IndexKey, sign: priv, authority: auth}
	if err := createDevice(dir, opts, devID, cfg.DeviceName, cfg.Country, cfg.Station, "standalone", cred, auth.RootPublic(), k, recip, cfg.Officer, cfg.Passphrase, now); err != nil {
		return nil, "", err
	}
	d, err := Open(dir, opts)
	if err != nil {
		return nil, "", err
	}
	return d, auth.Recovery, nil
}

func mustKey(b []byte) *seal.Key {
	k, err := seal.KeyFromBytes(b)
	if err != nil {
		panic("device: key of wrong size") // sizes are checked when keys are decoded
	}
	return k
}

// createDevice writes a new device's database in one transaction.
func createDevice(dir string, opts Options, devID, name, country, station, mode string, cred *trust.Credential, root ed25519.PublicKey, k keys, recovery age.Recipient, officer string, pass []byte, now time.Time) error {
	st, err := store.Open(dir)
	if err != nil {
		return err
	}
	defer st.Close()
	epochB := make([]byte, 8)
	if _, err := io.ReadFull(opts.Rand, epochB); err != nil {
		return err
	}
	epoch := binary.BigEndian.Uint64(epochB) >> 1 // fits SQLite's signed integers
	recWrap, err := vault.WrapToRecipient(k.master, recovery)
	if err != nil {
		return err
	}
	wrap, err := vault.WrapKey(k.master, pass, *opts.Params)
	if err != nil {
		return err
	}
	officerID, err := trust.NewDeviceID(opts.Rand)
	if err != nil {
		return err
	}
	return st.Update(context.Background(), func(tx *store.Tx) error {
		plain := map[string]string{
			"device_id": devID, "device_name": name, "country": country, "station": station, "mode": mode,
			"epoch": strconv.FormatUint(epoch, 10), "created": strconv.FormatInt(now.Unix(), 10),
		}
		for key, v := range plain {
			if err := tx.PutMeta(key, []byte(v)); err != nil {
				return err
			}
		}
		for key, v := range map[string][]byte{"credential": cred.Marshal(), "root_public": root, "recovery_wrap": recWrap} {
			if err := tx.PutMeta(key, v); err != nil {
				return err
			}
		}
		sealed := map[string][]byte{"sign_key": k.sign.Seed(), "records_key": k.records[:], "index_key": k.index}
		if k.authority != nil {
			sealed["authority"] = k.authority.Marshal()
		}
		for key, v := range sealed {
			c, err := seal.Seal(k.master, v, seal.AD("meta", key))
			if err != nil {
				return err
			}
			if err := tx.PutMeta("sealed:"+key, c); err != nil {
				return err
			}
		}
		o := store.Officer{ID: officerID, Name: officer, Supervisor: true, Wrap: wrap.Marshal(), Created: now}
		if err := tx.InsertOfficer(sealedOfficer(officerKey(k.master), o)); err != nil {
			return err
		}
		if err := appendAudit(tx, auditKey(k.master), now, officerID, "init", "", mode+" device created; first officer is supervisor"); err != nil {
			return err
		}
		return appendAudit(tx, auditKey(k.master), now, officerID, actionOfficersAuthenticated, "", "officer entries carry authentication codes")
	})
}

// keys are what an unlocked session holds.
type keys struct {
	master    *seal.Key
	records   *seal.Key
	index     []byte
	search    []byte // local search index key, derived from master
	audit     []byte // audit MAC key, derived from master
	officers  []byte // officer row MAC key, derived from master
	imports   []byte // import line token key, derived from master
	sign      ed25519.PrivateKey
	authority *trust.Authority // standalone devices only
}

func (k *keys) wipe() {
	k.master.Wipe()
	k.records.Wipe()
	for _, b := range [][]byte{k.index, k.search, k.audit, k.officers, k.imports, k.sign} {
		for i := range b {
			b[i] = 0
		}
	}
	if k.authority != nil {
		k.authority.Wipe()
	}
}

func derive(master *seal.Key, label string) []byte {
	b, err := hkdf.Key(sha256.New, master[:], nil, "fieldreg "+label, 32)
	if err != nil {
		panic(err) // only fails for absurd lengths
	}
	return b
}

func auditKey(master *seal.Key) []byte { return derive(master, "audit v1") }

// openKeys unseals the device keys with the master key.
func (d *Device) openKeys(master *seal.Key) (*keys, error) {
	get := func(name string) ([]byte, error) {
		c, err := d.st.GetMeta("sealed:" + name)
		if err != nil {
			return nil, fmt.Errorf("device keys missing (%s): %w", name, err)
		}
		return seal.Open(master, c, seal.AD("meta", name))
	}
	signSeed, err := get("sign_key")
	if err != nil {
		return nil, err
	}
	rk, err := get("records_key")
	if err != nil {
		return nil, err
	}
	records, err := seal.KeyFromBytes(rk)
	if err != nil {
		return nil, err
	}
	index, err := get("index_key")
	if err != nil {
		return nil, err
	}
	k := &keys{master: master, records: records, index: index, sign: ed25519.NewKeyFromSeed(signSeed),
		search: derive(master, "search v1"), audit: auditKey(master), officers: officerKey(master),
		imports: derive(master, "import v1")}
	if _, err := d.st.GetMeta("sealed:authority"); err == nil {
		ab, err := get("authority")
		if err != nil {
			return nil, err
		}
		k.authority, err = trust.UnmarshalAuthority(ab)
		clear(ab)
		if err != nil {
			return nil, err
		}
	}
	return k, nil
}

// CheckPassphrase refuses passphrases that are too short or too weak.
func CheckPassphrase(p []byte) error {
	if !utf8.Valid(p) {
		return errors.New("passphrase must be text")
	}
	if utf8.RuneCount(p) < MinPassphrase {
		return fmt.Errorf("passphrase must have at least %d characters", MinPassphrase)
	}
	if s := PassphraseStrength(string(p)); s < 2 {
		return errors.New("passphrase is too easy to guess: use several words or mix letters, digits and symbols")
	}
	return nil
}

// PassphraseStrength rates a passphrase from 0 (very weak) to 4 (strong) by
// length and variety: a rough, explainable guide for the strength meter.
func PassphraseStrength(p string) int {
	n := utf8.RuneCountInString(p)
	classes := 0
	var lower, upper, digit, other bool
	distinct := map[rune]bool{}
	for _, r := range p {
		distinct[r] = true
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		default:
			other = true
		}
	}
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			classes++
		}
	}
	score := 0
	switch {
	case n >= 20:
		score = 3
	case n >= 14:
		score = 2
	case n >= 10:
		score = 1
	}
	if classes >= 3 {
		score++
	}
	if len(distinct) < 5 {
		score = 0
	}
	if score > 4 {
		score = 4
	}
	return score
}

// Limits on names that ride inside every QR receipt (in the device
// credential): longer ones would push receipts past QR version 15.
const (
	MaxStation    = 24
	MaxDeviceName = 16
)

// CheckStation refuses a station code that is empty or too long for receipts.
func CheckStation(s string) error {
	if s == "" || utf8.RuneCountInString(s) > MaxStation || !utf8.ValidString(s) {
		return fmt.Errorf("station code must be 1 to %d characters (it is printed on every receipt)", MaxStation)
	}
	return nil
}

// deviceName checks a chosen device name, or derives one from the host name
// (cut to MaxDeviceName) when none is given.
func deviceName(n string) (string, error) {
	n = strings.TrimSpace(n)
	if n == "" {
		h, _ := os.Hostname()
		if h == "" {
			h = "device"
		}
		r := []rune(h)
		if len(r) > MaxDeviceName {
			r = r[:MaxDeviceName]
		}
		return string(r), nil
	}
	if utf8.RuneCountInString(n) > MaxDeviceName || !utf8.ValidString(n) {
		return "", fmt.Errorf("device name must be at most %d characters (it is printed on every receipt)", MaxDeviceName)
	}
	return n, nil
}

func checkOfficerName(n string) error {
	n = strings.TrimSpace(n)
	if n == "" || utf8.RuneCountInString(n) > 80 || !utf8.ValidString(n) {
		return errors.New("officer name must be 1 to 80 characters")
	}
	return nil
}
