package proxy

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gnmiclient "github.com/lime-p4/lime/gnmi/client"
	"github.com/lime-p4/lime/p4/client"
	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/translate"
)

// Backend is a physical device behind the proxy, which the proxy drives as
// its primary controller.
type Backend struct {
	// Name identifies the device in logs and errors (e.g. "s1" or its
	// address).
	Name     string
	client   *client.Client
	election *p4v1.Uint128 // the proxy's, on every write
	infoOpts []info.Option // how to index its P4Info (port rules)
	// pipe is the device's P4Info indexed, and its cookie (info nil
	// before a pipeline is set, or after the device restarted).
	pipe atomic.Pointer[pipelineSeen]
	// life is the proxy's stream with the device and how many times it
	// was renewed (see backend_session.go).
	life sessionLife

	mu   sync.Mutex
	gnmi *gnmiclient.Client // the switch's gNMI, when given (SetGNMI)

	// tr translates between the virtual device and this device: nil while
	// the two are the same (the device the controller first knew, before
	// a migration), else set as a whole (it changes as hosts move).
	tr atomic.Pointer[translators]
}

// translators are a backend's translations: toPhys the virtual device's
// entities into the backend's (ids by name, ports by its port maps), toVirt
// back.
type translators struct {
	toPhys, toVirt *translate.Translator
}

// phys translates towards the device (nil: none needed).
func (b *Backend) phys() *translate.Translator {
	if t := b.tr.Load(); t != nil {
		return t.toPhys
	}
	return nil
}

// virt translates back from the device (nil: none needed).
func (b *Backend) virt() *translate.Translator {
	if t := b.tr.Load(); t != nil {
		return t.toVirt
	}
	return nil
}

// setTranslators sets toPhys and its reverse (nil toPhys: none).
func (b *Backend) setTranslators(toPhys *translate.Translator) error {
	if toPhys == nil {
		b.tr.Store(nil)
		return nil
	}
	back, err := toPhys.Reverse()
	if err != nil {
		return fmt.Errorf("backend %s: %w", b.Name, err)
	}
	b.tr.Store(&translators{toPhys: toPhys, toVirt: back})
	return nil
}

// NewBackend takes c (dialled with an election id) as the proxy's
// connection to a physical device: it arbitrates, and must become the
// device's primary controller, and reads the device's pipeline, indexed with
// opts (info.WithPortRules says which values are ports). Close the Backend
// when done; it closes c.
func NewBackend(ctx context.Context, name string, c *client.Client, opts ...info.Option) (*Backend, error) {
	if c.ElectionID() == nil {
		return nil, fmt.Errorf("backend %s: the proxy's client needs an election id to be primary", name)
	}
	s, err := c.Arbitrate(ctx)
	if status.Code(err) == codes.InvalidArgument {
		return nil, fmt.Errorf("backend %s: another controller holds the proxy's election id %v; give the proxy another: %w", name, c.ElectionID(), err)
	}
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", name, err)
	}
	if !s.IsPrimary() {
		m := s.Current()
		s.Close()
		return nil, fmt.Errorf("backend %s: another controller is primary (election id %v); the proxy must be the device's only controller", name, m.ElectionID)
	}
	b := &Backend{Name: name, client: c, election: c.ElectionID().Proto(), infoOpts: opts}
	if err := b.refreshPipeline(ctx); err != nil {
		s.Close()
		return nil, err
	}
	b.life.start(b, s)
	return b, nil
}

// pipelineSeen is a device's pipeline as the proxy last read it.
type pipelineSeen struct {
	info   *info.Info // nil: no pipeline
	cookie uint64
}

// refreshPipeline reads the device's P4Info and cookie.
func (b *Backend) refreshPipeline(ctx context.Context) error {
	cfg, err := b.client.GetPipeline(ctx, p4v1.GetForwardingPipelineConfigRequest_P4INFO_AND_COOKIE)
	if status.Code(err) == codes.FailedPrecondition {
		b.pipe.Store(&pipelineSeen{})
		return nil
	}
	if err != nil {
		return fmt.Errorf("backend %s: reading its pipeline: %w", b.Name, err)
	}
	if cfg.GetP4Info() == nil { // a server that answers an empty config before one is set
		b.pipe.Store(&pipelineSeen{})
		return nil
	}
	in, err := b.Index(cfg.GetP4Info())
	if err != nil {
		return err
	}
	b.pipe.Store(&pipelineSeen{info: in, cookie: cfg.GetCookie().GetCookie()})
	return nil
}

// Index indexes a P4Info as this backend does its own (its port rules).
func (b *Backend) Index(p *p4configv1.P4Info) (*info.Info, error) {
	in, err := info.New(p, b.infoOpts...)
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", b.Name, err)
	}
	return in, nil
}

// SetPipeline sets (VERIFY_AND_COMMIT) the device's pipeline, which
// empties it, and reads it back. The proxy does it for a migration; the
// device must not be a virtual device's authoritative device then.
func (b *Backend) SetPipeline(ctx context.Context, cfg *p4v1.ForwardingPipelineConfig) error {
	if err := b.client.SetPipelineConfig(ctx, p4v1.SetForwardingPipelineConfigRequest_VERIFY_AND_COMMIT, cfg); err != nil {
		return fmt.Errorf("backend %s: %w", b.Name, err)
	}
	return b.refreshPipeline(ctx)
}

// Info is the P4Info the device runs (nil before a pipeline is set, and
// after the device restarted until one is set again).
func (b *Backend) Info() *info.Info {
	if p := b.pipe.Load(); p != nil {
		return p.info
	}
	return nil
}

// Client is the proxy's connection to the device.
func (b *Backend) Client() *client.Client { return b.client }

// Close ends the proxy's session with the device and the connection.
func (b *Backend) Close() error {
	b.life.stop()
	return b.client.Close()
}

// translateUpdates gives the updates in this device's terms, or an error
// naming the first one that cannot be translated.
func (b *Backend) translateUpdates(ups []*p4v1.Update) ([]*p4v1.Update, error) {
	tr := b.phys()
	if tr == nil {
		return ups, nil
	}
	out := make([]*p4v1.Update, len(ups))
	for i, u := range ups {
		p, err := physUpdate(tr, u)
		if err != nil {
			return nil, fmt.Errorf("%w: update %d for %s: %w", ErrInvalid, i, b.Name, err)
		}
		out[i] = p
	}
	return out, nil
}

// physUpdate is u translated by tr: u itself when the translation changes
// nothing (translate.UpdateShared; neither is modified after), so that a
// pointer comparison tells the forms apart (heldOtherwise).
func physUpdate(tr *translate.Translator, u *p4v1.Update) (*p4v1.Update, error) {
	e, err := tr.UpdateShared(u.GetType(), u.GetEntity())
	if err != nil {
		return nil, err
	}
	if e == u.GetEntity() {
		return u, nil
	}
	return &p4v1.Update{Type: u.Type, Entity: e}, nil
}

// write sends updates as one WriteRequest with the proxy's election id and
// returns the device's answer as it gave it.
func (b *Backend) write(ctx context.Context, ups []*p4v1.Update, atomicity p4v1.WriteRequest_Atomicity) error {
	_, err := b.client.Raw().Write(ctx, &p4v1.WriteRequest{DeviceId: b.client.DeviceID(), Role: b.client.Role(),
		ElectionId: b.election, Updates: ups, Atomicity: atomicity})
	return err
}
