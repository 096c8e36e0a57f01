package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/lime-p4/lime/migrator/migrate"
	"github.com/lime-p4/lime/migrator/service"
)

// AdminFlags reach a lime proxy's admin API.
type AdminFlags struct {
	Addr string
}

// Register adds --admin.
func (a *AdminFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&a.Addr, "admin", "127.0.0.1:9560", "admin API address of the lime proxy")
}

// Client is the admin API's client.
func (a *AdminFlags) Client() *service.Client { return &service.Client{Addr: a.Addr} }

// Follow reports device's migration on out as it goes (a line per step
// run, from step from of its history on) until it stops: done, aborted,
// or failed waiting for retry or abort.
func Follow(ctx context.Context, c *service.Client, device uint64, from int, out io.Writer) (service.DeviceStatus, error) {
	shown := from
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
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
