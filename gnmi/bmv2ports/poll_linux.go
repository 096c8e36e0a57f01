//go:build linux

package bmv2ports

import (
	"context"
	"time"
)

// poll reads bmv2's port list every interval until ctx ends, and tells the
// watchers when it changed (bmv2 sends no port events of its own).
func (p *Ports) poll(ctx context.Context, interval time.Duration) {
	defer p.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v := p.readBMv2(ctx)
		if ctx.Err() != nil {
			return
		}
		p.observe(v)
	}
}
