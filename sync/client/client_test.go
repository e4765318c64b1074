package client

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	for _, ok := range []string{"https://hub.example:8443", "https://127.0.0.1:8443/", "https://hub.example/fieldreg"} {
		if err := CheckURL(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://hub.example:8443", "hub.example:8443", "", "https://", "ftp://hub", "https://user:pw@hub.example", "https://hub.example/?x=1"} {
		if err := CheckURL(bad); !errors.Is(err, ErrBadURL) {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A client for an http:// address sends nothing: no connection is made,
// and the error says why and that retrying will not help.
func TestPlainHTTPSendsNothing(t *testing.T) {
	dialled := false
	c := New(Config{URL: "http://127.0.0.1:18470", DialContext: func(context.Context, string, string) (net.Conn, error) {
		dialled = true
		return nil, errors.New("no network in this test")
	}})
	defer c.Close()
	_, err := c.Hello(context.Background(), nil)
	if !errors.Is(err, ErrBadURL) || Retryable(err) || errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "nothing was sent") {
		t.Fatalf("err = %v (retryable %v)", err, Retryable(err))
	}
	if dialled {
		t.Fatal("a connection was made to a plain http address")
	}
}
