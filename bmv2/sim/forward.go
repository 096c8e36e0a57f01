package sim

import (
	"github.com/lime-p4/lime/bmv2/sim/dataplane"
	"github.com/lime-p4/lime/bmv2/sim/port"
)

// activate makes pr the program the ports feed, telling it every port's
// status (for watch ports).
func (d *Device) activate(pr *program) {
	d.active.Store(pr)
	for _, p := range d.ports.List() {
		pr.sw.SetPortStatus(p.ID(), p.Oper() == port.OperUp)
	}
}

// deactivate detaches pr if it is the active program.
func (d *Device) deactivate(pr *program) {
	d.active.CompareAndSwap(pr, nil)
}

// portEvent follows port status changes into the data plane.
func (d *Device) portEvent(ev port.Event) {
	if ev.Port == nil {
		return
	}
	if pr := d.active.Load(); pr != nil {
		pr.sw.SetPortStatus(ev.Port.ID(), !ev.Removed && ev.Status.Oper == port.OperUp)
	}
}

// receive runs a frame that arrived on p through the active program.
func (d *Device) receive(p *port.Port, frame []byte) {
	pr := d.active.Load()
	if pr == nil {
		d.log.Debug("frame dropped: no pipeline", "port", p.Name())
		return
	}
	pr.deliver(pr.sw.Process(p.ID(), frame))
}

// deliver sends what a frame produced: frames out of their ports, CPU-port
// frames and digests to the P4Runtime layer.
func (pr *program) deliver(res *dataplane.Result) {
	evp := pr.events.Load()
	for _, o := range res.Outputs {
		if o.ToCPU {
			if evp != nil {
				(*evp).PacketIn(o.Frame)
			}
			continue
		}
		p := pr.d.ports.ByID(o.Port)
		if p == nil {
			pr.d.log.Debug("frame dropped: no such port", "port", o.Port)
			continue
		}
		if err := p.Transmit(o.Frame); err != nil {
			pr.d.log.Debug("frame not sent", "port", p.Name(), "err", err)
		}
	}
	if evp == nil {
		return
	}
	for _, dg := range res.Digests {
		if !pr.learned.pass(dg) {
			continue
		}
		if di := pr.inf.DigestByName(dg.Name); di != nil {
			(*evp).Digest(di.ID, dg.Values)
		}
	}
}
