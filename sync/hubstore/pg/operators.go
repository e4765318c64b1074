package pg

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// Operator reads a dashboard account.
func (s *Store) Operator(ctx context.Context, name string) (hubstore.OperatorRow, error) {
	o := hubstore.OperatorRow{Name: name}
	var created int64
	err := s.pool.QueryRow(ctx, "SELECT secret, created FROM operators WHERE name = $1", name).Scan(&o.Secret, &created)
	o.Created = time.Unix(created, 0).UTC()
	return o, notFound(err)
}

// Operators lists the dashboard accounts by name.
func (s *Store) Operators(ctx context.Context) ([]hubstore.OperatorRow, error) {
	rows, err := s.pool.Query(ctx, "SELECT name, secret, created FROM operators ORDER BY name")
	if err != nil {
		return nil, unavailable(err)
	}
	var out []hubstore.OperatorRow
	var o hubstore.OperatorRow
	var created int64
	_, err = pgx.ForEachRow(rows, []any{&o.Name, &o.Secret, &created}, func() error {
		out = append(out, hubstore.OperatorRow{Name: o.Name, Secret: slices.Clone(o.Secret), Created: time.Unix(created, 0).UTC()})
		return nil
	})
	return out, unavailable(err)
}

// PutOperator inserts or replaces a dashboard account.
func (t *Tx) PutOperator(o hubstore.OperatorRow) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO operators(name, secret, created) VALUES($1, $2, $3)
		ON CONFLICT(name) DO UPDATE SET secret = excluded.secret, created = excluded.created`, o.Name, o.Secret, o.Created.Unix())
	return err
}

// DeleteOperator removes a dashboard account.
func (t *Tx) DeleteOperator(name string) error {
	tag, err := t.tx.Exec(t.ctx, "DELETE FROM operators WHERE name = $1", name)
	if err == nil && tag.RowsAffected() == 0 {
		return hubstore.ErrNotFound
	}
	return err
}
