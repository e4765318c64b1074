package store

import (
	"database/sql"
	"errors"
	"time"
)

// migrationElsewhere adds the device's questions to the regional joint
// database (migration 4). A row is written when the question is put; it
// waits (waiting = 1) until the hub answers, which may be at a later sync.
// The answer is sealed by the caller (it names countries, references and
// places of other registrations of the person); error holds plain words of
// the last failed attempt, never personal data.
const migrationElsewhere = `
CREATE TABLE elsewhere(record TEXT PRIMARY KEY, asked INTEGER NOT NULL, waiting INTEGER NOT NULL DEFAULT 1,
	answered INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '',
	answer BLOB) WITHOUT ROWID;
CREATE INDEX elsewhere_waiting ON elsewhere(waiting, asked);
`

// Question is the state of one "registered elsewhere?" question.
type Question struct {
	Record   string
	Asked    time.Time
	Waiting  bool      // asked (again) and not answered since
	Answered time.Time // when the latest answer arrived; zero if none did
	Attempts int       // failed attempts since it was (re)asked
	Error    string    // the last failed attempt, in plain words
	Answer   []byte    // sealed by the caller; nil while waiting
}

// AskQuestion records that the question is put for record: a new question,
// or an answered one put again (its earlier answer is kept until the new one
// arrives). A question already waiting keeps its place in the queue.
func (t *Tx) AskQuestion(record string, at time.Time) error {
	_, err := t.tx.Exec(`INSERT INTO elsewhere(record, asked) VALUES(?, ?)
		ON CONFLICT(record) DO UPDATE SET asked = CASE WHEN waiting = 1 THEN asked ELSE excluded.asked END,
			waiting = 1, attempts = 0, error = ''`, record, at.UnixNano())
	return err
}

// AnswerQuestion stores the sealed answer of record's question.
func (t *Tx) AnswerQuestion(record string, at time.Time, sealed []byte) error {
	res, err := t.tx.Exec(`UPDATE elsewhere SET waiting = 0, answered = ?, answer = ?, attempts = 0, error = '' WHERE record = ?`,
		at.UnixNano(), sealed, record)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// QuestionFailed counts a failed attempt to ask record's question.
func (t *Tx) QuestionFailed(record, reason string) error {
	_, err := t.tx.Exec(`UPDATE elsewhere SET attempts = attempts + 1, error = ? WHERE record = ? AND waiting = 1`, reason, record)
	return err
}

// Question returns the question of record, ErrNotFound if it was never put.
func (s *Store) Question(record string) (Question, error) {
	var q Question
	var asked, answered int64
	err := s.db.QueryRow(`SELECT record, asked, waiting, answered, attempts, error, answer FROM elsewhere WHERE record = ?`, record).
		Scan(&q.Record, &asked, &q.Waiting, &answered, &q.Attempts, &q.Error, &q.Answer)
	if errors.Is(err, sql.ErrNoRows) {
		return q, ErrNotFound
	}
	if err != nil {
		return q, err
	}
	q.Asked = time.Unix(0, asked)
	if answered != 0 {
		q.Answered = time.Unix(0, answered)
	}
	return q, nil
}

// WaitingQuestions lists the records whose question waits for an answer,
// oldest first, at most limit of them, leaving out those that failed
// maxAttempts times or more (a supervisor asks them again).
func (s *Store) WaitingQuestions(limit, maxAttempts int) ([]string, error) {
	return scanStrings(s.db.Query(`SELECT record FROM elsewhere WHERE waiting = 1 AND attempts < ? ORDER BY asked, record LIMIT ?`,
		maxAttempts, limit))
}

// CountWaitingQuestions counts the questions that wait for an answer.
func (s *Store) CountWaitingQuestions() (int, error) {
	var n int
	err := s.db.QueryRow(`SELECT COUNT(*) FROM elsewhere WHERE waiting = 1`).Scan(&n)
	return n, err
}

// scanStrings reads a one-column result of strings.
func scanStrings(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
