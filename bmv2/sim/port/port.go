package port

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"

	"github.com/lime-p4/lime/internal/watchers"
)

// Handler receives the frames arriving on a port. It is called from the
// attachment's goroutine (or, for Host.Send, from the sender's); the frame
// belongs to the handler. A handler may call Transmit on any port, but must
// not close the attachment it is called from.
type Handler func(p *Port, frame []byte)

// attachment is what a port is plugged into: a wire, a host, an interface.
type attachment interface {
	// carrier reports whether p's side of the attachment has carrier now.
	// It must not take p's locks.
	carrier(p *Port) bool
	// transmit sends frame out of p; the attachment copies the frame if it
	// keeps it after returning.
	transmit(p *Port, frame []byte) error
	// adminChanged tells the attachment that p's admin state changed.
	adminChanged(p *Port)
	// close releases the attachment and detaches its ports.
	close()
}

// Port is one switch port. Create it with New.
type Port struct {
	name string
	id   uint32

	changeMu sync.Mutex // serializes state changes and the notifications they send
	mu       sync.Mutex // guards att, carrier
	att      attachment
	carrier  bool
	watchers watchers.List[func(*Port, Status)]

	enabled atomic.Bool // admin state; written under mu, read lock-free by peers
	up      atomic.Bool // oper state is UP; read on the frame paths
	handler atomic.Pointer[Handler]
	c       counters
}

// New returns an unattached, admin-enabled port (OpenConfig's default for
// config/enabled is true). The name must be non-empty printable text without
// spaces; id is the P4Runtime port id, which is also the data plane's port
// number.
func New(name string, id uint32) (*Port, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	p := &Port{name: name, id: id}
	p.enabled.Store(true)
	return p, nil
}

func checkName(name string) error {
	if name == "" {
		return errors.New("port: empty port name")
	}
	if strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }) >= 0 {
		return fmt.Errorf("port: name %q has a space or a non-printable character", name)
	}
	return nil
}

// Name returns the port's name (the OpenConfig interface name).
func (p *Port) Name() string { return p.name }

// ID returns the P4Runtime port id, the data plane's port number.
func (p *Port) ID() uint32 { return p.id }

// String returns "name(id)".
func (p *Port) String() string { return fmt.Sprintf("%s(%d)", p.name, p.id) }

// Status returns the port's admin and oper state.
func (p *Port) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return statusOf(p.enabled.Load(), p.carrier)
}

// Enabled reports the admin state.
func (p *Port) Enabled() bool { return p.enabled.Load() }

// Oper returns the oper state.
func (p *Port) Oper() OperStatus { return p.Status().Oper }

// Counters returns a snapshot of the port's counters.
func (p *Port) Counters() Counters { return p.c.snapshot() }

// Attached reports whether the port is plugged into a wire, host or
// interface.
func (p *Port) Attached() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.att != nil
}

// SetHandler installs the function that receives the frames arriving on the
// port; nil removes it (arriving frames are then discarded).
func (p *Port) SetHandler(h Handler) {
	if h == nil {
		p.handler.Store(nil)
		return
	}
	p.handler.Store(&h)
}

// SetEnabled sets the admin state. Disabling the port stops its traffic in
// both directions and takes the carrier away from its peer (a wired port
// goes LOWER_LAYER_DOWN, a host sees its link down); enabling restores both.
func (p *Port) SetEnabled(enabled bool) {
	var att attachment
	changed := false
	p.change(func() {
		if p.enabled.Load() != enabled {
			p.enabled.Store(enabled)
			changed = true
		}
		att = p.att
	})
	if changed && att != nil {
		att.adminChanged(p)
	}
}

// Watch registers fn to be called with the new status each time the port's
// admin state, carrier or oper state changes. Calls for one port are
// serialized and in order. fn must not block for long nor change this
// port's state (SetEnabled, Detach) from within the call. The returned
// function cancels the registration.
func (p *Port) Watch(fn func(*Port, Status)) (cancel func()) { return p.watchers.Add(fn) }

// Transmit sends a frame out of the switch through the port. It does not
// keep frame. A port that is not UP drops the frame (counted in
// OutDiscards) and returns an error wrapping ErrNotUp.
func (p *Port) Transmit(frame []byte) error {
	if len(frame) < ethHeaderLen {
		p.c.outErrors.Add(1)
		return fmt.Errorf("port %s: %d-byte frame is shorter than an Ethernet header: %w", p.name, len(frame), ErrFrame)
	}
	if !p.up.Load() {
		p.c.outDiscards.Add(1)
		return fmt.Errorf("port %s: %w", p.name, ErrNotUp)
	}
	p.mu.Lock()
	att := p.att
	p.mu.Unlock()
	if att == nil {
		p.c.outDiscards.Add(1)
		return fmt.Errorf("port %s: %w", p.name, ErrNotUp)
	}
	if err := att.transmit(p, frame); err != nil {
		if errors.Is(err, ErrQueueFull) || errors.Is(err, ErrNotUp) || errors.Is(err, ErrClosed) {
			p.c.outDiscards.Add(1)
		} else {
			p.c.outErrors.Add(1)
		}
		return fmt.Errorf("port %s: %w", p.name, err)
	}
	p.c.countOut(frame)
	return nil
}

// Detach unplugs the port from its attachment, closing the attachment (a
// wire's other port is unplugged too). Detaching an unattached port does
// nothing.
func (p *Port) Detach() {
	p.mu.Lock()
	att := p.att
	p.mu.Unlock()
	if att != nil {
		att.close()
	}
}

// receive is called by attachments with a frame the port may keep.
func (p *Port) receive(frame []byte) {
	if len(frame) < ethHeaderLen {
		p.c.inErrors.Add(1)
		return
	}
	h := p.handler.Load()
	if !p.up.Load() || h == nil {
		p.c.inDiscards.Add(1)
		return
	}
	p.c.countIn(frame)
	(*h)(p, frame)
}

// change runs f under the port's locks and notifies the watchers if the
// status changed.
func (p *Port) change(f func()) {
	p.changeMu.Lock()
	defer p.changeMu.Unlock()
	p.mu.Lock()
	before := statusOf(p.enabled.Load(), p.carrier)
	f()
	after := statusOf(p.enabled.Load(), p.carrier)
	p.up.Store(after.Oper == OperUp)
	if (before.Oper == OperUp) != (after.Oper == OperUp) {
		p.c.carrierTransitions.Add(1)
	}
	var ws []func(*Port, Status)
	if before != after {
		ws = p.watchers.Snapshot()
	}
	p.mu.Unlock()
	for _, w := range ws {
		w(p, after)
	}
}

// attach plugs the port into a; the carrier is set by a later refresh.
func (p *Port) attach(a attachment) error {
	var err error
	p.change(func() {
		if p.att != nil {
			err = fmt.Errorf("port %s: %w", p.name, ErrAttached)
			return
		}
		p.att = a
		p.carrier = false
	})
	return err
}

// detachFrom unplugs the port if it is plugged into a.
func (p *Port) detachFrom(a attachment) {
	p.change(func() {
		if p.att == a {
			p.att = nil
			p.carrier = false
		}
	})
}

// refreshCarrier reads a's carrier for this port, if the port is plugged
// into a. Reading inside the change lock makes the last refresh win.
func (p *Port) refreshCarrier(a attachment) {
	p.change(func() {
		if p.att == a {
			p.carrier = a.carrier(p)
		}
	})
}
