// Package hubstore is the storage boundary of the hub (reghub) and of the
// regional joint database: every byte they keep goes through Store. Two
// back ends implement it: sync/hubstore/sqlite (one file in the hub's data
// directory, the zero-setup default) and sync/hubstore/pg (PostgreSQL, for
// several hub servers on one database with a standby). No SQL lives outside
// these packages.
//
// Both back ends keep a schema version and migrate an older database
// forward when opened; a database written by a newer reghub is refused with
// ErrTooNew and left untouched.
package hubstore

import (
	"context"
	"errors"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/stats"
)

// Errors callers branch on.
var (
	// ErrNotFound: no such setting, event or row.
	ErrNotFound = errors.New("not found")
	// ErrTooNew: the database was written by a newer reghub.
	ErrTooNew = errors.New("the hub database was written by a newer reghub: update reghub (the database was left untouched)")
	// ErrUnavailable wraps a failure to reach the database: the request
	// may succeed when tried again.
	ErrUnavailable = errors.New("the hub database cannot be reached")
)

// Store is everything the hub and the region keep. It is safe for
// concurrent use, including by several processes on one PostgreSQL database.
type Store interface {
	// Backend names the back end: "sqlite" or "postgres".
	Backend() string
	// Close releases the database.
	Close() error
	// Update runs fn in one transaction, committed durably when fn returns
	// nil and rolled back otherwise. It may run fn again after a
	// serialisation failure, so fn must not have effects outside tx.
	Update(ctx context.Context, fn func(Tx) error) error

	// GetMeta reads a setting; ErrNotFound when absent.
	GetMeta(ctx context.Context, key string) ([]byte, error)
	// Metas lists every setting (migrate copies them).
	Metas(ctx context.Context) (map[string][]byte, error)

	// Heads is the version vector of the stored events (the highest gapless
	// sequence per log).
	Heads(ctx context.Context) (vector.Vector, error)
	// EventRange calls fn for the events of one log with From <= seq <= To
	// in order, one at a time; fn's error stops it and is returned.
	EventRange(ctx context.Context, r vector.Range, fn func(*registry.Event) error) error
	// Events calls fn for every event in (origin, epoch, seq) order.
	Events(ctx context.Context, fn func(*registry.Event) error) error
	// RecordEvents returns the events of one record.
	RecordEvents(ctx context.Context, record string) ([]*registry.Event, error)
	// Records lists the IDs of the records with at least one event, in order.
	Records(ctx context.Context) ([]string, error)
	// MultiEventRecords lists the records with more than one event (the
	// only ones that can hold a conflict).
	MultiEventRecords(ctx context.Context) ([]string, error)
	// CountEvents is the number of stored events.
	CountEvents(ctx context.Context) (int, error)
	// Quarantined lists the quarantined events, oldest first.
	Quarantined(ctx context.Context) ([]QuarantineEntry, error)
	// CountFlags counts the events carrying flag.
	CountFlags(ctx context.Context, flag string) (int, error)
	// Flags lists every event's remarks.
	Flags(ctx context.Context) ([]FlagEntry, error)
	// Holes lists the known-lost slots of log k with from <= seq <= to
	// that hold no stored event, in order, at most limit.
	Holes(ctx context.Context, k vector.Key, from, to uint64, limit int) ([]registry.EventID, error)

	// Credentials lists the enrolled devices (and, at a region, the
	// admitted country hubs) by device ID.
	Credentials(ctx context.Context) ([]CredentialRow, error)
	// TouchCredential records a device's successful exchange.
	TouchCredential(ctx context.Context, device string, at time.Time) error

	// CountrySharing (region) is the sharing mode a country client was
	// admitted with; ErrNotFound when none was recorded.
	CountrySharing(ctx context.Context, client string) (string, error)
	// FedCountries (region) lists the admitted country hubs with what is
	// held of each.
	FedCountries(ctx context.Context) ([]FedCountry, error)
	// FedDetails (region) is a record's sealed Eurodac data set;
	// ErrNotFound when its owner sent none.
	FedDetails(ctx context.Context, country, ref string) ([]byte, error)
	// TokenHits (region) lists up to limit records of other countries than
	// asker holding token, with their metadata.
	TokenHits(ctx context.Context, token []byte, asker string, limit int) ([]TokenHit, error)
	// Unpushed (country hub) lists up to limit records after the record ID
	// after that are new or changed since they were last pushed upstream.
	Unpushed(ctx context.Context, after string, limit int) ([]Pushed, error)
	// CountUnpushed (country hub) counts them all.
	CountUnpushed(ctx context.Context) (int, error)
	// PushedRecords (country hub) lists what was acknowledged upstream.
	PushedRecords(ctx context.Context) ([]Pushed, error)
	// Entries (region) calls fn for every record held of every country.
	Entries(ctx context.Context, fn func(country string, e Entry, updated time.Time) error) error

	// Occupancy lists the counts of every reception centre's sections, by
	// centre and section (the capacity view: figures, not personal data).
	Occupancy(ctx context.Context) ([]OccupancyRow, error)
	// Stays calls fn for every person's sealed stay, in record order
	// (migrate copies them).
	Stays(ctx context.Context, fn func(record string, open bool, state []byte) error) error
	// Days lists the arrivals and departures of the days from through to
	// (YYYY-MM-DD, both included), by day and centre.
	Days(ctx context.Context, from, to string) ([]DayRow, error)
	// Erased reads when record was erased; ErrNotFound when it was not.
	Erased(ctx context.Context, record string) (time.Time, error)
	// Tombstones calls fn for every erased record, by ID.
	Tombstones(ctx context.Context, fn func(record string, at time.Time) error) error
	// Scrub makes what erasures left behind unreadable where the back end
	// allows it: SQLite truncates its write-ahead log (the erasure zeroed
	// what it freed); PostgreSQL cannot be made to overwrite old row
	// versions at once, which docs/erasure.md says.
	Scrub(ctx context.Context) error
	// StatRows (country hub) calls fn with each sealed row of the
	// aggregate of kind (RowTotals, RowDays, RowMonths) whose period is
	// from..to (both included), in order (StatScan opens and sums them).
	StatRows(ctx context.Context, kind, from, to string, fn func(period string, sealed []byte) error) error
	// Uncounted (country hub) lists up to limit records after the record
	// ID after that have events but are not counted in the aggregate yet.
	Uncounted(ctx context.Context, after string, limit int) ([]string, error)
	// Pending lists up to limit records after the record ID after whose
	// stored events are not all counted yet (Tx.AddPending), in order.
	Pending(ctx context.Context, after string, limit int) ([]string, error)
	// Operator reads the dashboard account name; ErrNotFound when absent.
	Operator(ctx context.Context, name string) (OperatorRow, error)
	// Operators lists the dashboard accounts by name.
	Operators(ctx context.Context) ([]OperatorRow, error)
}

