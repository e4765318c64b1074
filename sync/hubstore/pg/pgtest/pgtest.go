// Package pgtest gives tests a fresh PostgreSQL database on the cluster
// named by FIELDREG_TEST_PG (.ci/pg starts one and sets it). Without it a
// test skips, except under CI (CI=true), where a missing PostgreSQL fails:
// the PostgreSQL back end is never silently left untested there.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env is the variable naming the test cluster.
const Env = "FIELDREG_TEST_PG"

// Required fails the test under CI and skips it elsewhere when no test
// cluster is named; it returns the cluster's address.
func Required(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(Env)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set under CI: run the tests through .ci/pg (make test does)", Env)
		}
		tb.Skipf("%s not set: run through .ci/pg to test the PostgreSQL back end", Env)
	}
	return dsn
}

// DB creates an empty database for the test, dropped when it ends, and
// returns its address.
func DB(tb testing.TB) string {
	tb.Helper()
	dsn, drop, err := NewDB(Required(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(drop)
	return dsn
}

// NewDB creates an empty database on the cluster at admin and returns its
// address and a function that drops it.
func NewDB(admin string) (dsn string, drop func(), err error) {
	b := make([]byte, 6)
	rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("test cluster: %w", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	drop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	u, err := url.Parse(admin)
	if err != nil {
		drop()
		return "", nil, fmt.Errorf("test cluster address: %w", err)
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// Restart stops the test cluster and starts it again after pause, with
// the command .ci/pg exports in FIELDREG_TEST_PG_CTL; the test skips when
// it is not set (or fails under CI).
func Restart(tb testing.TB, pause time.Duration) {
	tb.Helper()
	ctl := strings.Fields(os.Getenv(Env + "_CTL"))
	if len(ctl) == 0 {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s_CTL is not set under CI", Env)
		}
		tb.Skipf("%s_CTL not set", Env)
	}
	run := func(verb string) {
		args := append(append([]string{}, ctl[1:]...), "-m", "fast", verb)
		if verb == "start" {
			args = append(append([]string{}, ctl[1:]...), verb)
		}
		if out, err := exec.Command(ctl[0], args...).CombinedOutput(); err != nil {
			tb.Fatalf("pg_ctl %s: %v\n%s", verb, err, out)
		}
	}
	run("stop")
	time.Sleep(pause)
	run("start")
}

// BackendEnv selects the hub back end of the end-to-end suites:
// "postgres" runs them on a fresh database of the test cluster, anything
// else on SQLite (make test runs them both ways).
const BackendEnv = "FIELDREG_HUB_BACKEND"

// Postgres reports whether the suites run on PostgreSQL.
func Postgres() bool { return os.Getenv(BackendEnv) == "postgres" }

// InitArgs are the flags reghub init takes for the selected back end: a
// fresh database's --db on PostgreSQL, none on SQLite.
func InitArgs(tb testing.TB) []string {
	tb.Helper()
	if !Postgres() {
		return nil
	}
	return []string{"--db", DB(tb)}
}
