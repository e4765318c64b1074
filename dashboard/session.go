package dashboard

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Cookie names. The __Host- prefix makes the browser keep a cookie only if
// it was set Secure, for this host alone (no Domain) and path /.
const (
	sessionCookie = "__Host-reghub_session"
	loginCookie   = "__Host-reghub_login"
)

// A session is a cookie the server can check without storing anything:
// the account name, the time it ends, and a MAC under the hub's session
// key over both and the account's stamp. Removing the account (or adding
// it again with a new passphrase) changes the stamp and so ends its
// sessions; every server of the hub checks the same cookie.
type session struct {
	name string
	ends time.Time
}

var errSession = errors.New("no valid session")

func (s *Server) sessionMAC(name string, ends int64, stamp []byte) []byte {
	m := hmac.New(sha256.New, s.cfg.SessionKey)
	m.Write([]byte("session\x00"))
	m.Write([]byte(name))
	m.Write([]byte{0})
	m.Write([]byte(strconv.FormatInt(ends, 10)))
	m.Write([]byte{0})
	m.Write(stamp)
	return m.Sum(nil)
}

func (s *Server) newSession(w http.ResponseWriter, name string, stamp []byte) {
	ends := s.cfg.Now().Add(s.cfg.SessionTTL).Unix()
	v := base64.RawURLEncoding.EncodeToString([]byte(name)) + "." + strconv.FormatInt(ends, 10) + "." +
		base64.RawURLEncoding.EncodeToString(s.sessionMAC(name, ends, stamp))
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: v, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int(s.cfg.SessionTTL / time.Second)})
}

func endSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// session checks the request's session cookie: well formed, not ended,
// its MAC right for the account as it is now.
func (s *Server) session(ctx context.Context, r *http.Request) (session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || len(c.Value) > 512 {
		return session{}, errSession
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 {
		return session{}, errSession
	}
	nb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	ends, err2 := strconv.ParseInt(parts[1], 10, 64)
	mac, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || len(nb) == 0 {
		return session{}, errSession
	}
	end := time.Unix(ends, 0)
	if !s.cfg.Now().Before(end) || end.After(s.cfg.Now().Add(s.cfg.SessionTTL)) {
		return session{}, errSession
	}
	stamp, err := s.cfg.Accounts.OperatorStamp(ctx, string(nb))
	if err != nil {
		return session{}, errSession
	}
	if !hmac.Equal(mac, s.sessionMAC(string(nb), ends, stamp)) {
		return session{}, errSession
	}
	return session{name: string(nb), ends: end}, nil
}
