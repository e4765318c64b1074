// Package limits measures what the machine at hand can do at best, so that
// fieldreg's own figures are given as ratios to it: a durable SQLite insert
// (WAL, synchronous=FULL), rows inserted per second in one transaction,
// Ed25519 signing and verifying, an XChaCha20-Poly1305 seal of 64 bytes and
// Argon2id at the default parameters. Numbers drift between runs and
// machines; a ratio measured in the same run does not.
//
// It is for benchmarks only (`go test -bench Limits ./internal/limits/`,
// and the benchmarks that report ratios); nothing of fieldreg calls it.
package limits

import (
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	// The same SQLite as the store.
	_ "github.com/mattn/go-sqlite3"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/fieldreg/fieldreg/crypto/vault"
)

// Ceilings are the machine's limits, measured in one run.
type Ceilings struct {
	// DurableInsertP50 and DurableInsertP99: one 100-byte row per
	// committed transaction, WAL, synchronous=FULL.
	DurableInsertP50, DurableInsertP99 time.Duration
	// BulkRowsPerSec: small rows (an integer key and 32 bytes) inserted in
	// one transaction, by a prepared statement.
	BulkRowsPerSec float64
	// Sign and Verify: one Ed25519 operation on one core.
	Sign, Verify time.Duration
	// VerifyPerSec: Ed25519 verifications per second on every core.
	VerifyPerSec float64
	// Seal64: one XChaCha20-Poly1305 seal of 64 bytes (key set up once).
	Seal64 time.Duration
	// Argon2id: one derivation at vault.DefaultParams.
	Argon2id time.Duration
}

// Measure measures every ceiling, using dir for the SQLite files. It takes
// a few seconds.
func Measure(dir string) (*Ceilings, error) {
	var c Ceilings
	var err error
	if c.DurableInsertP50, c.DurableInsertP99, err = DurableInsert(dir, 500); err != nil {
		return nil, err
	}
	if c.BulkRowsPerSec, err = BulkInsert(dir, 200000); err != nil {
		return nil, err
	}
	c.Sign, c.Verify = Sign(), Verify()
	c.VerifyPerSec = VerifyPerSec(time.Second)
	c.Seal64 = Seal64()
	c.Argon2id = Argon2id()
	return &c, nil
}

// openWAL opens a new database named name in dir as the store opens its
// own: WAL, synchronous=FULL, no automatic checkpoint in the committing
// connection.
func openWAL(dir, name string) (*sql.DB, error) {
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, name)+"?_journal_mode=WAL&_synchronous=FULL")
	if err != nil {
		return nil, fmt.Errorf("limits: %w", err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("PRAGMA wal_autocheckpoint = 0"); err != nil {
		db.Close()
		return nil, fmt.Errorf("limits: %w", err)
	}
	return db, nil
}

// DurableInsert commits n single-row transactions (one 100-byte row each)
// and returns the median and 99th percentile of their latency.
func DurableInsert(dir string, n int) (p50, p99 time.Duration, err error) {
	if n < 1 {
		return 0, 0, errors.New("limits: no insert to time")
	}
	db, err := openWAL(dir, "durable.db")
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB NOT NULL)"); err != nil {
		return 0, 0, fmt.Errorf("limits: %w", err)
	}
	row := make([]byte, 100)
	lat := make([]time.Duration, n)
	for i := range lat {
		t0 := time.Now()
		if _, err := db.Exec("INSERT INTO t(v) VALUES(?)", row); err != nil {
			return 0, 0, fmt.Errorf("limits: %w", err)
		}
		lat[i] = time.Since(t0)
	}
	slices.Sort(lat)
	return lat[(n-1)/2], lat[(n-1)*99/100], nil
}

