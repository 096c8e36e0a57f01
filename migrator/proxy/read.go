package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"

	"github.com/lime-p4/lime/p4/entity"
)

// Read answers a controller's Read (spec section 11 "Read RPC") from the
// authoritative device, translated back to the controller's terms: what
// the controller wrote reads back as it wrote it.
func (d *Device) Read(ctx context.Context, req *p4v1.ReadRequest, send func(*p4v1.ReadResponse) error) error {
	if req.GetDeviceId() != d.id {
		return fmt.Errorf("%w: device %d (this is device %d)", ErrUnknownDevice, req.GetDeviceId(), d.id)
	}
	return d.readFrom(ctx, d.Authoritative(), req.GetEntities(), send)
}

// readFrom reads filters (virtual form) from backend b and sends what it
// answers, in the controller's terms.
func (d *Device) readFrom(ctx context.Context, b *Backend, filters []*p4v1.Entity, send func(*p4v1.ReadResponse) error) error {
	if b.toPhys != nil {
		phys := make([]*p4v1.Entity, len(filters))
		for i, f := range filters {
			p, err := b.toPhys.Filter(f)
			if err != nil {
				return fmt.Errorf("%w: read filter %d: %w", ErrInvalid, i, err)
			}
			phys[i] = p
		}
		filters = phys
	}
	stream, err := b.client.Raw().Read(ctx, &p4v1.ReadRequest{DeviceId: b.client.DeviceID(), Role: b.client.Role(), Entities: filters})
	if err != nil {
		return err
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if b.toVirt != nil {
			for _, e := range resp.GetEntities() {
				if err := b.toVirt.EntityInPlace(e); err != nil {
					return fmt.Errorf("%w: %s answered %s, which has no counterpart on the virtual device: %w",
						ErrBackend, b.Name, entity.Describe(e, b.info), err)
				}
			}
		}
		if err := send(resp); err != nil {
			return err
		}
	}
}
