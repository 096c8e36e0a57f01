package client

import (
	"context"
	"fmt"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// DefaultBatchSize is the number of updates per WriteRequest when no
// WithBatchSize option is given.
const DefaultBatchSize = 1000

// DefaultMaxBatchBytes caps the encoded updates of one WriteRequest when no
// WithMaxBatchBytes option is given. It stays under gRPC's default 4 MiB
// receive limit, which servers such as bmv2 keep.
const DefaultMaxBatchBytes = 3 << 20

// WriteOption tunes [Client.Write] and [NewBatchWriter].
type WriteOption func(*writeConfig)

type writeConfig struct {
	atomicity     p4v1.WriteRequest_Atomicity
	batchSize     int
	maxBatchBytes int
}

// WithAtomicity sets the batch atomicity (spec section "Batch Atomicity").
// The default is CONTINUE_ON_ERROR, the only mode servers must support (bmv2
// answers UNIMPLEMENTED to the others). Atomicity applies to one
// WriteRequest: a write split into several batches is not atomic as a whole;
// under ROLLBACK_ON_ERROR and DATAPLANE_ATOMIC the batches after a failed one
// are not sent.
func WithAtomicity(a p4v1.WriteRequest_Atomicity) WriteOption {
	return func(c *writeConfig) { c.atomicity = a }
}

// WithBatchSize sets the most updates per WriteRequest; it must be positive.
func WithBatchSize(n int) WriteOption {
	return func(c *writeConfig) { c.batchSize = n }
}

// WithMaxBatchBytes sets the most encoded bytes of updates per WriteRequest
// (an update larger than that travels alone); it must be positive.
func WithMaxBatchBytes(n int) WriteOption {
	return func(c *writeConfig) { c.maxBatchBytes = n }
}

// resolveWrite applies opts to the defaults and checks the result.
func resolveWrite(opts []WriteOption) (writeConfig, error) {
	cfg := writeConfig{
		atomicity:     p4v1.WriteRequest_CONTINUE_ON_ERROR,
		batchSize:     DefaultBatchSize,
		maxBatchBytes: DefaultMaxBatchBytes,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.batchSize < 1 {
		return cfg, fmt.Errorf("batch size %d: must be at least 1", cfg.batchSize)
	}
	if cfg.maxBatchBytes < 1 {
		return cfg, fmt.Errorf("max batch bytes %d: must be at least 1", cfg.maxBatchBytes)
	}
	if _, ok := p4v1.WriteRequest_Atomicity_name[int32(cfg.atomicity)]; !ok {
		return cfg, fmt.Errorf("unknown atomicity %d", cfg.atomicity)
	}
	return cfg, nil
}

// Write sends updates in batches (DefaultBatchSize updates and
// DefaultMaxBatchBytes at most, unless options say otherwise), one batch at a
// time and in order, so a later batch never overtakes an earlier one; every
// request carries the client's device id, election id and role.
//
// It returns nil when every update succeeded. When some failed it returns a
// *WriteError (errors.As reaches it) listing each failed update with its
// index and the server's code and message, decoded from the p4.v1.Error
// details of the UNKNOWN status by which servers report partial failure. A
// batch that fails as a whole (e.g. PERMISSION_DENIED for a backup,
// UNIMPLEMENTED atomicity, a cancelled ctx) marks its updates BatchWide and
// stops the write: the later updates are reported as ErrNotSent. Under
// CONTINUE_ON_ERROR per-update failures do not stop the write.
func (c *Client) Write(ctx context.Context, updates []*p4v1.Update, opts ...WriteOption) error {
	cfg, err := resolveWrite(opts)
	if err != nil {
		return c.errorf("write", err)
	}
	if err := checkUpdates(updates, 0); err != nil {
		return c.errorf("write", err)
	}
	var failures []UpdateFailure
	stopped := false
	base := 0
	for _, batch := range splitBatches(updates, cfg.batchSize, cfg.maxBatchBytes) {
		if stopped {
			failures = append(failures, notSent(batch, base)...)
		} else {
			f, stop := c.writeBatch(ctx, batch, base, cfg.atomicity)
			failures = append(failures, f...)
			stopped = stop
		}
		base += len(batch)
	}
	if len(failures) == 0 {
		return nil
	}
	return c.errorf("write", &WriteError{Total: len(updates), Failures: failures})
}

// checkUpdates refuses nil updates, naming the first by its index.
func checkUpdates(updates []*p4v1.Update, base int) error {
	for i, u := range updates {
		if u == nil {
			return fmt.Errorf("update %d is nil", base+i)
		}
	}
	return nil
}

// notSent reports every update of batch as not sent.
func notSent(batch []*p4v1.Update, base int) []UpdateFailure {
	out := make([]UpdateFailure, len(batch))
	for i, u := range batch {
		out[i] = UpdateFailure{Index: base + i, Update: u, Err: ErrNotSent}
	}
	return out
}

// writeBatch sends one WriteRequest and decodes its outcome. base is the
// index of batch[0]. stop says whether the write must not go on.
func (c *Client) writeBatch(ctx context.Context, batch []*p4v1.Update, base int, atomicity p4v1.WriteRequest_Atomicity) (failures []UpdateFailure, stop bool) {
	req := &p4v1.WriteRequest{
		DeviceId:   c.deviceID,
		Role:       c.role,
		ElectionId: c.electionProto(),
		Updates:    batch,
		Atomicity:  atomicity,
	}
	_, err := c.p4.Write(ctx, req)
	if err == nil {
		return nil, false
	}
	items, derr := DecodeBatchError(err, len(batch))
	if derr != nil {
		st := status.Convert(err)
		pe := &P4Error{Code: st.Code(), Message: st.Message()}
		if len(st.Proto().GetDetails()) > 0 {
			pe.Message = derr.Error()
		}
		failures = make([]UpdateFailure, len(batch))
		for i, u := range batch {
			failures[i] = UpdateFailure{Index: base + i, Update: u, Err: pe, BatchWide: true}
		}
		return failures, true
	}
	for i, it := range items {
		if it != nil {
			failures = append(failures, UpdateFailure{Index: base + i, Update: batch[i], Err: it})
		}
	}
	return failures, atomicity != p4v1.WriteRequest_CONTINUE_ON_ERROR
}

// updateWireSize is the bytes an update adds to a WriteRequest (field 4).
func updateWireSize(u *p4v1.Update) int {
	return protowire.SizeTag(4) + protowire.SizeBytes(proto.Size(u))
}

// splitBatches cuts updates into consecutive batches of at most size
// updates and maxBytes encoded bytes (an update over maxBytes goes alone).
func splitBatches(updates []*p4v1.Update, size, maxBytes int) [][]*p4v1.Update {
	var out [][]*p4v1.Update
	start, bytes := 0, 0
	for i, u := range updates {
		n := updateWireSize(u)
		if i > start && (i-start == size || bytes+n > maxBytes) {
			out = append(out, updates[start:i:i])
			start, bytes = i, 0
		}
		bytes += n
	}
	if start < len(updates) {
		out = append(out, updates[start:len(updates):len(updates)])
	}
	return out
}
