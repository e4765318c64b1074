// Package client is a device's HTTPS client of the hub's sync API (package
// wire): mutual TLS with the device's certificate, the hub's certificate
// pinned, bounded reads of everything the hub sends, and errors that say in
// plain words what happened and whether retrying helps.
package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/sync/pki"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// Sentinel errors: every error of this package wraps exactly one, so a
// caller branches with errors.Is and shows Error() to the officer.
var (
	// ErrUnreachable: no connection to the hub, or it broke off. Retry later.
	ErrUnreachable = errors.New("hub unreachable")
	// ErrRevoked: the hub refuses this device for good. Retrying does not help.
	ErrRevoked = errors.New("this device was revoked")
	// ErrNotEnrolled: the hub does not know this device. Retrying does not help.
	ErrNotEnrolled = errors.New("this device is not enrolled at this hub")
	// ErrCertMismatch: the server is not the hub of the enrolment. Retrying does not help.
	ErrCertMismatch = pki.ErrCertMismatch
	// ErrRefused: the hub refused what was sent (malformed, too large,
	// forged, unsupported version). Retrying the same data does not help.
	ErrRefused = errors.New("the hub refused the data")
	// ErrHub: the hub failed (a server error, or a malformed answer). Retry later.
	ErrHub = errors.New("the hub had a problem")
	// ErrBadURL: the hub's address is not an https:// address. Everything
	// goes over mutually authenticated TLS with the hub's pinned
	// certificate; an http:// address would send it in the clear to
	// whoever answers.
	ErrBadURL = errors.New("the hub address must be https://host:port")
)

// CheckURL refuses a hub address that is not https://host[:port][/path].
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return ErrBadURL
	}
	return nil
}

// Error is a failed request. It unwraps to one of the sentinel errors.
type Error struct {
	Kind    error          // one of the sentinels
	Op      string         // "hello", "push" or "pull"
	Status  int            // HTTP status, 0 when there was no answer
	Message string         // the hub's plain-words message, if any
	Refused []wire.Refusal // events the hub named as refused
	Err     error          // the underlying error, if any
	// Code is the hub's error code (wire.Code*), if it sent one;
	// RetryAfter is how long a busy hub asked to wait.
	Code       string
	RetryAfter time.Duration
}

// busyRetries is how many times a pull is asked again of a busy hub.
const busyRetries = 5

func (e *Error) Error() string {
	s := e.Kind.Error()
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns the kind and the underlying error.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

// Temporary reports whether retrying later may succeed.
func (e *Error) Temporary() bool { return e.Kind == ErrUnreachable || e.Kind == ErrHub }

// Retryable reports whether err is worth retrying later (a network or hub
// failure); false for revocation, certificate mismatch and refused data.
func Retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Temporary()
	}
	return errors.Is(err, ErrUnreachable) || errors.Is(err, wire.ErrTruncated)
}

// Config says how to reach the hub.
type Config struct {
	URL        string             // https://host:port from the enrolment package
	HubCert    []byte             // DER, pinned
	ClientCert []byte             // DER, the device's certificate
	Key        ed25519.PrivateKey // the device's signing key (the certificate's key)
	// DialContext replaces the network dialer (tests inject faults with it).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	Timeout     time.Duration // per request; 2 minutes when zero
}

// Client talks to one hub. It is safe for concurrent use.
type Client struct {
	url    string
	urlErr error // the address is not https: every request fails with it
	hc     *http.Client
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	dial := cfg.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Minute
	}
	tr := &http.Transport{
		DialContext:           dial,
		TLSClientConfig:       pki.ClientConfig(cfg.HubCert, cfg.ClientCert, cfg.Key),
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: time.Minute,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	c := &Client{url: strings.TrimRight(cfg.URL, "/"), hc: &http.Client{Transport: tr, Timeout: cfg.Timeout}}
	if err := CheckURL(cfg.URL); err != nil {
		c.urlErr = err
	}
	return c
}

// Close drops idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// classify turns a transport failure into an *Error.
func classify(op string, err error) *Error {
	var ae tls.AlertError
	switch {
	case errors.Is(err, pki.ErrCertMismatch):
		return &Error{Kind: ErrCertMismatch, Op: op, Err: err}
	case errors.As(err, &ae) && (ae == 42 || ae == 43 || ae == 44 || ae == 45 || ae == 46 || ae == 48 || ae == 116):
		return &Error{Kind: ErrNotEnrolled, Op: op, Message: "the hub did not accept this device's certificate", Err: err}
	}
	return &Error{Kind: ErrUnreachable, Op: op, Err: err}
}

