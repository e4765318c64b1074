package device

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"slices"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/client"
	"github.com/fieldreg/fieldreg/sync/federation"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// Elsewhere asks the hub, which asks the regional joint database, whether
// the person of record id was registered in another country. The device
// sends the person's blocking keys (phonetic skeletons, never a name as
// written) sealed under the deployment's records key; the hub turns them
// into tokens under the region's shared key, which no device holds. The
// answer lists hits (owning country, reference, date, place, category); no
// hits is a no-hit. The question is audit-logged. Offline, it fails with a
// retryable error (client.Retryable).
func (s *Session) Elsewhere(ctx context.Context, id string, opts SyncOptions) (*wire.ElsewhereReply, error) {
	if canon, err := registry.ParseRegID(id); err == nil {
		id = canon
	}
	r, err := s.state(id)
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
	keys, err := json.Marshal(federation.KeysOf(&r.Person))
	if err != nil {
		return nil, err
	}
	defer clear(keys)
	s.mu.RLock()
	if s.k == nil {
		s.mu.RUnlock()
		return nil, ErrSessionLocked
	}
	sealed, err := seal.Seal(s.k.records, keys, seal.AD("federation", "elsewhere", id))
	key := slices.Clone(s.k.sign)
	s.mu.RUnlock()
	defer clear(key)
	if err != nil {
		return nil, err
	}
	c := client.New(client.Config{URL: url, HubCert: hubCert, ClientCert: clientCert, Key: ed25519.PrivateKey(key),
		DialContext: opts.DialContext, Timeout: opts.Timeout})
	defer c.Close()
	rep, err := c.Elsewhere(ctx, &wire.ElsewhereRequest{Version: wire.Version, Record: id, Sealed: sealed})
	if err != nil {
		return nil, err
	}
	_ = s.audit("elsewhere", id, "asked the regional joint database")
	return rep, nil
}