// BulkInsert inserts rows small rows (an integer key and 32 bytes) in one
// transaction and returns the rows per second, commit included.
func BulkInsert(dir string, rows int) (float64, error) {
	db, err := openWAL(dir, "bulk.db")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB NOT NULL)"); err != nil {
		return 0, fmt.Errorf("limits: %w", err)
	}
	v := make([]byte, 32)
	t0 := time.Now()
	tx, err := db.Begin()
	if err != nil {
		return 0, fmt.Errorf("limits: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.Prepare("INSERT INTO t(k, v) VALUES(?, ?)")
	if err != nil {
		return 0, fmt.Errorf("limits: %w", err)
	}
	for i := 0; i < rows; i++ {
		if _, err := st.Exec(i, v); err != nil {
			return 0, fmt.Errorf("limits: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("limits: %w", err)
	}
	return float64(rows) / time.Since(t0).Seconds(), nil
}

// perOp runs op for at least d and returns the time of one call.
func perOp(d time.Duration, op func()) time.Duration {
	n := 0
	t0 := time.Now()
	for time.Since(t0) < d {
		for i := 0; i < 64; i++ {
			op()
		}
		n += 64
	}
	return time.Since(t0) / time.Duration(n)
}

// testKey is a fixed Ed25519 key: only speed is measured.
var testKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

// message is the size of a signed event's header and payload hash.
var message = make([]byte, 200)

// Sign is one Ed25519 signature of a 200-byte message on one core.
func Sign() time.Duration {
	return perOp(300*time.Millisecond, func() { ed25519.Sign(testKey, message) })
}

// Verify is one Ed25519 verification of a 200-byte message on one core.
func Verify() time.Duration {
	sig := ed25519.Sign(testKey, message)
	pub := testKey.Public().(ed25519.PublicKey)
	return perOp(300*time.Millisecond, func() { ed25519.Verify(pub, message, sig) })
}

// VerifyPerSec is how many Ed25519 verifications per second every core
// together does, run for d: the ceiling of any path that checks every
// event's signature.
func VerifyPerSec(d time.Duration) float64 {
	sig := ed25519.Sign(testKey, message)
	pub := testKey.Public().(ed25519.PublicKey)
	var total atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := int64(0)
			for time.Since(t0) < d {
				for i := 0; i < 16; i++ {
					ed25519.Verify(pub, message, sig)
				}
				n += 16
			}
			total.Add(n)
		}()
	}
	wg.Wait()
	return float64(total.Load()) / time.Since(t0).Seconds()
}

// Seal64 is one XChaCha20-Poly1305 seal of 64 bytes, the cipher set up
// once and the nonce given.
func Seal64() time.Duration {
	aead, err := chacha20poly1305.NewX(make([]byte, chacha20poly1305.KeySize))
	if err != nil {
		panic(err) // a fixed key of the right size
	}
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	pt := make([]byte, 64)
	out := make([]byte, 0, 64+chacha20poly1305.Overhead)
	return perOp(300*time.Millisecond, func() { out = aead.Seal(out[:0], nonce, pt, nil) })
}

// Argon2id is one derivation at vault.DefaultParams (the cost an unlock
// cannot avoid), the best of three.
func Argon2id() time.Duration {
	best := time.Duration(1<<63 - 1)
	for i := 0; i < 3; i++ {
		best = min(best, Argon2idOnce())
	}
	return best
}

// Argon2idOnce times one derivation at vault.DefaultParams.
func Argon2idOnce() time.Duration {
	p := vault.DefaultParams
	t0 := time.Now()
	argon2.IDKey([]byte("correct horse battery"), make([]byte, 16), p.Time, p.MemoryKiB, p.Threads, 32)
	return time.Since(t0)
}

// Reporter is what Report writes to (a *testing.B).
type Reporter interface {
	ReportMetric(n float64, unit string)
}

// Report writes every ceiling as a benchmark metric.
func Report(b Reporter, c *Ceilings) {
	b.ReportMetric(ms(c.DurableInsertP50), "limit-durable-p50-ms")
	b.ReportMetric(ms(c.DurableInsertP99), "limit-durable-p99-ms")
	b.ReportMetric(c.BulkRowsPerSec, "limit-bulk-rows/s")
	b.ReportMetric(us(c.Sign), "limit-sign-µs")
	b.ReportMetric(us(c.Verify), "limit-verify-µs")
	b.ReportMetric(c.VerifyPerSec, "limit-verify/s")
	b.ReportMetric(us(c.Seal64), "limit-seal64-µs")
	b.ReportMetric(ms(c.Argon2id), "limit-argon2id-ms")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