// post sends body and returns the response when its status is 200; any
// other status becomes an *Error.
func (c *Client) post(ctx context.Context, op, path, ctype string, body []byte) (*http.Response, error) {
	if c.urlErr != nil {
		return nil, &Error{Kind: ErrBadURL, Op: op, Message: "nothing was sent"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+path, bytes.NewReader(body))
	if err != nil {
		return nil, &Error{Kind: ErrRefused, Op: op, Message: "the hub address is not valid", Err: err}
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, classify(op, err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	var body2 struct {
		wire.Error
		Refused []wire.Refusal `json:"refused"`
	}
	_ = wire.ReadJSON(resp.Body, 1<<20, false, &body2)
	e := &Error{Op: op, Status: resp.StatusCode, Message: body2.Message, Refused: body2.Refused, Code: body2.Code}
	if body2.Code == wire.CodeBusy {
		e.RetryAfter = time.Second
		if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n > 0 {
			e.RetryAfter = min(time.Duration(n)*time.Second, 10*time.Second)
		}
	}
	switch {
	case body2.Code == wire.CodeRevoked:
		e.Kind, e.Message = ErrRevoked, ""
	case body2.Code == wire.CodeVersion && body2.Protocol > 0:
		// Said from this side: which of the two is older, and who updates.
		e.Kind, e.Message = ErrRefused, wire.Mismatch(wire.Version, body2.Protocol, strings.HasPrefix(op, "federation"))
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized:
		e.Kind, e.Message = ErrNotEnrolled, ""
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		e.Kind = ErrHub
	default:
		e.Kind = ErrRefused
		if e.Message == "" {
			e.Message = fmt.Sprintf("HTTP %d", resp.StatusCode)
		}
	}
	return nil, e
}

func (c *Client) postJSON(ctx context.Context, op, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	resp, err := c.post(ctx, op, path, "application/json", b)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := wire.ReadJSON(resp.Body, wire.MaxJSONBytes+wire.MaxHeads*100, false, out); err != nil {
		return &Error{Kind: ErrUnreachable, Op: op, Message: "the answer was cut off", Err: err}
	}
	return nil
}

// Hello opens a sync: it sends the device's vector and returns the hub's
// vector, the trust list and the revocation list.
func (c *Client) Hello(ctx context.Context, v vector.Vector) (*wire.HelloReply, error) {
	return c.HelloPrekeys(ctx, v, nil)
}

// HelloPrekeys is Hello that also hands the hub the device's one-time
// bundle keys (wire.Hello.Prekeys).
func (c *Client) HelloPrekeys(ctx context.Context, v vector.Vector, prekeys []byte) (*wire.HelloReply, error) {
	var rep wire.HelloReply
	if err := c.postJSON(ctx, "hello", wire.PathHello, wire.Hello{Version: wire.Version, Vector: wire.FromVector(v), Prekeys: prekeys}, &rep); err != nil {
		return nil, err
	}
	if rep.Version != wire.Version {
		return nil, &Error{Kind: ErrRefused, Op: "hello", Message: wire.Mismatch(wire.Version, rep.Version, false)}
	}
	return &rep, nil
}

// Push sends one chunk of encoded events (wire.EncodeEvent), at most
// wire.MaxChunkEvents, and returns the hub's acknowledgement.
func (c *Client) Push(ctx context.Context, evs [][]byte) (*wire.PushReply, error) {
	var buf bytes.Buffer
	fw := wire.NewWriter(&buf)
	for _, b := range evs {
		_ = fw.Event(b)
	}
	_ = fw.Close(false)
	resp, err := c.post(ctx, "push", wire.PathPush, "application/x-fieldreg-events", buf.Bytes())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var rep wire.PushReply
	if err := wire.ReadJSON(resp.Body, wire.MaxJSONBytes, false, &rep); err != nil {
		// The hub may have committed the chunk: the next hello says.
		return nil, &Error{Kind: ErrUnreachable, Op: "push", Message: "the acknowledgement was cut off", Err: err}
	}
	return &rep, nil
}

// Pull fetches the next chunk of events the device lacks. It returns the
// events (decoded, not yet verified) and whether the hub holds more. A
// chunk cut short is discarded whole (ErrUnreachable).
func (c *Client) Pull(ctx context.Context, v vector.Vector, max int) ([]*registry.Event, bool, error) {
	p, err := c.PullChunk(ctx, v, max)
	if err != nil {
		return nil, false, err
	}
	return p.Events, p.More, nil
}

// Pulled is one chunk received from the hub.
type Pulled struct {
	Events []*registry.Event  // decoded, not yet verified
	More   bool               // the hub holds more for the device
	Holes  []registry.EventID // slots of the logs sent that the hub knows are lost
}

// PullChunk is Pull with the lost slots the hub names in the chunk's
// trailer (docs/sync.md). A hub busy serving other devices' pulls (503
// "busy") is asked again after the time it names (at most 10 s), up to
// busyRetries times, before the error is returned.
func (c *Client) PullChunk(ctx context.Context, v vector.Vector, max int) (*Pulled, error) {
	b, _ := json.Marshal(wire.PullRequest{Vector: wire.FromVector(v), MaxEvents: max})
	var resp *http.Response
	var err error
	for try := 0; ; try++ {
		resp, err = c.post(ctx, "pull", wire.PathPull, "application/json", b)
		var e *Error
		if !errors.As(err, &e) || e.Code != wire.CodeBusy || try == busyRetries {
			break
		}
		select {
		case <-ctx.Done():
			return nil, &Error{Kind: ErrUnreachable, Op: "pull", Message: "sync cancelled", Err: ctx.Err()}
		case <-time.After(e.RetryAfter):
		}
	}
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	fr := wire.NewReader(io.LimitReader(resp.Body, wire.MaxPushBytes))
	var out []*registry.Event
	for {
		b, err := fr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if errors.Is(err, wire.ErrTruncated) || isNetErr(err) {
				return nil, &Error{Kind: ErrUnreachable, Op: "pull", Message: "the transfer was cut off", Err: err}
			}
			return nil, &Error{Kind: ErrHub, Op: "pull", Message: "the hub sent malformed data", Err: err}
		}
		e, err := wire.DecodeEvent(b)
		if err != nil {
			return nil, &Error{Kind: ErrHub, Op: "pull", Message: "the hub sent a malformed event", Err: err}
		}
		out = append(out, e)
	}
	tr := fr.Trailer()
	return &Pulled{Events: out, More: tr.More, Holes: tr.Holes}, nil
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "connection reset")
}