// Tx is a write transaction of a Store.
type Tx interface {
	// GetMeta reads a setting and, on PostgreSQL, locks it until the
	// transaction ends: a read-modify-write (the revocation list) made by
	// two servers at once loses neither change.
	GetMeta(key string) ([]byte, error)
	// PutMeta writes a setting.
	PutMeta(key string, value []byte) error
	// PutMetaOnce writes a setting unless it is set, and returns the value
	// that is stored: of two servers creating a key at once, both end up
	// with the same one.
	PutMetaOnce(key string, value []byte) ([]byte, error)
	// DeleteSecretMeta deletes a setting that held a secret (a one-time
	// bundle key): on SQLite its bytes are zeroed in the database file
	// (secure_delete) and Scrub clears the write-ahead log; on PostgreSQL
	// the old row version stays until VACUUM reuses its space, and in the
	// WAL, archives and backups until they are recycled (docs/erasure.md).
	DeleteSecretMeta(key string) error

	// InsertEvents stores each event unless one with its (origin, epoch,
	// seq) is stored; stored[i] reports whether evs[i] was. The logs' high
	// marks (Heads) are advanced by the time the transaction commits.
	InsertEvents(evs []*registry.Event, received time.Time) (stored []bool, err error)
	// Ingest stores a chunk of events that reached the hub (a push or a
	// bundle), each with the acceptance rule's verdict (IngestTx says how).
	Ingest(evs []Arrival, now time.Time) (Ingested, error)
	// Event reads one stored event; ErrNotFound when absent.
	Event(id registry.EventID) (*registry.Event, error)
	// Quarantine keeps an event that cannot be taken, with the reason
	// (plain words, no personal data); the same event twice is kept once.
	Quarantine(e *registry.Event, reason string, now time.Time) error
	// Flag marks a stored event with a remark such as "future".
	Flag(id registry.EventID, flag string, now time.Time) error
	// AddHole records that slot id of its log is known lost, for reason
	// (plain words, no personal data): the log's high mark may pass it.
	// Nothing happens when an event is stored in that slot, or the hole is
	// known already.
	AddHole(id registry.EventID, reason string, now time.Time) error

	// PutCredential inserts or replaces a credential (last sync kept,
	// revocation never undone).
	PutCredential(c CredentialRow) error
	// SetRevoked marks a device revoked from at on; ErrNotFound when the
	// device is unknown.
	SetRevoked(device string, at time.Time) error

	// AdmitCountry (region) records a country client and its sharing mode.
	AdmitCountry(client, country, sharing string) error
	// DropDetails (region) forgets the data sets held of a country.
	DropDetails(country string) error
	// PutEntry (region) replaces what is held of one record of a country.
	PutEntry(country string, e Entry, updated time.Time) error
	// ForgetPushed (country hub) makes every record be pushed again.
	ForgetPushed() error
	// MarkPushed (country hub) records what was acknowledged of a record.
	MarkPushed(p Pushed) error

	// Erased reports whether record was erased.
	Erased(record string) (bool, error)
	// ErasedAmong returns which of records were erased (those absent were
	// not), in one query: a chunk's records are checked at once.
	ErasedAmong(records []string) (map[string]bool, error)
	// EraseRecord drops the payload of each of record's events but keep
	// (drop returns the event as it is to be kept; an event drop refuses is
	// deleted and its slot recorded as a hole), deletes the record's
	// quarantined events, and writes its tombstone dated at. Erasing again
	// changes nothing but events that arrived since.
	EraseRecord(record string, keep registry.EventID, drop func(*registry.Event) error, at time.Time) error
	// DropEntry (region) forgets one record of a country: its tokens,
	// metadata and data set.
	DropEntry(country, ref string) error
	// Stay reads a person's sealed stay and, on PostgreSQL, locks it until
	// the transaction ends, so two servers taking events of one person at
	// once count them once; ErrNotFound when the person has none.
	Stay(record string) ([]byte, error)
	// PutStay writes a person's sealed stay and whether it holds a place.
	PutStay(record string, open bool, state []byte) error
	// DeleteStay forgets a person's stay (erasure); nothing happens when
	// there is none.
	DeleteStay(record string) error
	// AddOccupancy adds d's counts to its centre's section (creating the
	// row) and keeps the later of the two AsOf.
	AddOccupancy(d OccupancyRow) error
	// PutOccupancy sets a section's counts (migrate copies them).
	PutOccupancy(r OccupancyRow) error
	// AddDay adds to a centre's arrivals and departures of a day, in one
	// statement; with set, it sets them instead (migrate copies them).
	AddDay(r DayRow, set bool) error
	// RecordFact reads the sealed fact a record is counted with in the
	// aggregate (ErrNotFound: not counted yet) and, on PostgreSQL, holds a
	// lock on the record's count until the transaction ends, so two
	// servers counting one record do not both take back its old fact.
	// Call it before reading the record's events.
	RecordFact(record string) ([]byte, error)
	// ToCount reads what the counting pass needs of records (in order, no
	// repeats): one Counting each, in the same order, this transaction's
	// events included; on PostgreSQL it first locks their counts, as
	// RecordFact does, in that order.
	ToCount(records []string) ([]Counting, error)
	// AddPending records that records have events stored and not counted
	// yet (in the statistics aggregate and the occupancy projection): the
	// hub's counting pass takes them (TakePending). A record pending
	// already stays pending once.
	AddPending(records []string) error
	// TakePending removes up to limit pending records, in record order, and
	// returns them. Counted in the same transaction, each is counted once;
	// rolled back, they stay pending. On PostgreSQL a record another
	// transaction is taking is waited for, or with skipLocked passed over.
	TakePending(limit int, skipLocked bool) ([]string, error)
	// PutFacts writes records' sealed facts (hubstore.PutCounted writes
	// them with their cells).
	PutFacts(facts []Fact) error
	// StatRows reads the sealed rows of the aggregate of kind for periods
	// (given in order) and, on PostgreSQL, locks them until the
	// transaction ends, so two servers adding to one row add both; a
	// period without a row is absent from the map.
	StatRows(kind string, periods []string) (map[string][]byte, error)
	// PutStatRows writes sealed rows of the aggregate of kind; a nil row
	// is deleted.
	PutStatRows(kind string, rows map[string][]byte) error
	// TakePlainCells deletes the aggregate an earlier reghub kept in
	// plaintext (its daily rows and monthly roll-up) and returns the daily
	// rows (SealPlainCells seals them).
	TakePlainCells() ([]stats.Cell, error)

	// PutOperator inserts or replaces a dashboard account.
	PutOperator(o OperatorRow) error
	// DeleteOperator removes a dashboard account; ErrNotFound when absent.
	DeleteOperator(name string) error
}

