package device

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/client"
	"github.com/fieldreg/fieldreg/sync/federation"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// Questions asked at one sync, and the failed attempts after which a
// question stops being asked at every sync (it stays on the record, and
// asking it again from the record starts over).
const (
	questionsPerSync     = 200
	maxQuestionAttempts  = 20
	questionFailedReason = "the hub could not answer"
)

// ElsewhereAnswer is what the device knows of the question "was this person
// registered elsewhere?" for one record.
type ElsewhereAnswer struct {
	Record   string
	Asked    time.Time
	Answered time.Time            // when the latest answer arrived; zero if none did
	Reply    *wire.ElsewhereReply // the latest answer; nil if none arrived yet
	Waiting  bool                 // asked (again) and not answered yet
	Attempts int                  // failed attempts since it was asked
	Error    string               // the last failed attempt, in plain words
}

// Elsewhere asks the hub, which asks the regional joint database, whether
// the person of record id was registered in another country. The question
// is first stored on the device; the answer is stored on the record, sealed.
// If the hub cannot be reached, the error is retryable (client.Retryable)
// and the question waits: the next sync asks it, and its answer then
// appears on the record (ElsewhereAnswerOf).
//
// The device sends the person's blocking keys (phonetic skeletons, never a
// name as written) sealed under the deployment's records key; the hub
// turns them into tokens under the region's shared key, which no device
// holds. The answer lists hits (owning country, reference, date, place,
// category); no hits is a no-hit. Every question asked is audit-logged.
func (s *Session) Elsewhere(ctx context.Context, id string, opts SyncOptions) (*wire.ElsewhereReply, error) {
	id, err := s.QueueElsewhere(id)
	if err != nil {
		return nil, err
	}
	url, hubCert, clientCert, err := s.d.hubConfig()
	if err != nil {
		return nil, err
	}
	if opts.HubURL != "" {
		url = opts.HubURL
	}
	c, done, err := s.hubClient(url, hubCert, clientCert, opts)
	if err != nil {
		return nil, err
	}
	defer done()
	return s.ask(ctx, c, id)
}

// QueueElsewhere puts the question for record id without asking it: the
// next sync (or Elsewhere) asks it. It returns the canonical ID. Only an
// enrolled device can ask; a standalone device has no hub.
func (s *Session) QueueElsewhere(id string) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	if canon, err := registry.ParseRegID(id); err == nil {
		id = canon
	}
	if _, _, _, err := s.d.hubConfig(); err != nil {
		return "", err
	}
	if _, err := s.d.st.Record(id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", fmt.Errorf("no record %s on this device", id)
		}
		return "", err
	}
	err := s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		return tx.AskQuestion(id, s.d.opts.Now())
	})
	return id, err
}

// ElsewhereAnswerOf returns the question and answer of record id; ok is
// false if the question was never asked on this device.
func (s *Session) ElsewhereAnswerOf(id string) (a ElsewhereAnswer, ok bool, err error) {
	if err := s.check(); err != nil {
		return a, false, err
	}
	q, err := s.d.st.Question(id)
	if errors.Is(err, store.ErrNotFound) {
		return a, false, nil
	}
	if err != nil {
		return a, false, err
	}
	a = ElsewhereAnswer{Record: q.Record, Asked: q.Asked, Answered: q.Answered, Waiting: q.Waiting,
		Attempts: q.Attempts, Error: q.Error}
	if q.Answer != nil {
		var pt []byte
		err := s.withKeys(func(k *keys) (err error) {
			pt, err = seal.Open(k.master, q.Answer, seal.AD("elsewhere", "answer", id))
			return err
		})
		if errors.Is(err, ErrSessionLocked) {
			return a, false, err
		}
		if err != nil {
			return a, false, fmt.Errorf("the stored answer for %s does not open: %w", id, err)
		}
		var rep wire.ElsewhereReply
		err = json.Unmarshal(pt, &rep)
		clear(pt)
		if err != nil {
			return a, false, fmt.Errorf("the stored answer for %s is damaged", id)
		}
		a.Reply = &rep
	}
	return a, true, nil
}

// WaitingQuestions counts the questions waiting for the next sync.
func (s *Session) WaitingQuestions() (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	return s.d.st.CountWaitingQuestions()
}

