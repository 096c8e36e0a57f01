package migrate

import (
	"context"
	"fmt"
	"sync"

	gnmiclient "github.com/lime-p4/lime/gnmi/client"
)

// GNMIPorts switches a device's ports over gNMI (OpenConfig interfaces,
// config/enabled), finding each port's interface by its P4Runtime port id
// (state/id).
type GNMIPorts struct {
	Client *gnmiclient.Client

	mu    sync.Mutex
	names map[uint64]string
}

// SetEnabled sets the admin state of the interface whose id is port.
func (g *GNMIPorts) SetEnabled(ctx context.Context, port uint64, enabled bool) error {
	name, err := g.name(ctx, port)
	if err != nil {
		return err
	}
	return g.Client.SetEnabled(ctx, name, enabled)
}

func (g *GNMIPorts) name(ctx context.Context, port uint64) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if n, ok := g.names[port]; ok {
		return n, nil
	}
	ifs, err := g.Client.Interfaces(ctx)
	if err != nil {
		return "", err
	}
	g.names = map[uint64]string{}
	for _, p := range ifs {
		g.names[uint64(p.ID)] = p.Name
	}
	if n, ok := g.names[port]; ok {
		return n, nil
	}
	return "", fmt.Errorf("gnmi: no interface has port id %d", port)
}
