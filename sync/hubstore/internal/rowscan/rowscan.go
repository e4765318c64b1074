// Package rowscan reads query results into hubstore's types, the same way
// for both back ends: database/sql rows (SQLite) and pgx rows (PostgreSQL)
// both satisfy Rows. Each scanner names the columns it expects, in order.
package rowscan

import (
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// Scanner reads the current row.
type Scanner interface {
	Scan(dest ...any) error
}

// Rows is a result being read; the caller closes it.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// All reads every row of rows with scan.
func All[T any](rows Rows, scan func(Scanner) (T, error)) ([]T, error) {
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// String reads one text column.
func String(sc Scanner) (string, error) {
	var s string
	return s, sc.Scan(&s)
}

// ReceivedCols are the columns Received reads.
const ReceivedCols = "origin, epoch, seq, hlc, officer, record, op, payload, sig, received"

// Received reads a stored event and when it was received (ReceivedCols;
// received in Unix ms).
func Received(sc Scanner) (*registry.Event, time.Time, error) {
	var e registry.Event
	var epoch, seq, hlc, at int64
	if err := sc.Scan(&e.Origin, &epoch, &seq, &hlc, &e.Officer, &e.Record, &e.Op, &e.Payload, &e.Sig, &at); err != nil {
		return nil, time.Time{}, err
	}
	e.Epoch, e.Seq, e.HLC = uint64(epoch), uint64(seq), registry.HLC(hlc)
	return &e, time.UnixMilli(at).UTC(), nil
}

// QuarantineCols are the columns Quarantine reads.
const QuarantineCols = "origin, epoch, seq, hlc, officer, record, op, payload, sig, reason, received"

// Quarantine reads a quarantined event (QuarantineCols; received in Unix ms).
func Quarantine(sc Scanner) (hubstore.QuarantineEntry, error) {
	var e registry.Event
	var q hubstore.QuarantineEntry
	var epoch, seq, hlc, at int64
	if err := sc.Scan(&e.Origin, &epoch, &seq, &hlc, &e.Officer, &e.Record, &e.Op, &e.Payload, &e.Sig, &q.Reason, &at); err != nil {
		return q, err
	}
	e.Epoch, e.Seq, e.HLC = uint64(epoch), uint64(seq), registry.HLC(hlc)
	q.Event, q.Record, q.Received, q.Full = e.ID(), e.Record, time.UnixMilli(at), &e
	return q, nil
}

// Flag reads an event's remark (origin, epoch, seq, flag, at in Unix ms).
func Flag(sc Scanner) (hubstore.FlagEntry, error) {
	var f hubstore.FlagEntry
	var epoch, seq, at int64
	if err := sc.Scan(&f.Event.Origin, &epoch, &seq, &f.Flag, &at); err != nil {
		return f, err
	}
	f.Event.Epoch, f.Event.Seq, f.At = uint64(epoch), uint64(seq), time.UnixMilli(at)
	return f, nil
}

// Pushed reads what was pushed of a record (record, number of events,
// latest clock).
func Pushed(sc Scanner) (hubstore.Pushed, error) {
	var p hubstore.Pushed
	return p, sc.Scan(&p.Record, &p.N, &p.HLC)
}

// TokenHit reads a record holding a token (country, ref, kind, day,
// place, category).
func TokenHit(sc Scanner) (hubstore.TokenHit, error) {
	var h hubstore.TokenHit
	return h, sc.Scan(&h.Country, &h.Ref, &h.Kind, &h.Date, &h.Place, &h.Category)
}

// FedCountry reads an admitted country hub (country, client, sharing,
// revoked at or 0, records, data sets).
func FedCountry(sc Scanner) (hubstore.FedCountry, error) {
	var c hubstore.FedCountry
	var revoked, records, sets int64
	if err := sc.Scan(&c.Country, &c.Client, &c.Sharing, &revoked, &records, &sets); err != nil {
		return c, err
	}
	c.Revoked, c.Records, c.DataSets = revoked != 0, int(records), int(sets)
	return c, nil
}

// Token reads a blind index token (token, kind).
func Token(sc Scanner) (hubstore.Token, error) {
	var t hubstore.Token
	return t, sc.Scan(&t.Token, &t.Kind)
}

// OperatorCols are the columns Operator reads.
const OperatorCols = "name, secret, created"

// Operator reads a dashboard account (OperatorCols; created in Unix
// seconds).
func Operator(sc Scanner) (hubstore.OperatorRow, error) {
	var o hubstore.OperatorRow
	var created int64
	if err := sc.Scan(&o.Name, &o.Secret, &created); err != nil {
		return o, err
	}
	o.Created = time.Unix(created, 0).UTC()
	return o, nil
}
