package client

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fieldreg/fieldreg/sync/wire"
)

// A hub of another protocol version: the device says in words which side
// is older and who updates, whether the hub refuses the hello (newer hubs
// send their version) or answers it in another version.
func TestOtherProtocolSaysWhoUpdates(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	for _, tt := range []struct {
		name    string
		handler http.HandlerFunc
		says    string
	}{
		{"newer hub refuses", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(wire.Error{Code: wire.CodeVersion, Message: "words of the hub", Protocol: wire.Version + 1})
		}, "this app is older than the hub"},
		// Hubs of protocol 1 before this change did not send their version:
		// their own words are shown.
		{"hub without its version", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(wire.Error{Code: wire.CodeVersion, Message: "this hub speaks sync protocol 0: update the app"})
		}, "this hub speaks sync protocol 0: update the app"},
		{"hub answers in another version", func(w http.ResponseWriter, r *http.Request) {
			_ = json.NewEncoder(w).Encode(wire.HelloReply{Version: wire.Version + 1})
		}, "this app is older than the hub (it speaks sync protocol"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewTLSServer(tt.handler)
			defer srv.Close()
			c := New(Config{URL: srv.URL, HubCert: srv.Certificate().Raw, Key: key})
			defer c.Close()
			_, err := c.Hello(context.Background(), nil)
			if !errors.Is(err, ErrRefused) || Retryable(err) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v, want refused saying %q", err, tt.says)
			}
		})
	}
}
