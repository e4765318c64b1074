package e2e

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/sync/wire"
)

// A serving hub names its release: in its first log line, and on /healthz
// to anyone (no client certificate), with the sync protocol it speaks.
// These test binaries were not stamped by the Makefile: "devel".
func TestHubNamesItsRelease(t *testing.T) {
	h := newHub(t)
	h.start("127.0.0.1:0")
	anon := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := anon.Get(h.url() + wire.PathHealth)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got wire.Health
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: HTTP %d, %v", resp.StatusCode, err)
	}
	if got != (wire.Health{Status: "ok", Version: "devel", Commit: got.Commit, Protocol: wire.Version}) {
		t.Errorf("healthz: %+v", got)
	}
	first, _, _ := strings.Cut(h.logs.String(), "\n")
	if !strings.Contains(first, `"msg":"starting","version":"devel"`) || !strings.Contains(first, fmt.Sprintf(`"protocol":%d`, wire.Version)) {
		t.Errorf("first log line: %s", first)
	}
	h.stop()
}
