package wire

import "github.com/fieldreg/fieldreg/sync/federation"

// Federation paths. PathElsewhere is served by a country hub to its devices;
// the other two by the regional hub to country hubs (mutual TLS with the
// certificate the regional authority issued to the country hub).
const (
	PathElsewhere = "/v1/elsewhere"
	PathFedPush   = "/v1/federation/push"
	PathFedQuery  = "/v1/federation/query"
)

// MaxFedEntries bounds the records of one upstream push.
const MaxFedEntries = 500

// ElsewhereRequest asks "was this person registered elsewhere?". Sealed is
// the person's blocking keys (JSON array of strings) sealed under the
// deployment's records key with seal.AD("federation", "elsewhere",
// Record): phonetic skeletons, never a name as written, and even those
// never in the clear on the wire. Record is the asking record's reference
// (left out of the answer).
type ElsewhereRequest struct {
	Version int    `json:"version"`
	Record  string `json:"record,omitempty"`
	Sealed  []byte `json:"sealed"`
}

// Hit is one earlier registration in another country, as the region knows
// it: who holds it and under what reference. The details go country to
// country.
type Hit struct {
	Country  string `json:"country"`
	Ref      string `json:"ref"`
	Date     string `json:"date"` // YYYY-MM-DD of the registration
	Place    string `json:"place"`
	Category string `json:"category"`
	Evidence string `json:"evidence"` // plain words: what agreed (no values)
}

// ElsewhereReply is the answer: no hits is a no-hit.
type ElsewhereReply struct {
	Region string `json:"region"`
	Hits   []Hit  `json:"hits"`
}

// FedEntry is one record as it crosses the border in index-only mode: its
// tokens and minimal metadata. The country comes from the caller's
// certificate, never from the body.
type FedEntry struct {
	Ref      string             `json:"ref"`
	Date     string             `json:"date"`
	Place    string             `json:"place"`
	Category string             `json:"category"`
	Tokens   []federation.Token `json:"tokens"`
}

// FedPush upserts records at the region, keyed by reference: a record sent
// again replaces its earlier tokens and metadata.
type FedPush struct {
	Version int        `json:"version"`
	Entries []FedEntry `json:"entries"`
}

// FedPushReply acknowledges a push: every entry is durably held.
type FedPushReply struct {
	Upserted int `json:"upserted"`
}

// FedQuery asks the region about a person's tokens.
type FedQuery struct {
	Version int                `json:"version"`
	Exclude string             `json:"exclude,omitempty"`
	Tokens  []federation.Token `json:"tokens"`
}
