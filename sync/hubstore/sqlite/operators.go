package sqlite

import (
	"context"
	"time"

	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// Operator reads a dashboard account.
func (s *Store) Operator(ctx context.Context, name string) (hubstore.OperatorRow, error) {
	o := hubstore.OperatorRow{Name: name}
	var created int64
	err := s.db.QueryRowContext(ctx, "SELECT secret, created FROM operators WHERE name = ?", name).Scan(&o.Secret, &created)
	o.Created = time.Unix(created, 0).UTC()
	return o, notFound(err)
}

// Operators lists the dashboard accounts by name.
func (s *Store) Operators(ctx context.Context) ([]hubstore.OperatorRow, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT name, secret, created FROM operators ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []hubstore.OperatorRow
	for rows.Next() {
		var o hubstore.OperatorRow
		var created int64
		if err := rows.Scan(&o.Name, &o.Secret, &created); err != nil {
			return nil, err
		}
		o.Created = time.Unix(created, 0).UTC()
		out = append(out, o)
	}
	return out, rows.Err()
}

// PutOperator inserts or replaces a dashboard account.
func (t *Tx) PutOperator(o hubstore.OperatorRow) error {
	_, err := t.tx.Exec("INSERT OR REPLACE INTO operators(name, secret, created) VALUES(?, ?, ?)", o.Name, o.Secret, o.Created.Unix())
	return err
}

// DeleteOperator removes a dashboard account.
func (t *Tx) DeleteOperator(name string) error {
	r, err := t.tx.Exec("DELETE FROM operators WHERE name = ?", name)
	if err != nil {
		return err
	}
	if n, err := r.RowsAffected(); err == nil && n == 0 {
		return hubstore.ErrNotFound
	}
	return err
}
