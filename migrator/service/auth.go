package service

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// Auth says who may use the admin API, which starts and aborts
// migrations: a client that sends the bearer token, or one whose TLS
// certificate the server verified (mutual TLS). Every request without
// either is refused with 401 and changes nothing.
type Auth struct {
	// Token is the bearer token (Authorization: Bearer TOKEN); "" accepts
	// none.
	Token string
	// ClientCerts accepts a client whose certificate the TLS server
	// verified.
	ClientCerts bool
	// Hint, when set, ends the refusal's message: where a user finds the
	// credential.
	Hint string
}

// Wrap refuses requests to h that lack the credential.
func (a *Auth) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := a.check(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="lime proxy"`)
			fail(w, http.StatusUnauthorized, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// ErrUnauthorized: the admin API refused a request for its credential.
var ErrUnauthorized = errors.New("unauthorized")

func (a *Auth) check(r *http.Request) error {
	if a.ClientCerts && r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		return nil
	}
	hint := ""
	if a.Hint != "" {
		hint = " (" + a.Hint + ")"
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case !ok || got == "":
		return fmt.Errorf("%w: the lime proxy's admin API needs a credential: its bearer token%s", ErrUnauthorized, hint)
	case a.Token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(a.Token)) != 1:
		return fmt.Errorf("%w: wrong token for the lime proxy's admin API%s", ErrUnauthorized, hint)
	}
	return nil
}

// MinTokenLen is the shortest token the admin API takes.
const MinTokenLen = 16

// LoadOrCreateToken reads the admin API's token from path, or, when there
// is no such file, makes one (256 random bits, hex) and writes it there
// readable by its owner alone; created says which.
func LoadOrCreateToken(path string) (token string, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		raw := make([]byte, 32)
		rand.Read(raw)
		token = hex.EncodeToString(raw)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) { // made meanwhile by another proxy
			t, err := ReadToken(path)
			return t, false, err
		}
		if err != nil {
			return "", false, fmt.Errorf("admin token: %w", err)
		}
		if _, err := f.WriteString(token + "\n"); err != nil {
			f.Close()
			return "", false, fmt.Errorf("admin token %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return "", false, fmt.Errorf("admin token %s: %w", path, err)
		}
		return token, true, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("admin token: %w", err)
	}
	t, err := parseToken(path, b)
	return t, false, err
}

// ReadToken reads the admin API's token from path.
func ReadToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	return parseToken(path, b)
}

func parseToken(path string, b []byte) (string, error) {
	t := strings.TrimSpace(string(b))
	switch {
	case strings.ContainsAny(t, " \t\r\n"):
		return "", fmt.Errorf("admin token %s: one line expected", path)
	case len(t) < MinTokenLen:
		return "", fmt.Errorf("admin token %s: %d characters, fewer than %d", path, len(t), MinTokenLen)
	}
	return t, nil
}
