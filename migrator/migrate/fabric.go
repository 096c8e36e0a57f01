package migrate

import (
	"context"
	"errors"
)

// FabricUp brings up this device's part of the new network, before any
// host of a network migration moves (package plan): the target's link
// ports (to the other new switches) and both ends of the trunk, through
// which the new network reaches hosts still on the old one.
func (d *Driver) FabricUp(ctx context.Context) error {
	return d.fabric(ctx, d.TargetPorts, "target", true)
}

// FabricDown takes this device's part of the new network down again (an
// abort, once every host is back on the old network).
func (d *Driver) FabricDown(ctx context.Context) error {
	return d.fabric(ctx, d.TargetPorts, "target", false)
}

// Teardown takes this device's part of the old network down, once every
// device of the plan cut over: the source's link ports and the trunk.
func (d *Driver) Teardown(ctx context.Context) error {
	return d.fabric(ctx, d.SourcePorts, "source", false)
}

func (d *Driver) fabric(ctx context.Context, s PortSwitch, what string, up bool) error {
	ctx, cancel := d.unstoppable(ctx) // a stop waits for it
	defer cancel()
	var errs []error
	for _, l := range d.Links {
		p := l
		if what == "target" {
			var err error
			if p, err = d.Ports.Map.Number(l); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		errs = append(errs, setPort(ctx, s, what, p, up))
	}
	errs = append(errs, d.trunk(ctx, up))
	return errors.Join(errs...)
}
