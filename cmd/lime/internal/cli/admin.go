package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/service"
)

// AdminFlags reach a lime proxy's admin API.
type AdminFlags struct {
	Addr      string
	TokenFile string
	TLS       ClientTLSFlags
	fs        *pflag.FlagSet
}

// TokenEnv holds the admin API's token, in place of --admin-token-file.
const TokenEnv = "LIME_ADMIN_TOKEN"

// DefaultTokenFile is where a lime proxy started with its default journal
// keeps its admin token.
const DefaultTokenFile = "lime-proxy.token"

// Register adds --admin, --admin-token-file and --admin-ca, --admin-cert,
// --admin-key.
func (a *AdminFlags) Register(fs *pflag.FlagSet) {
	a.fs = fs
	fs.StringVar(&a.Addr, "admin", "127.0.0.1:9560", "admin API address of the lime proxy")
	fs.StringVar(&a.TokenFile, "admin-token-file", DefaultTokenFile,
		"file holding the admin API's bearer token (the lime proxy writes it beside its journal); $"+TokenEnv+" holds the token itself")
	a.TLS.Register(fs, "admin-", "lime proxy's admin API (HTTPS)")
}

// Client is the admin API's client, with the credential the flags give: the
// token of --admin-token-file (unless $LIME_ADMIN_TOKEN holds one and the
// flag is not given; none when the default file is absent, which the
// proxy answers naming what it wants) and the TLS files.
func (a *AdminFlags) Client() (*service.Client, error) {
	c := &service.Client{Addr: a.Addr}
	given := a.fs != nil && a.fs.Changed("admin-token-file")
	switch env := os.Getenv(TokenEnv); {
	case env != "" && !given:
		c.Token = env
	default:
		t, err := service.ReadToken(a.TokenFile)
		switch {
		case err == nil:
			c.Token = t
		case given || !errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("--admin-token-file: %w", err)
		}
	}
	if o := a.TLS.TLS(""); o != nil {
		cfg, err := o.Config()
		if err != nil {
			return nil, fmt.Errorf("admin API TLS: %w", err)
		}
		c.HTTPS = true
		c.HTTP = &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	}
	return c, nil
}

// Follow reports device's migration on out as it goes (a line per step
// run, from step from of its history on) until it stops: done, aborted,
// or failed waiting for retry or abort.
func Follow(ctx context.Context, c *service.Client, device uint64, from int, out io.Writer) (service.DeviceStatus, error) {
	shown := from
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var told time.Time // the last progress line
	for {
		sts, err := c.Status(ctx)
		if err != nil {
			return service.DeviceStatus{}, err
		}
		st, ok := service.Of(sts, device)
		if !ok || st.Migration == nil {
			return st, fmt.Errorf("device %d has no migration", device)
		}
		m := st.Migration
		for _, h := range m.History[min(shown, len(m.History)):] {
			if h.Error != "" {
				fmt.Fprintf(out, "device %d: %-14s failed after %v: %s\n", device, h.Action, h.Took.Round(time.Millisecond), h.Error)
			} else {
				fmt.Fprintf(out, "device %d: %-14s ok (%v)\n", device, h.Action, h.Took.Round(time.Millisecond))
			}
		}
		shown = len(m.History)
		if p := m.Progress; p != nil && m.Running != "" && time.Since(told) >= time.Second {
			told = time.Now()
			fmt.Fprintf(out, "device %d: %s\n", device, ProgressLine(p))
		}
		if m.Running == "" && (m.State.Failed != "" || m.State.Step == migrate.Done || m.State.Step == migrate.Aborted) {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-tick.C:
		}
	}
}

// HistoryLen is how many steps device's migration has run, per sts.
func HistoryLen(sts []service.DeviceStatus, device uint64) int {
	if st, ok := service.Of(sts, device); ok && st.Migration != nil {
		return len(st.Migration.History)
	}
	return 0
}