// hubClient builds a client for the hub with a copy of the device's key;
// done closes it and wipes the copy.
func (s *Session) hubClient(url string, hubCert, clientCert []byte, opts SyncOptions) (c *client.Client, done func(), err error) {
	var key []byte
	if err := s.withKeys(func(k *keys) error { key = slices.Clone(k.sign); return nil }); err != nil {
		return nil, nil, err
	}
	c = client.New(client.Config{URL: url, HubCert: hubCert, ClientCert: clientCert, Key: ed25519.PrivateKey(key),
		DialContext: opts.DialContext, Timeout: opts.Timeout})
	return c, func() { c.Close(); clear(key) }, nil
}

// ask puts the question of record id (already stored) to the hub through c
// and stores the answer, or the failed attempt.
func (s *Session) ask(ctx context.Context, c *client.Client, id string) (*wire.ElsewhereReply, error) {
	req, err := s.elsewhereRequest(id)
	if err != nil {
		return nil, err
	}
	rep, err := c.Elsewhere(ctx, req)
	if err != nil {
		s.noteRevoked(err)
		reason := questionFailedReason
		var ce *client.Error
		switch {
		case errors.Is(err, client.ErrUnreachable):
			reason = "the hub was not reachable"
		case errors.Is(err, client.ErrBadURL):
			reason = "nothing was sent: " + client.ErrBadURL.Error() + " (a supervisor can correct it in the sync settings)"
		case errors.As(err, &ce) && ce.Message != "":
			// The hub's messages are fixed texts, without personal data.
			reason = "the hub answered: " + ce.Message
		}
		if len(reason) > 200 {
			reason = reason[:200]
		}
		if e := s.d.st.Update(context.Background(), func(tx *store.Tx) error { return tx.QuestionFailed(id, reason) }); e != nil {
			return nil, errors.Join(err, e)
		}
		return nil, err
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return nil, err
	}
	var sealed []byte
	err = s.withKeys(func(k *keys) (err error) {
		sealed, err = seal.Seal(k.master, b, seal.AD("elsewhere", "answer", id))
		return err
	})
	clear(b)
	if err != nil {
		return nil, err
	}
	detail := "asked the regional joint database: no hit"
	if len(rep.Hits) > 0 {
		detail = fmt.Sprintf("asked the regional joint database: %d hit(s)", len(rep.Hits))
	}
	err = s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.AnswerQuestion(id, s.d.opts.Now(), sealed); err != nil {
			return err
		}
		if len(rep.Hits) > 0 {
			if err := s.withKeys(func(*keys) error { return s.countHit(tx, id, stats.Day(s.d.opts.Now())) }); err != nil {
				return err
			}
		}
		return s.auditTx(tx, "elsewhere", id, detail)
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// elsewhereRequest builds the question for record id: its blocking keys,
// sealed under the deployment's records key.
func (s *Session) elsewhereRequest(id string) (*wire.ElsewhereRequest, error) {
	r, err := s.state(id)
	if err != nil {
		return nil, err
	}
	blocking, err := json.Marshal(federation.KeysOf(&r.Person))
	if err != nil {
		return nil, err
	}
	defer clear(blocking)
	var sealed []byte
	err = s.withKeys(func(k *keys) (err error) {
		sealed, err = seal.Seal(k.records, blocking, seal.AD("federation", "elsewhere", id))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &wire.ElsewhereRequest{Version: wire.Version, Record: id, Sealed: sealed}, nil
}

// askWaiting asks, at the end of a sync, the questions that were put while
// the hub was out of reach. A question the hub refuses is counted and asked
// again at the next sync (up to maxQuestionAttempts); a lost connection
// stops the round. It never fails the sync.
func (s *Session) askWaiting(ctx context.Context, c *client.Client, rep *SyncReport) {
	ids, err := s.d.st.WaitingQuestions(questionsPerSync, maxQuestionAttempts)
	if err != nil {
		return
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			return
		}
		if _, err := s.ask(ctx, c, id); err != nil {
			rep.QuestionsFailed++
			if client.Retryable(err) {
				return
			}
			continue
		}
		rep.Answered++
	}
}