// Counting is what the counting pass reads of one record (Tx.ToCount).
type Counting struct {
	Record   string
	Erased   bool
	Fact     []byte            // the sealed fact it is counted with; nil when not counted yet
	Events   []*registry.Event // its events, in no particular order
	Received []time.Time       // when each of Events reached the hub
}

// Fact is the sealed fact a record is counted with (stats.Fact, sealed
// under the records key: it is personal data).
type Fact struct {
	Record string
	Sealed []byte
}

// OperatorRow is an analyst's account for the hub's web dashboard. Secret
// is opaque to the store: the hub keeps the Argon2id hash of the
// passphrase there, with its parameters and the hub's seal over the row.
type OperatorRow struct {
	Name    string
	Secret  []byte
	Created time.Time
}

// DayRow is the arrivals at and departures from a centre on a day (UTC).
type DayRow struct {
	Day, Centre          string
	Arrivals, Departures int
}

// OccupancyRow is the counts of one reception centre's section: people
// checked in (absent ones included), open referrals, residents absent now,
// and when the hub last took an event there.
type OccupancyRow struct {
	Centre, Section             string
	Residents, Referred, Absent int
	AsOf                        time.Time
}

// CredentialRow is a device of the deployment as the trust list holds it.
type CredentialRow struct {
	DeviceID   string
	Credential []byte // CBOR trust.Credential, signed by the root
	Station    string
	Scope      string    // "all", "station", or "country" (a country client at a region)
	Enrolled   time.Time // when the enrolment package was made
	LastSync   time.Time // the device's last successful request
	RevokedAt  time.Time // zero unless revoked
}

// QuarantineEntry is a quarantined event and the reason.
type QuarantineEntry struct {
	Event    registry.EventID
	Record   string
	Reason   string
	Received time.Time
	Full     *registry.Event // the whole event, as it arrived
}

// FlagEntry is a remark on a stored event.
type FlagEntry struct {
	Event registry.EventID
	Flag  string
	At    time.Time
}

// FedCountry is an admitted country hub as the region holds it.
type FedCountry struct {
	Country, Client, Sharing string
	Revoked                  bool
	Records, DataSets        int
}

// Entry is what a country hub sends the region of one record: blind tokens,
// minimal metadata, and in full sharing its sealed data set.
type Entry struct {
	Ref, Date, Place, Category string
	Tokens                     []Token
	Details                    []byte // nil: none (index-only sharing)
}

// Token is one blind index token and the kind of value it stands for.
type Token struct {
	Token []byte
	Kind  string
}

// TokenHit is a record holding a token.
type TokenHit struct {
	Country, Ref, Kind, Date, Place, Category string
}

// Pushed is a record's state as last pushed upstream: its number of events
// and latest clock.
type Pushed struct {
	Record string
	N, HLC int64
}
